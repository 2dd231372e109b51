/**
 * `@tasse/test-support`: helpers for Tasse's own tests, imported through the workspace (never
 * published, never imported by a package's `src/`). The APScheduler oracle and the `Intl` zone
 * model are test yardsticks, not public API.
 */
export {
  hasApscheduler,
  hasPython,
  ORACLE,
  type OracleAnswer,
  type OracleCase,
  PYTHON,
  runOracle,
} from './oracle.js'
export {
  hasPostgres,
  POSTGRES_BIN,
  type PostgresServer,
  postgresMissing,
  startPostgres,
  usePostgres,
} from './postgres.js'
export { chain, chainIso, context, micros, seededRandom } from './trigger-context.js'
export { intlOffset, pep495 } from './zone-model.js'
