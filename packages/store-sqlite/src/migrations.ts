/**
 * The schema, as a list of migrations. The file's `PRAGMA user_version` is the number of the
 * last migration applied; opening a store applies the ones after it, in order, in one write
 * transaction, so a crash mid-way leaves the previous version and two hosts opening the same
 * file at once migrate it once.
 *
 * Never edit a migration that has been released: add the next one.
 */
import { checkMigrationOrder, NewerSchemaError } from '@tasse/core/plugin-kit'
import type { Database } from 'better-sqlite3'

export { NewerSchemaError }

export interface Migration {
  /** 1, 2, 3…: the `user_version` the file has once it is applied. */
  version: number
  /** What it changes, for error messages. */
  description: string
  up(db: Database): void
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'create runs and task_state',
    up(db) {
      db.exec(`
        CREATE TABLE runs (
          id             TEXT PRIMARY KEY NOT NULL, -- sortable: ids compare in creation order
          task           TEXT NOT NULL,
          reason         TEXT NOT NULL,
          params         TEXT NOT NULL CHECK (json_valid(params)), -- JSON object of strings
          scheduled_at   INTEGER,           -- µs since the epoch; null for a triggered run
          queued_at      INTEGER NOT NULL,  -- ms since the epoch, as the other times
          started_at     INTEGER,
          ended_at       INTEGER,
          status         TEXT NOT NULL,
          exit_code      INTEGER,
          signal         TEXT,
          attempt        INTEGER NOT NULL,
          retry_of       TEXT,
          error          TEXT,
          pid            INTEGER,
          pid_started_at INTEGER
        );
        -- A task's history, newest first (and retention per task).
        CREATE INDEX runs_task_id ON runs (task, id);
        -- Unfinished runs, for crash recovery, and status filters.
        CREATE INDEX runs_status ON runs (status);
        -- from/to filters and retention by age.
        CREATE INDEX runs_queued_at ON runs (queued_at);

        CREATE TABLE task_state (
          task           TEXT PRIMARY KEY NOT NULL,
          last_fire_time INTEGER, -- µs
          next_fire_time INTEGER, -- µs
          paused         INTEGER NOT NULL CHECK (paused IN (0, 1))
        );
      `)
    },
  },
  {
    version: 2,
    description: 'add run owners, fire-time claims, hosts, cancel requests and run output',
    up(db) {
      db.exec(`
        ALTER TABLE runs ADD COLUMN host_id TEXT; -- the host that owns the run, null for none
        -- The unfinished runs of a host, for taking them over when it dies.
        CREATE INDEX runs_host_unfinished ON runs (host_id) WHERE status IN ('queued', 'running');

        -- One row per claimed fire time: the primary key is what makes a claim exactly once.
        CREATE TABLE fire_claims (
          task         TEXT NOT NULL,
          scheduled_at INTEGER NOT NULL, -- µs
          attempt      INTEGER NOT NULL,
          host_id      TEXT NOT NULL,
          claimed_at   INTEGER NOT NULL, -- ms
          PRIMARY KEY (task, scheduled_at, attempt)
        ) WITHOUT ROWID;
        CREATE INDEX fire_claims_scheduled_at ON fire_claims (scheduled_at);

        CREATE TABLE hosts (
          id           TEXT PRIMARY KEY NOT NULL,
          name         TEXT NOT NULL,
          pid          INTEGER NOT NULL,
          url          TEXT,
          started_at   INTEGER NOT NULL, -- ms
          heartbeat_at INTEGER NOT NULL  -- ms
        );

        CREATE TABLE cancel_requests (
          run_id       TEXT PRIMARY KEY NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          reason       TEXT NOT NULL,
          requested_by TEXT,
          requested_at INTEGER NOT NULL -- ms
        );

        CREATE TABLE run_output (
          run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
          byte_offset INTEGER NOT NULL, -- UTF-8 bytes of the run's output before this chunk
          stream      TEXT NOT NULL,
          time        INTEGER NOT NULL, -- ms
          text        TEXT NOT NULL,
          bytes       INTEGER NOT NULL, -- UTF-8 bytes of text
          truncated   INTEGER NOT NULL CHECK (truncated IN (0, 1)), -- the cap cut the output here
          PRIMARY KEY (run_id, byte_offset)
        ) WITHOUT ROWID;
      `)
    },
  },
  {
    version: 3,
    description: "add runs' resource usage (peak memory, CPU time, output bytes)",
    up(db) {
      db.exec(`
        ALTER TABLE runs ADD COLUMN peak_memory_bytes  INTEGER; -- null: not measured
        ALTER TABLE runs ADD COLUMN cpu_user_seconds   REAL;
        ALTER TABLE runs ADD COLUMN cpu_system_seconds REAL;
        ALTER TABLE runs ADD COLUMN output_bytes       INTEGER;
      `)
    },
  },
]

/** What `migrate` did: the file's version before and after. */
export interface MigrationResult {
  from: number
  to: number
}

/**
 * Brings the file's schema to the last version of `migrations` inside one `BEGIN IMMEDIATE`
 * transaction (taking the write lock first, so another process cannot migrate in between).
 * Throws when the file is newer than every migration known here.
 */
export function migrate(
  db: Database,
  migrations: readonly Migration[] = MIGRATIONS,
): MigrationResult {
  checkMigrationOrder(migrations)
  const latest = migrations[migrations.length - 1]?.version ?? 0
  const run = db.transaction((): MigrationResult => {
    const from = db.pragma('user_version', { simple: true }) as number
    if (from > latest)
      throw new NewerSchemaError(from, latest, '@tasse/store-sqlite', '(or use another file)')
    for (const migration of migrations) {
      if (migration.version > from) migration.up(db)
    }
    if (latest !== from) db.pragma(`user_version = ${latest}`)
    return { from, to: latest }
  })
  return run.immediate()
}
