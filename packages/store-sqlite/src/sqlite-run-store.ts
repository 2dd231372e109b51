/**
 * The embedded `RunStore`: run history and scheduler state in one SQLite file, through
 * better-sqlite3. WAL journal (readers never wait for the writer, other processes see each
 * commit), a busy timeout (two hosts on one file wait for each other instead of failing), and
 * a versioned schema migrated at open.
 */
import { resolve } from 'node:path'
import {
  type AdmissionWrites,
  type CancelRequest,
  type EpochMicros,
  type ExpiredHosts,
  type ExpireHostsOptions,
  FINAL_RUN_STATUSES,
  type FireClaim,
  type HostConflictError,
  type HostRecord,
  type HostRegistration,
  type OutputAppend,
  type OutputChunk,
  type OutputPage,
  type PrunedRun,
  RUN_STATUSES,
  type Run,
  type RunPage,
  type RunPatch,
  type RunQuery,
  type RunStore,
  type StoreChange,
  type TaskState,
  type TaskStateWrite,
  TasseError,
} from '@tasse/core'
import {
  type CancelRequestRow,
  RUN_COLUMNS as COLUMNS,
  cancelRequestFromRow,
  cancelRequestsQuery,
  capChunk,
  changesFinalStatus,
  checkAdmissionWrites,
  checkClaim,
  checkHostRegistration,
  checkLease,
  checkOutputCap,
  checkOutputChunk,
  checkOutputRead,
  checkPruneOptions,
  checkRunLimit,
  DEFAULT_FILE_MODE,
  decodeRunCursor,
  encodeRunCursor,
  finalStatusError,
  type HostRow,
  LocalChangeFeed,
  type OutputRow,
  outputChunkFromRow,
  outputPage,
  type PruneOptions,
  type RunRow,
  runChange,
  runRowValues as runValues,
  type TaskStateRow,
  takenOverError,
  hostFromRow as toHost,
  runFromRow as toRun,
  taskStateFromRow as toTaskState,
  UNFINISHED_RUN_STATUSES,
} from '@tasse/core/plugin-kit'
import type Database from 'better-sqlite3'
import type { Statement } from 'better-sqlite3'
import { HostLock, hostConflict } from './host-lock.js'
import type { Migration } from './migrations.js'
import { openDatabase } from './open-database.js'
import { STORE_TAG } from './tag.js'

export { STORE_TAG }

export interface SqliteRunStoreOptions {
  /**
   * The database file; created, with its directory, when missing. `:memory:` keeps everything in
   * memory (for tests). The host's default is `<dataDir>/.tasse/tasse.db`.
   */
  path: string
  /**
   * Milliseconds a write waits for another connection's write (another host on the same file)
   * before failing with `SQLITE_BUSY`.
   * @default 5000
   */
  busyTimeoutMs?: number
  /**
   * Bytes of output kept per run (`appendOutput`); what comes after is dropped (the whole output
   * stays in the task's `log.txt`).
   * @default 1 MiB
   */
  maxOutputBytes?: number
  /**
   * Mode of the database file (and of its `-wal` and `-shm` files, which SQLite creates with
   * the database's own); a folder it creates gets the matching one. An existing file is set to
   * it too. History holds every run's parameters and errors: private unless configured.
   * @default 0o600
   */
  fileMode?: number
  /**
   * The schema's migrations. Only for tests of the migration machinery.
   * @default MIGRATIONS
   */
  migrations?: readonly Migration[]
}

/** Runs deleted per write transaction by `pruneRuns`. */
const PRUNE_BATCH = 5_000

const UNFINISHED = UNFINISHED_RUN_STATUSES
const FINAL = RUN_STATUSES.filter((status) => FINAL_RUN_STATUSES.has(status))
const IN_UNFINISHED = `status IN (${UNFINISHED.map((status) => `'${status}'`).join(', ')})`
const IN_FINAL = `status IN (${FINAL.map((status) => `'${status}'`).join(', ')})`

/** How long a host refused by the lock looks for the holder's record, to name it. */
const HOLDER_WAIT_MS = 2_000

