/**
 * The `RunStore` on PostgreSQL, through node-postgres (`pg`) with a pool: what several hosts
 * share to run one schedule. A fire time is claimed by a primary key, admission runs under a
 * per-task advisory transaction lock, hosts heartbeat by the server's clock, a dead host's runs
 * are taken over in one transaction, and every change is told through `LISTEN/NOTIFY`.
 */
import {
  type AdmissionWrites,
  type CancelRequest,
  type EpochMicros,
  type ExpiredHosts,
  type ExpireHostsOptions,
  FINAL_RUN_STATUSES,
  type FireClaim,
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
  decodeRunCursor,
  encodeRunCursor,
  finalStatusError,
  type HostRow,
  type OutputRow,
  outputChunkFromRow,
  outputPage,
  type RunRow,
  redactUrl,
  runRowValues as runValues,
  type TaskStateRow,
  takenOverError,
  hostFromRow as toHost,
  runFromRow as toRun,
  taskStateFromRow as toTaskState,
  UNFINISHED_RUN_STATUSES,
} from '@tasse/core/plugin-kit'
import pg from 'pg'
import { CHANNEL, ChangeListener } from './change-listener.js'
import { MIGRATIONS, type Migration, migrate } from './migrations.js'

/** The tag of every message of this package: `[store-postgres] …`. */
export const STORE_TAG = 'store-postgres'

export interface PostgresRunStoreOptions {
  /** `postgres://user:password@host:5432/database` (any form `pg` accepts). */
  url: string
  /** Connections the pool opens at most (the change feed has one more of its own). @default 10 */
  maxConnections?: number
  /** How long to wait for a connection before a call fails (server down). @default 5000 */
  connectTimeoutMs?: number
  /** Bytes of output kept per run (`appendOutput`). @default 1 MiB */
  maxOutputBytes?: number
  /**
   * Told of errors no call is waiting for (an idle connection lost, a feed reconnecting): the
   * pool and the feed recover on their own. @default ignore them
   */
  onError?: (error: unknown) => void
  /** The schema's migrations. Only for tests of the migration machinery. @default MIGRATIONS */
  migrations?: readonly Migration[]
}

const FINAL = RUN_STATUSES.filter((status) => FINAL_RUN_STATUSES.has(status))
const IN = (statuses: readonly string[]) => `(${statuses.map((s) => `'${s}'`).join(', ')})`
const UNFINISHED = IN(UNFINISHED_RUN_STATUSES)
const FINISHED = IN(FINAL)
/** The server's clock in epoch ms: hosts on machines with skewed clocks agree on leases. */
const SERVER_NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint'
/** First key of the per-task advisory locks of admission ('adm' in ASCII). */
const ADMISSION_LOCK = 0x61646d
/** Runs deleted per statement by `pruneRuns`, so that no prune holds locks for long. */
const PRUNE_BATCH = 5_000
const INT8_OID = 20

/** The pool (a connection per statement) or one connection (a transaction). */
type Queryable = pg.Pool | pg.PoolClient

/** bigint columns as numbers: every value Tasse stores (µs to the year 2255) is a safe integer. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
}

/**
 * Connects to PostgreSQL (lazily: the first call connects and migrates the database).
 *
 * @example
 * const store = createPostgresRunStore({ url: process.env.TASSE_STORE! })
 * const won = await store.claimFire('report', fireTime, { hostId })
 */
export function createPostgresRunStore(options: PostgresRunStoreOptions): PostgresRunStore {
  return new PostgresRunStore(options)
}

export class PostgresRunStore implements RunStore {
  readonly name = 'postgres'
  /** The server and database, without the password, for messages. */
  readonly where: string

  readonly #pool: pg.Pool
  readonly #feed: ChangeListener
  readonly #maxOutputBytes: number
  readonly #migrations: readonly Migration[]
  #ready: Promise<void> | null = null
  #closed = false
  /** Per task, the last admission asked of this store object (they run one after the other). */
  readonly #admissions = new Map<string, Promise<void>>()

