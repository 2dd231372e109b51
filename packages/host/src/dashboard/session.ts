/**
 * Dashboard sessions: an opaque random id in an `HttpOnly; SameSite=Strict` cookie, mapped to
 * an expiry in the host's memory. The token itself never goes into the cookie, so a cookie that
 * leaks (a backup of a browser profile) is worth a session, not the API token, and signing out
 * ends it for good. Sessions do not survive a restart of the host: people sign in again.
 */
import { randomBytes } from 'node:crypto'

export const SESSION_COOKIE = 'tasse_session'

export interface SessionsOptions {
  /** How long a session lasts after sign-in. @default 12 hours */
  ttlMs?: number
  /** Sessions kept at most; past this the oldest is dropped (memory stays bounded). @default 1000 */
  max?: number
  /** @default Date.now */
  now?: () => number
}

export interface Sessions {
  readonly ttlMs: number
  /** A new session's id. */
  create(): string
  /** Whether `id` is a live session. */
  has(id: string | undefined): boolean
  delete(id: string | undefined): void
}

/**
 * @example
 * const sessions = createSessions({ ttlMs: 3600_000 })
 * const id = sessions.create() // set as the cookie's value
 * sessions.has(id) // true until it expires or is deleted
 */
export function createSessions(options: SessionsOptions = {}): Sessions {
  const ttlMs = options.ttlMs ?? 12 * 3600_000
  const max = options.max ?? 1000
  const now = options.now ?? Date.now
  // Insertion order is creation order: the first key is the oldest.
  const expiries = new Map<string, number>()
  return {
    ttlMs,
    create() {
      const id = randomBytes(32).toString('base64url')
      expiries.set(id, now() + ttlMs)
      while (expiries.size > max) expiries.delete(expiries.keys().next().value as string)
      return id
    },
    has(id) {
      if (!id) return false
      const expires = expiries.get(id)
      if (expires === undefined) return false
      if (expires > now()) return true
      expiries.delete(id)
      return false
    },
    delete(id) {
      if (id) expiries.delete(id)
    },
  }
}
