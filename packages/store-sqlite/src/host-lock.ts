/**
 * The host lock of a SQLite store: one host process at a time serves a data folder. A second
 * connection to `<file>.lock` holds `BEGIN EXCLUSIVE` for as long as the host is registered.
 * SQLite takes that lock with `fcntl`, so the operating system releases it when the process
 * dies, even by SIGKILL: a crashed host never blocks the next one, and no clock is involved.
 */
import Database from 'better-sqlite3'

export class HostLock {
  readonly path: string
  #db: Database.Database | null = null

  constructor(path: string) {
    this.path = path
  }

  get held(): boolean {
    return this.#db !== null
  }

  /** Takes the lock; `false` when another connection (another live host) holds it. */
  acquire(): boolean {
    if (this.#db) return true
    const db = new Database(this.path, { timeout: 0 })
    try {
      db.exec('BEGIN EXCLUSIVE')
    } catch (error) {
      db.close()
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return false
      throw error
    }
    this.#db = db
    return true
  }

  release(): void {
    const db = this.#db
    this.#db = null
    db?.close() // closing ends the transaction, and with it the lock
  }
}
