/**
 * Bearer-token authentication. Tokens are compared in constant time: both sides are hashed to
 * the same length first (SHA-256), then compared with `timingSafeEqual`, and every configured
 * token is compared on every request, so neither a token's length nor which one matched shows
 * in the time an answer takes. Tokens are never logged, not even when they fail.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { ApiError } from './http-errors.js'

export interface BearerAuthOptions {
  /** The tokens that open the API. An empty list refuses every request. */
  tokens: readonly string[]
  /** Paths that need no token (exact match), e.g. `/healthz`. @default [] */
  open?: readonly string[]
  /** Where an operator finds the token, for the 401 message, e.g. `TASSE_TOKEN`. */
  hint?: string
  /** Paths another layer authenticates (the dashboard's sessions). @default none */
  skip?: (path: string) => boolean
}

/**
 * @example
 * app.use('*', bearerAuth({ tokens: [process.env.TASSE_TOKEN!], open: ['/healthz'] }))
 */
export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler {
  const matches = tokenMatcher(options.tokens)
  const open = new Set(options.open ?? [])
  const hint = options.hint ? ` (${options.hint})` : ''
  return async function bearerAuth(c, next) {
    if (open.has(c.req.path) || options.skip?.(c.req.path)) return next()
    const header = c.req.header('authorization')
    if (!header) {
      c.header('WWW-Authenticate', 'Bearer realm="tasse"')
      throw new ApiError(
        401,
        'unauthorized',
        `this host needs a token: send "Authorization: Bearer <token>"${hint}`,
      )
    }
    const token = /^Bearer +(\S+) *$/i.exec(header)?.[1]
    if (!token || !matches(token)) {
      c.header('WWW-Authenticate', 'Bearer realm="tasse", error="invalid_token"')
      throw new ApiError(
        401,
        'unauthorized',
        `the token sent is not one this host accepts${hint}; send "Authorization: Bearer <token>"`,
      )
    }
    return next()
  }
}

/** A constant-time test of a candidate against every token. */
export function tokenMatcher(tokens: readonly string[]): (candidate: string) => boolean {
  const digests = tokens.map(sha256)
  return function tokenMatcher(candidate) {
    const digest = sha256(candidate)
    let matched = false
    for (const known of digests) matched = timingSafeEqual(digest, known) || matched
    return matched
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}
