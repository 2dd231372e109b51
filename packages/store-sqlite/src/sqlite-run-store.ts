/**
 * The embedded `RunStore`: run history and scheduler state in one SQLite file, through
 * better-sqlite3. WAL journal (readers never wait for the writer, other processes see each
 * commit), a busy timeout (two hosts on one file wait for each other instead of failing), and
 * a versioned schema migrated at open.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import {
  checkPruneOptions,
  checkRunLimit,
  decodeRunCursor,
  encodeRunCursor,
  FINAL_RUN_STATUSES,
  type PruneOptions,
  RUN_STATUSES,
  type Run,
  type RunPage,
  type RunQuery,
  type RunStore,
  type TaskState,
  tasseMessage,
} from '@tasse/core'
import Database, { type Statement } from 'better-sqlite3'
import { MIGRATIONS, type Migration, migrate } from './migrations.js'

/** The tag of every message of this package: `[tasse] [store-sqlite] …`. */
export const STORE_TAG = 'store-sqlite'

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
   * The schema's migrations. Only for tests of the migration machinery.
   * @default MIGRATIONS
   */
  migrations?: readonly Migration[]
}

const DEFAULT_BUSY_TIMEOUT_MS = 5_000
/** Runs deleted per write transaction by `pruneRuns`. */
const PRUNE_BATCH = 5_000

const UNFINISHED = RUN_STATUSES.filter((status) => !FINAL_RUN_STATUSES.has(status))
const FINAL = RUN_STATUSES.filter((status) => FINAL_RUN_STATUSES.has(status))

/** Each patchable field of a run and its column. */
const COLUMNS = {
  reason: 'reason',
  params: 'params',
  scheduledAt: 'scheduled_at',
  queuedAt: 'queued_at',
  startedAt: 'started_at',
  endedAt: 'ended_at',
  status: 'status',
  exitCode: 'exit_code',
  signal: 'signal',
  attempt: 'attempt',
  retryOf: 'retry_of',
  error: 'error',
  pid: 'pid',
  pidStartedAt: 'pid_started_at',
} as const satisfies Record<Exclude<keyof Run, 'id' | 'task'>, string>

type RunPatch = Parameters<RunStore['updateRun']>[1]

interface RunRow {
  id: string
  task: string
  reason: Run['reason']
  params: string
  scheduled_at: number | null
  queued_at: number
  started_at: number | null
  ended_at: number | null
  status: Run['status']
  exit_code: number | null
  signal: string | null
  attempt: number
  retry_of: string | null
  error: string | null
  pid: number | null
  pid_started_at: number | null
}

