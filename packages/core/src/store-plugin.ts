/** The plugin of a run store package: the store is made when first needed, once per instance. */
import type { RunStore, TassePlugin } from './types.js'

/**
 * A plugin setting the store `create` makes. `create` runs when the store is first needed (so
 * commands that never touch history never open it), once for each Tasse instance the plugin is
 * registered in, and that store is shared by everything in the instance.
 *
 * @example
 * import type { RunStore } from '@tasse/core'
 * declare function createFooRunStore(options: { url: string }): RunStore
 * export const fooStorePlugin = (options: { url: string }) =>
 *   runStorePlugin('@acme/tasse-store-foo', () => createFooRunStore(options))
 */
export function runStorePlugin(name: string, create: () => RunStore): TassePlugin {
  return {
    name,
    register: function runStorePlugin(context) {
      context.setRunStore(create)
    },
  }
}
