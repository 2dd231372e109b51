/**
 * `@tasse/test-support`: helpers for Tasse's own tests, imported through the workspace (never
 * published, never imported by a package's `src/`).
 */
export {
  hasPostgres,
  POSTGRES_BIN,
  type PostgresServer,
  postgresMissing,
  startPostgres,
} from './postgres.js'
