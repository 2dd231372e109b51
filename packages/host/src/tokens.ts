/**
 * Which tokens open the HTTP API: `TASSE_TOKEN`, the lines of `TASSE_TOKENS_FILE`, or — when
 * neither is set and the host listens beyond loopback — one generated on first start and kept
 * in `<data>/.tasse/token` (mode 0600). On loopback with nothing configured the API stays open,
 * as the original service was. The tokens themselves are never logged.
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { join } from 'node:path'
import type { TasseLogger } from '@tasse/core'
import { ConfigError, type HostConfig } from './config.js'
import { stateDir } from './plugins.js'

export interface ApiAuth {
  /** `null`: the API is open (loopback, nothing configured). */
  tokens: readonly string[] | null
  /** Where the tokens come from, for messages: `TASSE_TOKEN`, a file's path. */
  source: string
}

/** Where a generated token is kept: the host's state folder, `<data>/.tasse/token`. */
export function generatedTokenPath(dataDir: string): string {
  return join(stateDir(dataDir), 'token')
}

/**
 * Reads the configured tokens, or generates one when the host must not be open.
 *
 * @example
 * const auth = resolveAuth(readConfig({}), consoleLogger())
 * if (auth.tokens) app.use('*', bearerAuth({ tokens: auth.tokens }))
 */
export function resolveAuth(config: HostConfig, logger: TasseLogger): ApiAuth {
  const tokens: string[] = []
  const sources: string[] = []
  if (config.token !== null) {
    tokens.push(config.token)
    sources.push('TASSE_TOKEN')
  }
  if (config.tokensFile !== null) {
    tokens.push(...readTokensFile(config.tokensFile))
    sources.push(config.tokensFile)
  }
  if (tokens.length) {
    const source = sources.join(' and ')
    logger.info(`the API needs a bearer token (${tokens.length} accepted, from ${source})`)
    return { tokens, source }
  }
  if (isLoopback(config.host)) {
    logger.info(
      `no token configured: the API is open to clients on this machine (listening on ${config.host}); set TASSE_TOKEN to require one`,
    )
    return { tokens: null, source: 'none' }
  }
  const path = generatedTokenPath(config.dataDir)
  return { tokens: [generatedToken(path, config.host, logger)], source: path }
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  if (bare === '::1') return true
  return /^::ffff:127\./.test(bare)
}

/** Tokens in a file: one a line; blank lines and `#` comments are ignored. */
export function readTokensFile(path: string): string[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new ConfigError(
      `[tasse] TASSE_TOKENS_FILE: cannot read ${path}: ${(cause as Error).message}`,
      { cause },
    )
  }
  const tokens = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
  if (!tokens.length)
    throw new ConfigError(
      `[tasse] TASSE_TOKENS_FILE: ${path} holds no token (expected one token a line)`,
    )
  const bad = tokens.findIndex((token) => /\s/.test(token))
  if (bad >= 0)
    throw new ConfigError(
      `[tasse] TASSE_TOKENS_FILE: token ${bad + 1} of ${path} contains white space; a token is one word`,
    )
  return tokens
}

/** The token kept at `path`, created (32 random bytes, base64url) on first use. */
function generatedToken(path: string, host: string, logger: TasseLogger): string {
  try {
    const token = readFileSync(path, 'utf8').trim()
    if (token) {
      if ((statSync(path).mode & 0o077) !== 0) {
        chmodSync(path, 0o600)
        logger.warn(`${path} was readable by other users; its mode is now 0600`)
      }
      logger.info(`the API needs a bearer token: the one in ${path}`)
      return token
    }
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause
  }
  const token = randomBytes(32).toString('base64url')
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 })
  writeFileSync(path, `${token}\n`, { mode: 0o600 })
  chmodSync(path, 0o600) // an existing empty file keeps its mode through writeFileSync
  logger.warn(
    `no token configured and listening on ${host}, beyond this machine: generated one in ${path} (mode 0600); clients send it as "Authorization: Bearer <token>"`,
  )
  return token
}