/**
 * Opens (creating and migrating it when needed) the run store in a SQLite file.
 *
 * @example
 * const store = createSqliteRunStore({ path: 'data/.tasse/tasse.db' })
 * const { runs } = await store.listRuns({ task: 'report', status: ['failed'], limit: 20 })
 */
export function createSqliteRunStore(options: SqliteRunStoreOptions): SqliteRunStore {
  return new SqliteRunStore(options)
}

export class SqliteRunStore implements RunStore {
  readonly name = 'sqlite'
  /** The absolute path of the file (or `:memory:`). */
  readonly path: string

  readonly #db: Database.Database
  readonly #statements = new Map<string, Statement>()
  readonly #feed = new LocalChangeFeed()
  readonly #maxOutputBytes: number
  /** Held while a host registered through this object: one host process per file. */
  readonly #lock: HostLock | null
  /** The hosts registered through this object (while the lock is held, every other is dead). */
  readonly #hostIds = new Set<string>()
  #closed = false

  constructor(options: SqliteRunStoreOptions) {
    if (typeof options?.path !== 'string' || options.path === '') {
      throw new TasseError(
        'invalid_argument',
        `the path option must be the database file, got ${String(options?.path)}`,
        { tag: STORE_TAG },
      )
    }
    this.#maxOutputBytes = checkOutputCap(options.maxOutputBytes, STORE_TAG)
    this.path = options.path === ':memory:' ? options.path : resolve(options.path)
    this.#db = openDatabase(this.path, options)
    this.#lock =
      this.path === ':memory:'
        ? null
        : new HostLock(`${this.path}.lock`, options.fileMode ?? DEFAULT_FILE_MODE)
  }

  async insertRun(run: Run): Promise<void> {
    this.#emit(this.#insert(run))
  }

