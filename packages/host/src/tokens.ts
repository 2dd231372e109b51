/**
 * Which tokens open the HTTP API: `TASSE_TOKEN`, the lines of `TASSE_TOKENS_FILE`, or — when
 * neither is set and the host listens beyond loopback — one generated on first start and kept
 * in `<data>/.tasse/token` (mode 0600). On loopback with nothing configured the API stays open,
 * as the original service was. The tokens themselves are never logged.
 */
import { randomBytes } from 'node:crypto'
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { isIP } from 'node:net'
import { join } from 'node:path'
import { TasseError, type TasseLogger } from '@tasse/core'
import type { HostConfig } from './config.js'
import { stateDir } from './plugins.js'

export interface ApiAuth {
  /** `null`: the API is open (loopback, nothing configured). */
  tokens: readonly string[] | null
  /** Where the tokens come from, for the host's log: `TASSE_TOKEN`, a file's path. */
  source: string
  /**
   * Where they come from, for clients refused with a 401: the setting, never a path on the
   * host (`TASSE_TOKEN`, `the tokens file (TASSE_TOKENS_FILE)`, `<data>/.tasse/token`).
   */
  hint: string
}

/** Larger token files are refused: a token is a line. */
const MAX_TOKENS_FILE_BYTES = 64 * 1024

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
  const hints: string[] = []
  if (config.token !== null) {
    tokens.push(config.token)
    sources.push('TASSE_TOKEN')
    hints.push('TASSE_TOKEN')
  }
  if (config.tokensFile !== null) {
    tokens.push(...readTokensFile(config.tokensFile))
    sources.push(config.tokensFile)
    hints.push('the tokens file (TASSE_TOKENS_FILE)')
  }
  if (tokens.length) {
    const source = sources.join(' and ')
    logger.info(`the API needs a bearer token (${tokens.length} accepted, from ${source})`)
    return { tokens, source, hint: hints.join(' and ') }
  }
  if (isLoopback(config.host)) {
    logger.info(
      `no token configured: the API is open to clients on this machine (listening on ${config.host}); set TASSE_TOKEN to require one`,
    )
    return { tokens: null, source: 'none', hint: '' }
  }
  const path = generatedTokenPath(config.dataDir)
  return {
    tokens: [generatedToken(path, config.host, logger)],
    source: path,
    hint: 'the token the host generated in <data>/.tasse/token',
  }
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
    // A link is fine here (secrets mounted by an orchestrator are links), a FIFO is not.
    text = readSmallFile(path, { maxBytes: MAX_TOKENS_FILE_BYTES, followLinks: true })
  } catch (cause) {
    throw new TasseError(
      'config',
      `TASSE_TOKENS_FILE: cannot read ${path}: ${(cause as Error).message}`,
      { cause },
    )
  }
  const tokens = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
  if (!tokens.length)
    throw new TasseError(
      'config',
      `TASSE_TOKENS_FILE: ${path} holds no token (expected one token a line)`,
    )
  const bad = tokens.findIndex((token) => /\s/.test(token))
  if (bad >= 0)
    throw new TasseError(
      'config',
      `TASSE_TOKENS_FILE: token ${bad + 1} of ${path} contains white space; a token is one word`,
    )
  return tokens
}

/**
 * The token kept at `path`, created (32 random bytes, base64url) on first use. The file must be
 * the host's own: a regular file, not a link (the host would chmod whatever it points to and
 * take its whole content as the token), of a token's size.
 */
function generatedToken(path: string, host: string, logger: TasseLogger): string {
  let existing: string | null = null
  try {
    existing = readSmallFile(path, {
      maxBytes: MAX_GENERATED_TOKEN_BYTES,
      followLinks: false,
      private: () => logger.warn(`${path} was readable by other users; its mode is now 0600`),
    }).trim()
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new TasseError(
        'config',
        `${path} cannot hold the host's token: ${(cause as Error).message}; remove it (a new token is generated) or set TASSE_TOKEN or TASSE_TOKENS_FILE`,
        { cause },
      )
  }
  if (existing) {
    logger.info(`the API needs a bearer token: the one in ${path}`)
    return existing
  }
  const token = randomBytes(32).toString('base64url')
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 })
  // An empty file left by a crash is replaced; `wx` never follows a link put there meanwhile.
  if (existing === '') rmSync(path)
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' })
  logger.warn(
    `no token configured and listening on ${host}, beyond this machine: generated one in ${path} (mode 0600); clients send it as "Authorization: Bearer <token>"`,
  )
  return token
}

/** A generated token is 43 characters; the file holds it and a newline. */
const MAX_GENERATED_TOKEN_BYTES = 1024

/**
 * A small file's text, refused (with an `Error` saying why) unless it is a regular file of at
 * most `maxBytes`: opened without blocking, so that a FIFO cannot hold the host's start, and
 * with `followLinks: false`, never through a link. `private` makes it 0600 (through the
 * descriptor) when others could read it, and is told when it did.
 */
function readSmallFile(
  path: string,
  options: { maxBytes: number; followLinks: boolean; private?: () => void },
): string {
  const flags =
    constants.O_RDONLY | constants.O_NONBLOCK | (options.followLinks ? 0 : constants.O_NOFOLLOW)
  let fd: number
  try {
    fd = openSync(path, flags)
  } catch (cause) {
    if (!options.followLinks && (cause as NodeJS.ErrnoException).code === 'ELOOP')
      throw new Error('it is a symbolic link, not a regular file', { cause })
    throw cause
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) throw new Error('it is not a regular file')
    if (stats.size > options.maxBytes)
      throw new Error(`it is larger than ${options.maxBytes} bytes (${stats.size})`)
    if (options.private && (stats.mode & 0o077) !== 0) {
      fchmodSync(fd, 0o600)
      options.private()
    }
    const buffer = Buffer.alloc(options.maxBytes + 1)
    let length = 0
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null)
      if (read === 0) break
      length += read
    }
    if (length > options.maxBytes) throw new Error(`it is larger than ${options.maxBytes} bytes`)
    return buffer.toString('utf8', 0, length)
  } finally {
    closeSync(fd)
  }
}
