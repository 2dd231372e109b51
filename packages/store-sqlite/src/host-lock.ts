/**
 * The host lock of a SQLite store: one host process at a time serves a data folder. A second
 * connection to `<file>.lock` holds `BEGIN EXCLUSIVE` for as long as the host is registered.
 * SQLite takes that lock with `fcntl`, so the operating system releases it when the process
 * dies, even by SIGKILL: a crashed host never blocks the next one, and no clock is involved.
 */
import { closeSync, openSync } from 'node:fs'
import { HostConflictError, type HostRecord } from '@tasse/core'
import Database from 'better-sqlite3'
import { sqliteBinding } from './native-binding.js'
import { STORE_TAG } from './tag.js'

export class HostLock {
  readonly path: string
  #db: Database.Database | null = null

  readonly #mode: number

  /** `mode`: of the lock file when it is created (it is an empty database, private as the rest). */
  constructor(path: string, mode: number) {
    this.path = path
    this.#mode = mode
  }

  get held(): boolean {
    return this.#db !== null
  }

  /** Takes the lock; `false` when another connection (another live host) holds it. */
  acquire(): boolean {
    if (this.#db) return true
    closeSync(openSync(this.path, 'a', this.#mode))
    const db = new Database(this.path, { timeout: 0, nativeBinding: sqliteBinding() })
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

/** The refusal of a second host on the file at `path`, naming the host that holds it when known. */
export function hostConflict(holder: HostRecord | undefined, path: string): HostConflictError {
  const who = holder
    ? `another host (pid ${holder.pid} on ${holder.name}, started ${new Date(holder.startedAt).toISOString()})`
    : 'another process'
  return new HostConflictError(
    `${who} is serving ${path}: a second host on the same SQLite file would run every ` +
      'schedule twice, so this one does not start. Stop the other host first, or give this ' +
      'one its own data folder (hosts that share one schedule need a store on a database ' +
      'server: --store postgres://…)',
    holder
      ? { id: holder.id, name: holder.name, pid: holder.pid, startedAt: holder.startedAt }
      : null,
    { tag: STORE_TAG },
  )
}
