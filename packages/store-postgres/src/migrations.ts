/**
 * The schema, as a list of migrations, and how a store brings a database to the last one: in
 * one transaction holding an advisory lock, so that a crash mid-way leaves the previous version
 * and several hosts starting at once migrate once (the others wait, then find nothing to do).
 * Applied versions are rows of `tasse_migrations`.
 *
 * Never edit a migration that has been released: add the next one.
 */
import { checkMigrationOrder, NewerSchemaError } from '@tasse/core/plugin-kit'
import type { PoolClient } from 'pg'

export { NewerSchemaError }

export interface Migration {
  /** 1, 2, 3…: the version the database has once it is applied. */
  version: number
  /** What it changes, kept in `tasse_migrations` and shown in errors. */
  description: string
  /** SQL run inside the migration's transaction. */
  sql: string
}

/** Key of the advisory lock held while migrating (any constant; 'tasse' in ASCII). */
const MIGRATION_LOCK = 0x7461737365

const UNFINISHED = "('queued', 'running')"

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'create runs, task_state, fire_claims, hosts, cancel_requests, run_output',
    sql: `
      CREATE TABLE runs (
        id             text COLLATE "C" PRIMARY KEY, -- sortable: ids compare in creation order
        task           text COLLATE "C" NOT NULL,
        reason         text NOT NULL,
        params         jsonb NOT NULL,  -- object of strings
        scheduled_at   bigint,          -- µs since the epoch; null for a triggered run
        queued_at      bigint NOT NULL, -- ms since the epoch, as the other times
        started_at     bigint,
        ended_at       bigint,
        status         text NOT NULL,
        exit_code      integer,
        signal         text,
        attempt        integer NOT NULL,
        retry_of       text,
        error          text,
        pid            integer,
        pid_started_at bigint,
        host_id        text COLLATE "C" -- the host that owns the run
      );
      CREATE INDEX runs_task_id ON runs (task, id);
      CREATE INDEX runs_status ON runs (status);
      CREATE INDEX runs_queued_at ON runs (queued_at);
      CREATE INDEX runs_host_unfinished ON runs (host_id) WHERE status IN ${UNFINISHED};

      CREATE TABLE task_state (
        task           text COLLATE "C" PRIMARY KEY,
        last_fire_time bigint, -- µs
        next_fire_time bigint, -- µs
        paused         boolean NOT NULL
      );

      -- One row per claimed fire time: the primary key makes a claim exactly once.
      CREATE TABLE fire_claims (
        task         text COLLATE "C" NOT NULL,
        scheduled_at bigint NOT NULL, -- µs
        attempt      integer NOT NULL,
        host_id      text NOT NULL,
        claimed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (task, scheduled_at, attempt)
      );
      CREATE INDEX fire_claims_scheduled_at ON fire_claims (scheduled_at);

      CREATE TABLE hosts (
        id           text COLLATE "C" PRIMARY KEY,
        name         text NOT NULL,
        pid          integer NOT NULL,
        url          text,
        started_at   bigint NOT NULL, -- ms, by the server's clock unless a test gives one
        heartbeat_at bigint NOT NULL
      );

      CREATE TABLE cancel_requests (
        run_id       text COLLATE "C" PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
        reason       text NOT NULL,
        requested_by text,
        requested_at bigint NOT NULL
      );

      CREATE TABLE run_output (
        run_id      text COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        byte_offset bigint NOT NULL, -- UTF-8 bytes of the run's output before this chunk
        stream      text NOT NULL,
        time        bigint NOT NULL,
        text        text NOT NULL,
        bytes       integer NOT NULL,
        truncated   boolean NOT NULL, -- the cap cut the output here
        PRIMARY KEY (run_id, byte_offset)
      );

      -- The change feed: every committed change is told on channel tasse_changes.
      CREATE FUNCTION tasse_notify_run() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('tasse_changes', json_build_object('type', 'run', 'id', NEW.id,
          'task', NEW.task, 'status', NEW.status, 'hostId', NEW.host_id)::text);
        RETURN NULL;
      END $$;
      CREATE TRIGGER runs_notify AFTER INSERT OR UPDATE ON runs
        FOR EACH ROW EXECUTE FUNCTION tasse_notify_run();

      CREATE FUNCTION tasse_notify_task_state() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('tasse_changes',
          json_build_object('type', 'task-state', 'task', NEW.task)::text);
        RETURN NULL;
      END $$;
      CREATE TRIGGER task_state_notify AFTER INSERT OR UPDATE ON task_state
        FOR EACH ROW EXECUTE FUNCTION tasse_notify_task_state();

      CREATE FUNCTION tasse_notify_cancel() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('tasse_changes', json_build_object('type', 'cancel',
          'runId', NEW.run_id,
          'hostId', (SELECT host_id FROM runs WHERE id = NEW.run_id))::text);
        RETURN NULL;
      END $$;
      CREATE TRIGGER cancel_requests_notify AFTER INSERT ON cancel_requests
        FOR EACH ROW EXECUTE FUNCTION tasse_notify_cancel();

      CREATE FUNCTION tasse_notify_output() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('tasse_changes', json_build_object('type', 'output',
          'runId', NEW.run_id, 'next', NEW.byte_offset + NEW.bytes)::text);
        RETURN NULL;
      END $$;
      CREATE TRIGGER run_output_notify AFTER INSERT ON run_output
        FOR EACH ROW WHEN (NEW.bytes > 0) EXECUTE FUNCTION tasse_notify_output();
    `,
  },
  {
    version: 2,
    description: "add runs' resource usage (peak memory, CPU time, output bytes)",
    sql: `
      ALTER TABLE runs
        ADD COLUMN peak_memory_bytes  bigint, -- null: not measured
        ADD COLUMN cpu_user_seconds   double precision,
        ADD COLUMN cpu_system_seconds double precision,
        ADD COLUMN output_bytes       bigint;
    `,
  },
]

/** What `migrate` did: the database's version before and after. */
export interface MigrationResult {
  from: number
  to: number
}

/** Brings the database to the last of `migrations`, on `client`, in one transaction. */
export async function migrate(
  client: PoolClient,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationResult> {
  checkMigrationOrder(migrations)
  const latest = migrations[migrations.length - 1]?.version ?? 0
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await client.query(`CREATE TABLE IF NOT EXISTS tasse_migrations (
      version     integer PRIMARY KEY,
      description text NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT clock_timestamp()
    )`)
    const { rows } = await client.query<{ version: number | null }>(
      'SELECT max(version) AS version FROM tasse_migrations',
    )
    const from = rows[0]?.version ?? 0
    if (from > latest)
      throw new NewerSchemaError(from, latest, '@tasse/store-postgres', 'on every host')
    for (const migration of migrations) {
      if (migration.version <= from) continue
      await client.query(migration.sql)
      await client.query('INSERT INTO tasse_migrations (version, description) VALUES ($1, $2)', [
        migration.version,
        migration.description,
      ])
    }
    await client.query('COMMIT')
    return { from, to: Math.max(from, latest) }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
}