  #insert(run: Run): StoreChange {
    try {
      this.#statement(
        `INSERT INTO runs (id, task, ${Object.values(COLUMNS).join(', ')})
         VALUES (${runValues(run)
           .map(() => '?')
           .join(', ')})`,
      ).run(...runValues(run))
    } catch (error) {
      if (isSqliteError(error, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
        throw new TasseError('store', `a run with id "${run.id}" already exists`, {
          tag: STORE_TAG,
          cause: error,
        })
      }
      throw error
    }
    return runChange(run)
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    this.#emit(this.#update(id, patch))
  }

  #update(id: string, patch: RunPatch): StoreChange {
    const columns: string[] = []
    const values: unknown[] = []
    for (const [field, column] of Object.entries(COLUMNS)) {
      const value = patch[field as keyof typeof COLUMNS]
      if (value === undefined) continue // undefined means "leave as is"
      columns.push(column)
      values.push(field === 'params' ? JSON.stringify(value) : value)
    }
    // One statement: a final status is kept, whoever else writes to the file meanwhile.
    const row =
      columns.length === 0
        ? this.#statement('SELECT * FROM runs WHERE id = ?').get(id)
        : this.#statement(
            `UPDATE runs SET ${columns.map((c) => `${c} = ?`).join(', ')}
             WHERE id = ? AND NOT (${IN_FINAL} AND ? IS NOT NULL AND status <> ?) RETURNING *`,
          ).get(...values, id, patch.status ?? null, patch.status ?? null)
    if (!row) {
      const current = this.#statement('SELECT status FROM runs WHERE id = ?').pluck().get(id) as
        | Run['status']
        | undefined
      if (current && changesFinalStatus(current, patch))
        throw finalStatusError(id, current, patch, STORE_TAG)
      throw new TasseError('store', `no run with id "${id}" to update`, { tag: STORE_TAG })
    }
    return runChange(toRun(row as RunRow))
  }

  async getRun(id: string): Promise<Run | undefined> {
    const row = this.#statement('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined
    return row && toRun(row)
  }

  async listRuns(query: RunQuery = {}): Promise<RunPage> {
    const limit = checkRunLimit(query.limit, STORE_TAG)
    const where: string[] = []
    const values: unknown[] = []
    if (query.task !== undefined) {
      where.push('task = ?')
      values.push(query.task)
    }
    if (query.status !== undefined) {
      const statuses = [...new Set(query.status)]
      if (statuses.length === 0) {
        this.#assertOpen()
        return { runs: [], nextCursor: null }
      }
      where.push(`status IN (${statuses.map(() => '?').join(', ')})`)
      values.push(...statuses)
    }
    if (query.from !== undefined) {
      where.push('queued_at >= ?')
      values.push(query.from)
    }
    if (query.to !== undefined) {
      where.push('queued_at <= ?')
      values.push(query.to)
    }
    if (query.cursor !== undefined) {
      where.push('id < ?')
      values.push(decodeRunCursor(query.cursor, STORE_TAG))
    }
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
    // One row more than asked tells whether there is a next page.
    const rows = this.#statement(`SELECT * FROM runs ${filter} ORDER BY id DESC LIMIT ?`).all(
      ...values,
      limit + 1,
    ) as RunRow[]
    const more = rows.length > limit
    const runs = (more ? rows.slice(0, limit) : rows).map(toRun)
    const last = runs[runs.length - 1]
    return { runs, nextCursor: more && last ? encodeRunCursor(last.id) : null }
  }

  async unfinishedRuns(): Promise<Run[]> {
    const rows = this.#statement(
      `SELECT * FROM runs WHERE status IN (${UNFINISHED.map(() => '?').join(', ')}) ORDER BY id`,
    ).all(...UNFINISHED) as RunRow[]
    return rows.map(toRun)
  }

  async getTaskState(task: string): Promise<TaskState | undefined> {
    const row = this.#statement('SELECT * FROM task_state WHERE task = ?').get(task) as
      | TaskStateRow
      | undefined
    return row && toTaskState(row)
  }

  async setTaskState(state: TaskStateWrite): Promise<void> {
    // Without `paused`, one statement keeps the stored one: no read before the write.
    this.#statement(
      `INSERT INTO task_state (task, last_fire_time, next_fire_time, paused)
       VALUES (@task, @last, @next, coalesce(@paused, 0))
       ON CONFLICT (task) DO UPDATE SET last_fire_time = excluded.last_fire_time,
         next_fire_time = excluded.next_fire_time, paused = coalesce(@paused, task_state.paused)`,
    ).run({
      task: state.task,
      last: state.lastFireTime,
      next: state.nextFireTime,
      paused: state.paused === undefined ? null : state.paused ? 1 : 0,
    })
    this.#emit({ type: 'task-state', task: state.task })
  }

  async listTaskStates(): Promise<TaskState[]> {
    const rows = this.#statement('SELECT * FROM task_state ORDER BY task').all() as TaskStateRow[]
    return rows.map(toTaskState)
  }

  async pruneRuns(options: PruneOptions): Promise<PrunedRun[]> {
    const { olderThanMs, keepPerTask, outputOlderThanMs, now } = checkPruneOptions(
      options,
      STORE_TAG,
    )
    this.#assertOpen()
    if (outputOlderThanMs !== undefined)
      this.#statement(
        `DELETE FROM run_output WHERE run_id IN
           (SELECT id FROM runs WHERE queued_at < ? AND ${IN_FINAL})`,
      ).run((now ?? Date.now()) - outputOlderThanMs)
    const finished = `status IN (${FINAL.map(() => '?').join(', ')})`
    const deleted: PrunedRun[] = []
    // By count first, so that ranks count every run the call started with, as the contract says.
    if (keepPerTask !== undefined) {
      const tasks = this.#statement('SELECT DISTINCT task FROM runs').pluck().all() as string[]
      const nth = this.#statement(
        'SELECT id FROM runs WHERE task = ? ORDER BY id DESC LIMIT 1 OFFSET ?',
      )
      for (const task of tasks) {
        if (keepPerTask === 0) {
          this.#deleteInBatches(`task = ? AND ${finished}`, [task, ...FINAL], deleted)
          continue
        }
        // Every run older than the task's keepPerTask-th newest ranks beyond it.
        const oldestKept = nth.pluck().get(task, keepPerTask - 1) as string | undefined
        if (oldestKept === undefined) continue
        this.#deleteInBatches(
          `task = ? AND id < ? AND ${finished}`,
          [task, oldestKept, ...FINAL],
          deleted,
        )
      }
    }
    if (olderThanMs !== undefined) {
      const cutoff = (now ?? Date.now()) - olderThanMs
      this.#deleteInBatches(`queued_at < ? AND ${finished}`, [cutoff, ...FINAL], deleted)
      this.#statement('DELETE FROM fire_claims WHERE scheduled_at < ?').run(cutoff * 1000)
    }
    return deleted
  }

  async claimFire(
    task: string,
    scheduledAt: EpochMicros,
    by: { hostId: string; attempt?: number },
  ): Promise<boolean> {
    const attempt = checkClaim(task, scheduledAt, by, STORE_TAG)
    return this.#claim(task, scheduledAt, attempt, by.hostId)
  }

  /** Inserts a claim unless one is there: true when this call made it. */
  #claim(task: string, scheduledAt: EpochMicros, attempt: number, hostId: string): boolean {
    const { changes } = this.#statement(
      `INSERT INTO fire_claims (task, scheduled_at, attempt, host_id, claimed_at)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ).run(task, scheduledAt, attempt, hostId, Date.now())
    return changes === 1
  }

  admitRun<D extends AdmissionWrites>(
    task: string,
    decide: (active: readonly Run[]) => D,
  ): Promise<D>
  admitRun<D extends AdmissionWrites>(
    task: string,
    decide: (active: readonly Run[]) => D,
    options: { claim: FireClaim },
  ): Promise<D | null>
  async admitRun<D extends AdmissionWrites>(
    task: string,
    decide: (active: readonly Run[]) => D,
    options?: { claim?: FireClaim },
  ): Promise<D | null> {
    const claim = options?.claim
    const attempt = claim ? checkClaim(task, claim.scheduledAt, claim, STORE_TAG, 'admitRun') : 1
    const changes: StoreChange[] = []
    const admit = this.#db.transaction((): D | null => {
      if (claim && !this.#claim(task, claim.scheduledAt, attempt, claim.hostId)) return null
      const active = (
        this.#statement(`SELECT * FROM runs WHERE task = ? AND ${IN_UNFINISHED} ORDER BY id`).all(
          task,
        ) as RunRow[]
      ).map(toRun)
      const writes = decide(active.map((run) => ({ ...run, params: { ...run.params } })))
      checkAdmissionWrites(task, active, writes, STORE_TAG)
      if (writes.insert) changes.push(this.#insert(writes.insert))
      for (const { id, patch } of writes.update ?? []) changes.push(this.#update(id, patch))
      for (const { runId, reason } of writes.cancel ?? []) {
        const change = this.#requestCancel(runId, { reason, requestedBy: null })
        if (change) changes.push(change)
      }
      return writes
    })
    this.#assertOpen()
    // IMMEDIATE: the write lock is taken before the read, so no other process decides between.
    const writes = admit.immediate()
    for (const change of changes) this.#emit(change)
    return writes
  }

  async registerHost(host: HostRegistration, options: { now?: number } = {}): Promise<HostRecord> {
    checkHostRegistration(host, STORE_TAG)
    this.#assertOpen()
    if (this.#lock && !this.#lock.acquire()) throw await this.#conflict()
    const now = options.now ?? Date.now()
    try {
      this.#statement(
        'INSERT INTO hosts (id, name, pid, url, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(host.id, host.name, host.pid, host.url, now, now)
    } catch (error) {
      if (this.#hostIds.size === 0) this.#lock?.release()
      if (isSqliteError(error, 'SQLITE_CONSTRAINT_PRIMARYKEY'))
        throw new TasseError('store', `a host with id "${host.id}" is already registered`, {
          tag: STORE_TAG,
          cause: error,
        })
      throw error
    }
    this.#hostIds.add(host.id)
    this.#emit({ type: 'host', id: host.id, event: 'registered' })
    return { ...host, startedAt: now, heartbeatAt: now }
  }

  async heartbeat(hostId: string, options: { now?: number } = {}): Promise<boolean> {
    const { changes } = this.#statement('UPDATE hosts SET heartbeat_at = ? WHERE id = ?').run(
      options.now ?? Date.now(),
      hostId,
    )
    return changes === 1
  }

  async listHosts(): Promise<HostRecord[]> {
    return (this.#statement('SELECT * FROM hosts ORDER BY id').all() as HostRow[]).map(toHost)
  }

  async expireHosts(options: ExpireHostsOptions): Promise<ExpiredHosts> {
    const leaseMs = checkLease(options.leaseMs, STORE_TAG)
    this.#assertOpen()
    const now = options.now ?? Date.now()
    // While this object holds the lock, a host registered through another one has released it:
    // its process ended. Without the lock, only the lease tells.
    const known = this.#lock?.held ? [...this.#hostIds] : null
    const expire = this.#db.transaction((): ExpiredHosts => {
      const hosts = (this.#statement('SELECT * FROM hosts ORDER BY id').all() as HostRow[])
        .map(toHost)
        .filter((host) => host.heartbeatAt < now - leaseMs || (known && !known.includes(host.id)))
      const remove = this.#statement('DELETE FROM hosts WHERE id = ?')
      for (const host of hosts) remove.run(host.id)
      const byId = new Map(hosts.map((host) => [host.id, host]))
      const orphans = this.#statement(
        `SELECT * FROM runs WHERE host_id IS NOT NULL AND ${IN_UNFINISHED}
           AND host_id NOT IN (SELECT id FROM hosts) ORDER BY id`,
      ).all() as RunRow[]
      const runs = orphans.map((row) => {
        const host = byId.get(row.host_id as string) ?? null
        const error = options.error?.(host, toRun(row)) ?? takenOverError(host, leaseMs)
        this.#update(row.id, { status: 'interrupted', error, endedAt: now })
        return { ...toRun(row), status: 'interrupted' as const, error, endedAt: now }
      })
      return { hosts, runs }
    })
    const expired = expire.immediate()
    for (const run of expired.runs) this.#emit(runChange(run))
    for (const host of expired.hosts) this.#emit({ type: 'host', id: host.id, event: 'expired' })
    return expired
  }

  async unregisterHost(hostId: string): Promise<void> {
    const { changes } = this.#statement('DELETE FROM hosts WHERE id = ?').run(hostId)
    if (this.#hostIds.delete(hostId) && this.#hostIds.size === 0) this.#lock?.release()
    if (changes) this.#emit({ type: 'host', id: hostId, event: 'unregistered' })
  }

  async requestCancel(
    runId: string,
    request: { reason: string; requestedBy: string | null; now?: number },
  ): Promise<boolean> {
    const change = this.#requestCancel(runId, request)
    if (change) this.#emit(change)
    return change !== null || this.#isUnfinished(runId)
  }

  /** Records a request; the change to tell, or null when none was recorded. */
  #requestCancel(
    runId: string,
    request: { reason: string; requestedBy: string | null; now?: number },
  ): StoreChange | null {
    const row = this.#statement(
      `INSERT INTO cancel_requests (run_id, reason, requested_by, requested_at)
       SELECT id, ?, ?, ? FROM runs WHERE id = ? AND ${IN_UNFINISHED}
       ON CONFLICT DO NOTHING RETURNING (SELECT host_id FROM runs WHERE id = run_id) AS host_id`,
    ).get(request.reason, request.requestedBy, request.now ?? Date.now(), runId) as
      | { host_id: string | null }
      | undefined
    return row ? { type: 'cancel', runId, hostId: row.host_id } : null
  }

  #isUnfinished(runId: string): boolean {
    return (
      this.#statement(`SELECT 1 FROM runs WHERE id = ? AND ${IN_UNFINISHED}`).get(runId) !==
      undefined
    )
  }

  async cancelRequests(hostId: string | null): Promise<CancelRequest[]> {
    const query = cancelRequestsQuery('?', `(${UNFINISHED.map((s) => `'${s}'`).join(', ')})`)
    return (this.#statement(query).all(hostId) as CancelRequestRow[]).map(cancelRequestFromRow)
  }

  async appendOutput(runId: string, chunk: OutputChunk): Promise<OutputAppend> {
    checkOutputChunk(runId, chunk, STORE_TAG)
    const kept = capChunk(chunk, this.#maxOutputBytes)
    // Where the cap cut everything, an empty chunk at the cap marks the cut.
    const offset = kept.bytes === 0 && kept.truncated ? this.#maxOutputBytes : chunk.offset
    let changes: number
    try {
      changes = this.#statement(
        `INSERT INTO run_output (run_id, byte_offset, stream, time, text, bytes, truncated)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ).run(
        runId,
        offset,
        chunk.stream,
        chunk.time,
        kept.text,
        kept.bytes,
        kept.truncated ? 1 : 0,
      ).changes
    } catch (error) {
      if (isSqliteError(error, 'SQLITE_CONSTRAINT_FOREIGNKEY'))
        throw new TasseError('store', `no run with id "${runId}" to append output to`, {
          tag: STORE_TAG,
          cause: error,
        })
      throw error
    }
    if (changes && kept.bytes)
      this.#emit({ type: 'output', runId, next: chunk.offset + kept.bytes })
    return { kept: kept.bytes, truncated: kept.truncated }
  }

  async readOutput(
    runId: string,
    options?: { from?: number; limit?: number },
  ): Promise<OutputPage> {
    const { from, limit } = checkOutputRead(options, STORE_TAG)
    const rows = this.#statement(
      `SELECT * FROM run_output WHERE run_id = ? AND byte_offset + bytes > ?
       ORDER BY byte_offset LIMIT ?`,
    ).all(runId, from, limit + 1) as OutputRow[]
    const truncated =
      this.#statement('SELECT 1 FROM run_output WHERE run_id = ? AND truncated = 1 LIMIT 1').get(
        runId,
      ) !== undefined
    return outputPage(rows.map(outputChunkFromRow), from, limit, truncated)
  }

  async subscribe(listener: (change: StoreChange) => void): Promise<() => Promise<void>> {
    this.#assertOpen()
    return this.#feed.subscribe(listener)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#feed.clear()
    this.#statements.clear()
    this.#lock?.release()
    this.#db.close()
  }

  /** The error for a host refused by the lock, naming the host that holds it when it can. */
  async #conflict(): Promise<HostConflictError> {
    const deadline = Date.now() + HOLDER_WAIT_MS
    let holder: HostRecord | undefined
    // The holder registers right after it takes the lock: give it a moment to be named.
    for (;;) {
      holder = (
        this.#statement(
          'SELECT * FROM hosts ORDER BY started_at DESC, id LIMIT 1',
        ).all() as HostRow[]
      ).map(toHost)[0]
      if (holder || Date.now() > deadline) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    return hostConflict(holder, this.path)
  }

  #emit(change: StoreChange): void {
    this.#feed.emit(change)
  }

  /**
   * Deletes the runs matching `where`, PRUNE_BATCH at a time, each batch its own write
   * transaction, so another host's writes wait milliseconds behind a large prune, not seconds;
   * adds each one deleted to `deleted`.
   */
  #deleteInBatches(where: string, values: readonly unknown[], deleted: PrunedRun[]): void {
    const remove = this.#statement(
      `DELETE FROM runs WHERE rowid IN (SELECT rowid FROM runs WHERE ${where} LIMIT ${PRUNE_BATCH})
       RETURNING id, task`,
    )
    for (;;) {
      const batch = remove.all(...values) as PrunedRun[]
      for (const run of batch) deleted.push({ id: run.id, task: run.task })
      if (batch.length < PRUNE_BATCH) return
    }
  }

  /** A prepared statement, cached by its text (listRuns builds a few shapes of query). */
  #statement(sql: string): Statement {
    this.#assertOpen()
    let statement = this.#statements.get(sql)
    if (!statement) {
      statement = this.#db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new TasseError('store', `the run store at ${this.path} is closed`, { tag: STORE_TAG })
    }
  }
}

function isSqliteError(error: unknown, code: string): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === code
}
