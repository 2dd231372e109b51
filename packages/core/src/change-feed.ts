/**
 * The change feed of a store that serves one host (memory, SQLite): an in-process emitter of
 * the changes made through the store object. A store on a server (PostgreSQL) delivers every
 * host's changes instead; both answer `RunStore.subscribe` the same way.
 */
import type { Run, StoreChange } from './types.js'

type Listener = (change: StoreChange) => void

export class LocalChangeFeed {
  readonly #listeners = new Set<Listener>()

  /** `RunStore.subscribe`: listening from the moment it resolves. */
  async subscribe(listener: Listener): Promise<() => Promise<void>> {
    // Wrapped, so that the same function subscribed twice is called twice and stops once each.
    const entry: Listener = (change) => listener(change)
    this.#listeners.add(entry)
    return async () => {
      this.#listeners.delete(entry)
    }
  }

  /**
   * Tells every listener, after the current call stack (never inside a store call, so that a
   * listener that reads the store sees the change committed). A listener that throws is ignored.
   */
  emit(change: StoreChange): void {
    if (this.#listeners.size === 0) return
    queueMicrotask(() => {
      for (const listener of [...this.#listeners]) {
        try {
          listener(change)
        } catch {
          // A listener's bug is its own: the feed and the other listeners go on.
        }
      }
    })
  }

  /** Stops every listener (the store is closing). */
  clear(): void {
    this.#listeners.clear()
  }
}

/** The change that tells of `run` as it now is. */
export function runChange(run: Run): StoreChange {
  return { type: 'run', id: run.id, task: run.task, status: run.status, hostId: run.hostId }
}
