/**
 * A `RunStore` whose implementation is loaded on its first call. Every call of the contract is
 * asynchronous, so a store can wait for its module: a driver that is slow to import (`pg` takes
 * a good part of a second on a small machine) is then paid for only by the commands that use the
 * store, not by `tasse next` or `tasse validate`.
 */
import { TasseError } from './errors.js'
import type { RunStore } from './types.js'

/**
 * @example
 * const url = 'postgres://tasse@db/tasse'
 * const store = lazyRunStore('postgres', async () =>
 *   (await import('@tasse/store-postgres')).createPostgresRunStore({ url }),
 * )
 */
export function lazyRunStore(name: string, load: () => Promise<RunStore>): RunStore {
  let loaded: Promise<RunStore> | null = null
  let closed = false
  const store = () => {
    if (closed && !loaded)
      return Promise.reject(new TasseError('store', 'the run store is closed', { tag: name }))
    loaded ??= load()
    return loaded
  }
  return new Proxy({} as RunStore, {
    get(_target, key) {
      if (key === 'name') return name
      // Not a promise: `await lazyRunStore(…)` must give the store itself.
      if (typeof key !== 'string' || key === 'then') return undefined
      if (key === 'close')
        return async () => {
          closed = true
          if (loaded) await (await loaded).close()
        }
      return async (...args: unknown[]) => {
        const target = (await store()) as unknown as Record<string, (...a: unknown[]) => unknown>
        const method = target[key]
        if (typeof method !== 'function')
          throw new TasseError('invalid_argument', `the run store has no method ${key}`, {
            tag: name,
          })
        return method.apply(target, args)
      }
    },
  })
}
