/** The plugin of a run store package: the store is made when first resolved, once per container. */

import { TOKENS } from './tokens.js'
import type { RunStore, TassePlugin } from './types.js'

/**
 * A plugin registering the store `create` makes under `TOKENS.RunStore`. `create` runs when the
 * store is first resolved (so commands that never touch history never open it), once for each
 * container the plugin registers into, and that store is shared by every resolve there.
 *
 * @example
 * export const fooStorePlugin = (options: FooOptions) =>
 *   runStorePlugin('@acme/tasse-store-foo', () => createFooRunStore(options))
 */
export function runStorePlugin(name: string, create: () => RunStore): TassePlugin {
  return {
    name,
    register(container) {
      let store: RunStore | undefined
      container.register(TOKENS.RunStore, {
        useFactory: function runStore() {
          store ??= create()
          return store
        },
      })
    },
  }
}
