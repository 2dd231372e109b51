/**
 * `@tasse/store-sqlite`: Tasse's embedded run store, one SQLite file that needs no server.
 *
 * @example
 * import { createSqliteRunStore } from '@tasse/store-sqlite'
 * const tasse = createTasse({ dataDir: 'data', store: createSqliteRunStore({ path: 'data/.tasse/tasse.db' }) })
 */
import type { TassePlugin } from '@tasse/core'
import { runStorePlugin } from '@tasse/core/plugin-kit'
import { createSqliteRunStore, type SqliteRunStoreOptions } from './sqlite-run-store.js'

export {
  MIGRATIONS,
  type Migration,
  type MigrationResult,
  migrate,
  NewerSchemaError,
} from './migrations.js'
export {
  createSqliteRunStore,
  SqliteRunStore,
  type SqliteRunStoreOptions,
} from './sqlite-run-store.js'

export const PLUGIN_NAME = '@tasse/store-sqlite'

/**
 * The plugin that sets a SQLite run store. The file is opened when the store is first used (so
 * commands that never touch history never open it); each Tasse instance it is registered in gets
 * its own store.
 *
 * @example
 * import { createTasse } from '@tasse/core'
 * import { sqliteStorePlugin } from '@tasse/store-sqlite'
 * const tasse = createTasse({
 *   dataDir: 'data',
 *   plugins: [sqliteStorePlugin({ path: 'data/.tasse/tasse.db' })],
 * })
 */
export function sqliteStorePlugin(options: SqliteRunStoreOptions): TassePlugin {
  return runStorePlugin(PLUGIN_NAME, () => createSqliteRunStore(options))
}
