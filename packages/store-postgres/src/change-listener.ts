/**
 * The change feed on PostgreSQL: one connection of its own (not the pool's) that `LISTEN`s on
 * `tasse_changes`, where the tables' triggers `NOTIFY` every committed change of every host.
 * When the connection is lost, it reconnects (after 0.5 s, then up to every 5 s) and tells the
 * listeners `resync`: changes may have been missed meanwhile, read the store again.
 */
import type { StoreChange } from '@tasse/core'
import pg from 'pg'

export const CHANNEL = 'tasse_changes'
const MAX_RETRY_MS = 5_000

type Listener = (change: StoreChange) => void

export class ChangeListener {
  readonly #config: pg.ClientConfig
  readonly #listeners = new Set<Listener>()
  readonly #onError: (error: unknown) => void
  #client: pg.Client | null = null
  #connecting: Promise<void> | null = null
  #retry: NodeJS.Timeout | null = null
  #retryMs = 500
  #closed = false

  constructor(config: pg.ClientConfig, onError: (error: unknown) => void) {
    this.#config = config
    this.#onError = onError
  }

  /** Adds a listener; resolves once the connection listens (so no later change is missed). */
  async subscribe(listener: Listener): Promise<() => Promise<void>> {
    const entry: Listener = (change) => listener(change)
    this.#listeners.add(entry)
    try {
      await this.#connect()
    } catch (error) {
      this.#listeners.delete(entry)
      throw error
    }
    return async () => {
      this.#listeners.delete(entry)
      if (this.#listeners.size === 0) await this.#disconnect()
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#listeners.clear()
    await this.#disconnect()
  }

  #connect(): Promise<void> {
    if (this.#client) return Promise.resolve()
    this.#connecting ??= (async () => {
      const client = new pg.Client(this.#config)
      client.on('error', (error) => this.#lost(client, error))
      client.on('end', () => this.#lost(client, null))
      client.on('notification', (message) => {
        if (message.channel !== CHANNEL || !message.payload) return
        let change: StoreChange
        try {
          change = JSON.parse(message.payload) as StoreChange
        } catch (error) {
          this.#onError(error)
          return
        }
        this.#tell(change)
      })
      try {
        await client.connect()
        await client.query(`LISTEN ${CHANNEL}`)
      } catch (error) {
        client.removeAllListeners('end')
        await client.end().catch(() => {})
        throw error
      }
      this.#client = client
      this.#retryMs = 500
    })().finally(() => {
      this.#connecting = null
    })
    return this.#connecting
  }

  #lost(client: pg.Client, error: unknown): void {
    if (this.#client !== client) return
    this.#client = null
    if (error) this.#onError(error)
    void client.end().catch(() => {})
    this.#scheduleReconnect()
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#listeners.size === 0 || this.#retry) return
    this.#retry = setTimeout(() => {
      this.#retry = null
      this.#connect().then(
        () => this.#tell({ type: 'resync' }),
        (error) => {
          this.#onError(error)
          this.#retryMs = Math.min(this.#retryMs * 2, MAX_RETRY_MS)
          this.#scheduleReconnect()
        },
      )
    }, this.#retryMs)
    this.#retry.unref()
  }

  #tell(change: StoreChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change)
      } catch {
        // A listener's bug is its own: the feed and the other listeners go on.
      }
    }
  }

  async #disconnect(): Promise<void> {
    if (this.#retry) clearTimeout(this.#retry)
    this.#retry = null
    const client = this.#client
    this.#client = null
    await this.#connecting?.catch(() => {})
    const late = this.#client as pg.Client | null
    this.#client = null
    for (const c of [client, late]) {
      if (!c) continue
      c.removeAllListeners('end')
      await c.end().catch(() => {})
    }
  }
}