interface TaskStateRow {
  task: string
  last_fire_time: number | null
  next_fire_time: number | null
  paused: 0 | 1
}

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
  #closed = false

  constructor(options: SqliteRunStoreOptions) {
    if (typeof options?.path !== 'string' || options.path === '') {
      throw new TypeError(
        tasseMessage(
          `the path option must be the database file, got ${String(options?.path)}`,
          STORE_TAG,
        ),
      )
    }
    this.path = options.path === ':memory:' ? options.path : resolve(options.path)
    this.#db = openDatabase(this.path, options)
  }

  async insertRun(run: Run): Promise<void> {
    try {
      this.#statement(
        `INSERT INTO runs (id, task, reason, params, scheduled_at, queued_at, started_at, ended_at,
           status, exit_code, signal, attempt, retry_of, error, pid, pid_started_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        run.id,
        run.task,
        run.reason,
        JSON.stringify(run.params),
        run.scheduledAt,
        run.queuedAt,
        run.startedAt,
        run.endedAt,
        run.status,
        run.exitCode,
        run.signal,
        run.attempt,
        run.retryOf,
        run.error,
        run.pid,
        run.pidStartedAt,
      )
    } catch (error) {
      if (isSqliteError(error, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
        throw new Error(tasseMessage(`a run with id "${run.id}" already exists`, STORE_TAG), {
          cause: error,
        })
      }
      throw error
    }
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    const columns: string[] = []
    const values: unknown[] = []
    for (const [field, column] of Object.entries(COLUMNS)) {
      const value = patch[field as keyof typeof COLUMNS]
      if (value === undefined) continue // undefined means "leave as is"
      columns.push(column)
      values.push(field === 'params' ? JSON.stringify(value) : value)
    }
    const changes =
      columns.length === 0
        ? (this.#statement('SELECT count(*) AS n FROM runs WHERE id = ?').get(id) as { n: number })
            .n
        : this.#statement(
            `UPDATE runs SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`,
          ).run(...values, id).changes
    if (changes === 0) throw new Error(tasseMessage(`no run with id "${id}" to update`, STORE_TAG))
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

  async setTaskState(state: TaskState): Promise<void> {
    this.#statement(
      `INSERT INTO task_state (task, last_fire_time, next_fire_time, paused) VALUES (?, ?, ?, ?)
       ON CONFLICT (task) DO UPDATE SET last_fire_time = excluded.last_fire_time,
         next_fire_time = excluded.next_fire_time, paused = excluded.paused`,
    ).run(state.task, state.lastFireTime, state.nextFireTime, state.paused ? 1 : 0)
  }

  async listTaskStates(): Promise<TaskState[]> {
    const rows = this.#statement('SELECT * FROM task_state ORDER BY task').all() as TaskStateRow[]
    return rows.map(toTaskState)
  }

  async pruneRuns(options: PruneOptions): Promise<number> {
    const { olderThanMs, keepPerTask, now } = checkPruneOptions(options, STORE_TAG)
    this.#assertOpen()
    const finished = `status IN (${FINAL.map(() => '?').join(', ')})`
    let deleted = 0
    // By count first, so that ranks count every run the call started with, as the contract says.
    if (keepPerTask !== undefined) {
      const tasks = this.#statement('SELECT DISTINCT task FROM runs').pluck().all() as string[]
      const nth = this.#statement(
        'SELECT id FROM runs WHERE task = ? ORDER BY id DESC LIMIT 1 OFFSET ?',
      )
      for (const task of tasks) {
        if (keepPerTask === 0) {
          deleted += this.#deleteInBatches(`task = ? AND ${finished}`, [task, ...FINAL])
          continue
        }
        // Every run older than the task's keepPerTask-th newest ranks beyond it.
        const oldestKept = nth.pluck().get(task, keepPerTask - 1) as string | undefined
        if (oldestKept === undefined) continue
        deleted += this.#deleteInBatches(`task = ? AND id < ? AND ${finished}`, [
          task,
          oldestKept,
          ...FINAL,
        ])
      }
    }
    if (olderThanMs !== undefined) {
      const cutoff = (now ?? Date.now()) - olderThanMs
      deleted += this.#deleteInBatches(`queued_at < ? AND ${finished}`, [cutoff, ...FINAL])
    }
    return deleted
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#statements.clear()
    this.#db.close()
  }

  /**
   * Deletes the runs matching `where`, PRUNE_BATCH at a time, each batch its own write
   * transaction, so another host's writes wait milliseconds behind a large prune, not seconds.
   */
  #deleteInBatches(where: string, values: readonly unknown[]): number {
    const remove = this.#statement(
      `DELETE FROM runs WHERE rowid IN (SELECT rowid FROM runs WHERE ${where} LIMIT ${PRUNE_BATCH})`,
    )
    let deleted = 0
    for (;;) {
      const { changes } = remove.run(...values)
      deleted += changes
      if (changes < PRUNE_BATCH) return deleted
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
      throw new Error(tasseMessage(`the run store at ${this.path} is closed`, STORE_TAG))
    }
  }
}

/** Opens the file and brings it to the current schema; one message for whatever goes wrong. */
function openDatabase(path: string, options: SqliteRunStoreOptions): Database.Database {
  let db: Database.Database | undefined
  try {
    if (path !== ':memory:') createDirectory(dirname(path))
    db = new Database(path, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS })
    // WAL: readers and one writer at once, across processes; NORMAL sync is durable across a
    // crash of the process (a power loss may lose the last commits, never corrupt the file).
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    migrate(db, options.migrations ?? MIGRATIONS)
    return db
  } catch (error) {
    db?.close()
    const reason = error instanceof Error ? error.message : String(error)
    throw new Error(
      tasseMessage(
        `cannot open the run store at ${path}: ${reason} (check that the directory is writable ` +
          'by this user, or set the store path to another file)',
        STORE_TAG,
      ),
      { cause: error },
    )
  }
}

function createDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw error
    // Node says "file already exists"; name the file that stands where a directory should be.
    let blocker = dir
    while (!existsSync(blocker) && dirname(blocker) !== blocker) blocker = dirname(blocker)
    throw new Error(`cannot create its directory, ${blocker} is a file`, { cause: error })
  }
}

function toRun(row: RunRow): Run {
  return {
    id: row.id,
    task: row.task,
    reason: row.reason,
    params: JSON.parse(row.params) as Run['params'],
    scheduledAt: row.scheduled_at,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    status: row.status,
    exitCode: row.exit_code,
    signal: row.signal,
    attempt: row.attempt,
    retryOf: row.retry_of,
    error: row.error,
    pid: row.pid,
    pidStartedAt: row.pid_started_at,
  }
}

function toTaskState(row: TaskStateRow): TaskState {
  return {
    task: row.task,
    lastFireTime: row.last_fire_time,
    nextFireTime: row.next_fire_time,
    paused: row.paused === 1,
  }
}

function isSqliteError(error: unknown, code: string): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === code
}