  constructor(options: PostgresRunStoreOptions) {
    if (typeof options?.url !== 'string' || options.url === '')
      throw new TasseError(
        'invalid_argument',
        `the url option must be a postgres:// URL, got ${String(options?.url)}`,
        { tag: STORE_TAG },
      )
    this.where = redactUrl(options.url)
    this.#maxOutputBytes = checkOutputCap(options.maxOutputBytes, STORE_TAG)
    this.#migrations = options.migrations ?? MIGRATIONS
    const onError = options.onError ?? (() => {})
    const config = {
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      types,
    }
    this.#pool = new pg.Pool({ ...config, max: options.maxConnections ?? 10 })
    // An idle connection the server dropped must not end the host: the pool opens another.
    this.#pool.on('error', onError)
    this.#feed = new ChangeListener(config, onError)
  }

  async insertRun(run: Run): Promise<void> {
    await this.#insert(await this.#client(), run)
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    await this.#update(await this.#client(), id, patch)
  }

  async getRun(id: string): Promise<Run | undefined> {
    const row = await this.#one<RunRow>('SELECT * FROM runs WHERE id = $1', [id])
    return row && toRun(row)
  }

  async listRuns(query: RunQuery = {}): Promise<RunPage> {
    const limit = checkRunLimit(query.limit, STORE_TAG)
    const where: string[] = []
    const values: unknown[] = []
    const param = (value: unknown) => `$${values.push(value)}`
    if (query.task !== undefined) where.push(`task = ${param(query.task)}`)
    if (query.status !== undefined) where.push(`status = ANY(${param([...query.status])})`)
    if (query.from !== undefined) where.push(`queued_at >= ${param(query.from)}`)
    if (query.to !== undefined) where.push(`queued_at <= ${param(query.to)}`)
    if (query.cursor !== undefined)
      where.push(`id < ${param(decodeRunCursor(query.cursor, STORE_TAG))}`)
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : ''
    // One row more than asked tells whether there is a next page.
    const rows = await this.#all<RunRow>(
      `SELECT * FROM runs ${filter} ORDER BY id DESC LIMIT ${param(limit + 1)}`,
      values,
    )
    const more = rows.length > limit
    const runs = (more ? rows.slice(0, limit) : rows).map(toRun)
    const last = runs[runs.length - 1]
    return { runs, nextCursor: more && last ? encodeRunCursor(last.id) : null }
  }

  async unfinishedRuns(): Promise<Run[]> {
    return (
      await this.#all<RunRow>(`SELECT * FROM runs WHERE status IN ${UNFINISHED} ORDER BY id`)
    ).map(toRun)
  }

  async getTaskState(task: string): Promise<TaskState | undefined> {
    const row = await this.#one<TaskStateRow>('SELECT * FROM task_state WHERE task = $1', [task])
    return row && toTaskState(row)
  }

  async setTaskState(state: TaskStateWrite): Promise<void> {
    // Without `paused`, one statement keeps the stored one: another host's pause between a
    // read and a write cannot be undone.
    await this.#all(
      `INSERT INTO task_state (task, last_fire_time, next_fire_time, paused)
       VALUES ($1, $2, $3, coalesce($4::boolean, false))
       ON CONFLICT (task) DO UPDATE SET last_fire_time = excluded.last_fire_time,
         next_fire_time = excluded.next_fire_time,
         paused = coalesce($4::boolean, task_state.paused)`,
      [state.task, state.lastFireTime, state.nextFireTime, state.paused ?? null],
    )
  }

  async listTaskStates(): Promise<TaskState[]> {
    return (await this.#all<TaskStateRow>('SELECT * FROM task_state ORDER BY task')).map(
      toTaskState,
    )
  }

  async pruneRuns(options: Parameters<RunStore['pruneRuns']>[0]): Promise<PrunedRun[]> {
    const { olderThanMs, keepPerTask, outputOlderThanMs, now } = checkPruneOptions(
      options,
      STORE_TAG,
    )
    const at = now ?? Date.now()
    if (outputOlderThanMs !== undefined)
      await this.#all(
        `DELETE FROM run_output WHERE run_id IN
           (SELECT id FROM runs WHERE queued_at < $1 AND status IN ${FINISHED})`,
        [at - outputOlderThanMs],
      )
    const deleted: PrunedRun[] = []
    // By count first, so that ranks count every run the call started with, as the contract says.
    if (keepPerTask !== undefined)
      await this.#deleteInBatches(
        `SELECT id FROM (SELECT id, status, row_number() OVER (PARTITION BY task ORDER BY id DESC)
           AS rank FROM runs) ranked WHERE rank > $1 AND status IN ${FINISHED}`,
        [keepPerTask],
        deleted,
      )
    if (olderThanMs !== undefined) {
      await this.#deleteInBatches(
        `SELECT id FROM runs WHERE queued_at < $1 AND status IN ${FINISHED}`,
        [at - olderThanMs],
        deleted,
      )
      await this.#all('DELETE FROM fire_claims WHERE scheduled_at < $1', [
        (at - olderThanMs) * 1000,
      ])
    }
    return deleted
  }

  async claimFire(
    task: string,
    scheduledAt: EpochMicros,
    by: { hostId: string; attempt?: number },
  ): Promise<boolean> {
    const attempt = checkClaim(task, scheduledAt, by, STORE_TAG)
    return this.#claim(await this.#client(), task, scheduledAt, attempt, by.hostId)
  }

  /**
   * Inserts a claim unless one is there: true when this call made it. A claim another
   * transaction inserted and has not committed yet waits for it (the unique key's lock).
   */
  async #claim(
    client: pg.Pool | pg.PoolClient,
    task: string,
    scheduledAt: EpochMicros,
    attempt: number,
    hostId: string,
  ): Promise<boolean> {
    const { rowCount } = await client.query(
      `INSERT INTO fire_claims (task, scheduled_at, attempt, host_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [task, scheduledAt, attempt, hostId],
    )
    return rowCount === 1
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
    // Admissions of one task wait for each other here first, without a connection: a burst of
    // requests to one task would otherwise hold every connection of the pool waiting for the
    // lock below, and the other calls (and the burst's last requests) time out.
    const before = this.#admissions.get(task) ?? Promise.resolve()
    const admitted = before.then(() => this.#admit(task, decide, claim && { ...claim, attempt }))
    const settled = admitted.then(
      () => {},
      () => {},
    )
    this.#admissions.set(task, settled)
    void settled.then(() => {
      if (this.#admissions.get(task) === settled) this.#admissions.delete(task)
    })
    return admitted
  }

  #admit<D extends AdmissionWrites>(
    task: string,
    decide: (active: readonly Run[]) => D,
    claim: Required<FireClaim> | undefined,
  ): Promise<D | null> {
    return this.#transaction(async (client) => {
      // The claim first: a transaction that holds the task's lock below never waits for a claim.
      if (
        claim &&
        !(await this.#claim(client, task, claim.scheduledAt, claim.attempt, claim.hostId))
      )
        return null
      // Every admission of the task waits here for the one before to commit: the decision is
      // made over what every host has admitted so far.
      await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ADMISSION_LOCK, task])
      const { rows } = await client.query<RunRow>(
        `SELECT * FROM runs WHERE task = $1 AND status IN ${UNFINISHED} ORDER BY id`,
        [task],
      )
      const active = rows.map(toRun)
      const writes = decide(active.map((run) => ({ ...run, params: { ...run.params } })))
      checkAdmissionWrites(task, active, writes, STORE_TAG)
      if (writes.insert) await this.#insert(client, writes.insert)
      for (const { id, patch } of writes.update ?? []) await this.#update(client, id, patch)
      for (const { runId, reason } of writes.cancel ?? [])
        await this.#requestCancel(client, runId, { reason, requestedBy: null })
      return writes
    })
  }

  async registerHost(host: HostRegistration, options: { now?: number } = {}): Promise<HostRecord> {
    checkHostRegistration(host, STORE_TAG)
    try {
      const row = await this.#one<HostRow>(
        `WITH at AS (SELECT coalesce($5::bigint, ${SERVER_NOW}) AS now)
         INSERT INTO hosts (id, name, pid, url, started_at, heartbeat_at)
         SELECT $1, $2, $3, $4, now, now FROM at RETURNING *`,
        [host.id, host.name, host.pid, host.url, options.now ?? null],
      )
      await this.#notify({ type: 'host', id: host.id, event: 'registered' })
      return toHost(row as HostRow)
    } catch (error) {
      if ((error as { code?: string }).code === '23505')
        throw new TasseError('store', `a host with id "${host.id}" is already registered`, {
          tag: STORE_TAG,
          cause: error,
        })
      throw error
    }
  }

  async heartbeat(hostId: string, options: { now?: number } = {}): Promise<boolean> {
    const client = await this.#client()
    const { rowCount } = await client.query(
      `UPDATE hosts SET heartbeat_at = coalesce($2::bigint, ${SERVER_NOW}) WHERE id = $1`,
      [hostId, options.now ?? null],
    )
    return rowCount === 1
  }

  async listHosts(): Promise<HostRecord[]> {
    return (await this.#all<HostRow>('SELECT * FROM hosts ORDER BY id')).map(toHost)
  }

  async expireHosts(options: ExpireHostsOptions): Promise<ExpiredHosts> {
    const leaseMs = checkLease(options.leaseMs, STORE_TAG)
    return this.#transaction(async (client) => {
      const now = Number(
        (
          await client.query<{ now: number }>(`SELECT coalesce($1::bigint, ${SERVER_NOW}) AS now`, [
            options.now ?? null,
          ])
        ).rows[0]?.now,
      )
      // Two hosts expiring at once: the second waits on the rows the first deletes, then finds
      // them gone; the runs below are locked the same way, so each is taken over once.
      const hosts = (
        await client.query<HostRow>('DELETE FROM hosts WHERE heartbeat_at < $1 RETURNING *', [
          now - leaseMs,
        ])
      ).rows
        .map(toHost)
        .sort((a, b) => (a.id < b.id ? -1 : 1))
      const byId = new Map(hosts.map((host) => [host.id, host]))
      const orphans = (
        await client.query<RunRow>(
          `SELECT * FROM runs WHERE host_id IS NOT NULL AND status IN ${UNFINISHED}
             AND host_id NOT IN (SELECT id FROM hosts) ORDER BY id FOR UPDATE`,
        )
      ).rows
      const runs: Run[] = []
      for (const row of orphans) {
        const host = byId.get(row.host_id as string) ?? null
        const error = options.error?.(host, toRun(row)) ?? takenOverError(host, leaseMs)
        const { rows } = await client.query<RunRow>(
          `UPDATE runs SET status = 'interrupted', error = $2, ended_at = $3
           WHERE id = $1 AND status IN ${UNFINISHED} RETURNING *`,
          [row.id, error, now],
        )
        if (rows[0]) runs.push(toRun(rows[0]))
      }
      for (const host of hosts)
        await this.#notify({ type: 'host', id: host.id, event: 'expired' }, client)
      return { hosts, runs }
    })
  }

  async unregisterHost(hostId: string): Promise<void> {
    const client = await this.#client()
    const { rowCount } = await client.query('DELETE FROM hosts WHERE id = $1', [hostId])
    if (rowCount) await this.#notify({ type: 'host', id: hostId, event: 'unregistered' })
  }

  async requestCancel(
    runId: string,
    request: { reason: string; requestedBy: string | null; now?: number },
  ): Promise<boolean> {
    return this.#requestCancel(await this.#client(), runId, request)
  }

  async cancelRequests(hostId: string | null): Promise<CancelRequest[]> {
    const rows = await this.#all<CancelRequestRow>(cancelRequestsQuery('$1', UNFINISHED), [hostId])
    return rows.map(cancelRequestFromRow)
  }

  async appendOutput(runId: string, chunk: OutputChunk): Promise<OutputAppend> {
    checkOutputChunk(runId, chunk, STORE_TAG)
    // PostgreSQL's text cannot hold NUL: a space of the same size keeps every offset right.
    const kept = capChunk(
      { ...chunk, text: chunk.text.replaceAll('\0', ' ') },
      this.#maxOutputBytes,
    )
    // Where the cap cut everything, an empty chunk at the cap marks the cut.
    const offset = kept.bytes === 0 && kept.truncated ? this.#maxOutputBytes : chunk.offset
    try {
      await this.#all(
        `INSERT INTO run_output (run_id, byte_offset, stream, time, text, bytes, truncated)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [runId, offset, chunk.stream, chunk.time, kept.text, kept.bytes, kept.truncated],
      )
    } catch (error) {
      if ((error as { code?: string }).code === '23503')
        throw new TasseError('store', `no run with id "${runId}" to append output to`, {
          tag: STORE_TAG,
          cause: error,
        })
      throw error
    }
    return { kept: kept.bytes, truncated: kept.truncated }
  }

  async readOutput(
    runId: string,
    options?: { from?: number; limit?: number },
  ): Promise<OutputPage> {
    const { from, limit } = checkOutputRead(options, STORE_TAG)
    const rows = await this.#all<OutputRow & { cut: boolean }>(
      `SELECT *, EXISTS (SELECT 1 FROM run_output WHERE run_id = $1 AND truncated) AS cut
       FROM run_output WHERE run_id = $1 AND byte_offset + bytes > $2
       ORDER BY byte_offset LIMIT $3`,
      [runId, from, limit + 1],
    )
    const truncated =
      rows[0]?.cut ??
      (await this.#one('SELECT 1 FROM run_output WHERE run_id = $1 AND truncated', [runId])) !==
        undefined
    return outputPage(rows.map(outputChunkFromRow), from, limit, truncated)
  }

  async subscribe(listener: (change: StoreChange) => void): Promise<() => Promise<void>> {
    await this.#migrated()
    return this.#feed.subscribe(listener)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#feed.close()
    await this.#pool.end()
  }

  // ---------------------------------------------------------------------------------------

  async #insert(client: Queryable, run: Run): Promise<void> {
    const values = runValues(run)
    try {
      await client.query(
        `INSERT INTO runs (id, task, ${Object.values(COLUMNS).join(', ')})
         VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`,
        values,
      )
    } catch (error) {
      if ((error as { code?: string }).code === '23505')
        throw new TasseError('store', `a run with id "${run.id}" already exists`, {
          tag: STORE_TAG,
          cause: error,
        })
      throw error
    }
  }

  async #update(client: Queryable, id: string, patch: RunPatch): Promise<void> {
    const sets: string[] = []
    const values: unknown[] = [id, patch.status ?? null]
    for (const [field, column] of Object.entries(COLUMNS)) {
      const value = patch[field as keyof typeof COLUMNS]
      if (value === undefined) continue // undefined means "leave as is"
      values.push(field === 'params' ? JSON.stringify(value) : value)
      sets.push(`${column} = $${values.length}`)
    }
    // One statement: a final status is kept, whoever else writes meanwhile.
    const { rowCount } = await client.query(
      sets.length === 0
        ? 'SELECT 1 FROM runs WHERE id = $1 AND $2::text IS NULL'
        : `UPDATE runs SET ${sets.join(', ')} WHERE id = $1
             AND NOT (status IN ${FINISHED} AND $2::text IS NOT NULL AND status <> $2::text)`,
      values,
    )
    if (rowCount) return
    const current = (
      await client.query<{ status: Run['status'] }>('SELECT status FROM runs WHERE id = $1', [id])
    ).rows[0]?.status
    if (current && changesFinalStatus(current, patch))
      throw finalStatusError(id, current, patch, STORE_TAG)
    throw new TasseError('store', `no run with id "${id}" to update`, { tag: STORE_TAG })
  }

  async #requestCancel(
    client: Queryable,
    runId: string,
    request: { reason: string; requestedBy: string | null; now?: number },
  ): Promise<boolean> {
    const { rows } = await client.query<{ unfinished: boolean }>(
      `WITH run AS (SELECT id FROM runs WHERE id = $1 AND status IN ${UNFINISHED}),
         added AS (INSERT INTO cancel_requests (run_id, reason, requested_by, requested_at)
           SELECT id, $2, $3, coalesce($4::bigint, ${SERVER_NOW}) FROM run
           ON CONFLICT DO NOTHING RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM run) AS unfinished`,
      [runId, request.reason, request.requestedBy, request.now ?? null],
    )
    return rows[0]?.unfinished === true
  }

  /** Deletes the runs `select` finds (an `id` query), PRUNE_BATCH at a time. */
  /** Deletes what `select` names, PRUNE_BATCH at a time; adds each run deleted to `deleted`. */
  async #deleteInBatches(select: string, values: unknown[], deleted: PrunedRun[]): Promise<void> {
    for (;;) {
      const { rows } = await (await this.#client()).query<PrunedRun>(
        `DELETE FROM runs WHERE id IN (${select} LIMIT ${PRUNE_BATCH}) RETURNING id, task`,
        values,
      )
      for (const run of rows) deleted.push({ id: run.id, task: run.task })
      if (rows.length < PRUNE_BATCH) return
    }
  }

  /** Tells every host's feed of a change that no table trigger tells (hosts come and go). */
  async #notify(change: StoreChange, client?: Queryable): Promise<void> {
    await (client ?? (await this.#client())).query('SELECT pg_notify($1, $2)', [
      CHANNEL,
      JSON.stringify(change),
    ])
  }

  async #all<R extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<R[]> {
    return (await (await this.#client()).query<R>(sql, values)).rows
  }

  async #one<R extends pg.QueryResultRow>(
    sql: string,
    values: unknown[] = [],
  ): Promise<R | undefined> {
    return (await this.#all<R>(sql, values))[0]
  }

  /** `fn` in a transaction on one connection, committed, or rolled back if it throws. */
  async #transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    await this.#migrated()
    const client = await this.#pool.connect()
    const lost = holdSafely(client)
    try {
      await client.query('BEGIN')
      const result = await fn(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      lost.release()
    }
  }

  /**
   * The pool, once the database is migrated. Queries on the pool itself take a connection for
   * each statement and give it back; only transactions hold one.
   */
  async #client(): Promise<pg.Pool> {
    await this.#migrated()
    return this.#pool
  }

  /** Migrates the database on first use; after a failure (server down), tries again next call. */
  #migrated(): Promise<void> {
    if (this.#closed)
      return Promise.reject(
        new TasseError('store', `the run store at ${this.where} is closed`, { tag: STORE_TAG }),
      )
    this.#ready ??= (async () => {
      let client: { release(): void } | undefined
      try {
        const held = await this.#pool.connect()
        client = holdSafely(held)
        await migrate(held, this.#migrations)
      } catch (error) {
        this.#ready = null
        const reason = error instanceof Error ? error.message : String(error)
        throw new TasseError(
          'store',
          `cannot open the run store at ${this.where}: ${reason} (check that the server ` +
            'is running and reachable, and the URL, user and password)',
          { tag: STORE_TAG, cause: error },
        )
      } finally {
        client?.release()
      }
    })()
    return this.#ready
  }
}

/**
 * Guards a connection taken from the pool while it is held: the server ending it (stopped,
 * restarted) emits `error` on it, which without a listener ends the host; the query in progress
 * fails by itself. `release()` gives it back, or has the pool drop it once it failed so.
 */
function holdSafely(client: pg.PoolClient): { release(): void } {
  let failure: Error | undefined
  const failed = (error: Error) => {
    failure = error
  }
  client.on('error', failed)
  return {
    release() {
      // A failed connection keeps the listener: it may say more while the pool ends it.
      if (!failure) client.off('error', failed)
      client.release(failure)
    },
  }
}
