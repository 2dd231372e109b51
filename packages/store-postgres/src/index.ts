/**
 * `@tasse/store-postgres`: Tasse's run store on PostgreSQL, for several hosts sharing one
 * schedule (each fire time claimed exactly once) and for history on a database server.
 *
 * @example
 * import { createTasse } from '@tasse/core'
 * import { postgresStorePlugin } from '@tasse/store-postgres'
 * const tasse = createTasse({ dataDir: 'data', plugins: [postgresStorePlugin({ url: process.env.TASSE_STORE! })] })
 */
import type { TassePlugin } from '@tasse/core'
import { runStorePlugin } from '@tasse/core/plugin-kit'
import { createPostgresRunStore, type PostgresRunStoreOptions } from './postgres-run-store.js'

export { CHANNEL } from './change-listener.js'
export {
  MIGRATIONS,
  type Migration,
  type MigrationResult,
  migrate,
  NewerSchemaError,
} from './migrations.js'
export {
  createPostgresRunStore,
  PostgresRunStore,
  type PostgresRunStoreOptions,
  STORE_TAG,
} from './postgres-run-store.js'

export const PLUGIN_NAME = '@tasse/store-postgres'

/**
 * The plugin that sets a PostgreSQL run store, created when first needed (it connects on its
 * first call); each Tasse instance it is registered in gets its own.
 *
 * @example
 * createTasse({ dataDir: 'data', plugins: [postgresStorePlugin({ url: 'postgres://tasse@db/tasse' })] })
 */
export function postgresStorePlugin(options: PostgresRunStoreOptions): TassePlugin {
  return runStorePlugin(PLUGIN_NAME, () => createPostgresRunStore(options))
}
