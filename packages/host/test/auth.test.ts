/**
 * Bearer tokens: with a token configured, every route but the probes answers 401 JSON without
 * it (or with another); the token never reaches a log line or a task's environment.
 */
import { execFileSync } from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generatedTokenPath, readConfig, resolveAuth, startHost } from '@tasse/host'
import { afterEach, describe, expect, it } from 'vitest'
import { dataWith, type InProcessHost, inProcessHost, memoryLogger } from './api-fixtures.js'

const TOKEN = 'tok-3f9a1c7e2b5d4a60'
let host: InProcessHost | undefined
const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  await host?.close()
  host = undefined
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/** Every route the app serves, from its OpenAPI document plus those outside `/api/v1`. */
async function everyRoute(app: InProcessHost['app']): Promise<[string, string][]> {
  const doc = (await (
    await app.request('/api/v1/openapi.json', { headers: { authorization: `Bearer ${TOKEN}` } })
  ).json()) as { paths: Record<string, Record<string, unknown>> }
  const routes: [string, string][] = [
    ['GET', '/trigger/hello'],
    ['GET', '/rescan'],
    ['GET', '/metrics'],
  ]
  for (const [path, methods] of Object.entries(doc.paths))
    for (const method of Object.keys(methods))
      routes.push([
        method.toUpperCase(),
        `/api/v1${path.replace('{name}', 'hello').replace('{id}', '0000000000000000')}`,
      ])
  return routes
}

describe('with a token configured', () => {
  it('answers 401 JSON on every route without the token, or with another', async () => {
    host = await inProcessHost({
      tokens: [TOKEN],
      tokenHint: 'accepted tokens come from TASSE_TOKEN',
    })
    const routes = await everyRoute(host.app)
    expect(routes.length).toBeGreaterThanOrEqual(13)
    for (const [method, path] of routes) {
      for (const authorization of [
        undefined,
        'Bearer wrong',
        `Basic ${TOKEN}`,
        `Bearer ${TOKEN}x`,
        'Bearer',
      ]) {
        const response = await host.app.request(path, {
          method,
          headers: authorization ? { authorization } : {},
        })
        expect(response.status, `${method} ${path} with ${authorization}`).toBe(401)
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="tasse"/)
        const body = (await response.json()) as { error: { code: string; message: string } }
        expect(body.error.code).toBe('unauthorized')
        expect(body.error.message).toContain('TASSE_TOKEN')
        expect(body.error.message).not.toContain(TOKEN)
      }
    }
    // Nothing ran: the 401 came before the routes.
    expect((await host.tasse.listRuns()).runs).toEqual([])
    // What describes the API, the same for every host, needs none: a browser sends none.
    for (const path of ['/api/v1/openapi.json', '/api/v1/docs'])
      expect((await host.app.request(path)).status, path).toBe(200)
  })

  it('lets the token through on every route (case-insensitive scheme), and the probes without one', async () => {
    host = await inProcessHost({ tokens: ['other-token', TOKEN] })
    for (const [method, path] of await everyRoute(host.app)) {
      const response = await host.app.request(path, {
        method,
        headers: { authorization: `bearer ${TOKEN}` },
      })
      expect(response.status, `${method} ${path}`).not.toBe(401)
    }
    for (const path of ['/healthz', '/readyz'])
      expect((await host.app.request(path)).status, path).toBe(200)
  })

  it('is open when no token is configured (loopback), as the original', async () => {
    host = await inProcessHost()
    expect((await host.app.request('/api/v1/tasks')).status).toBe(200)
    expect((await host.app.request('/trigger/hello')).status).toBe(200)
  })
})

describe('where tokens come from', () => {
  const base = (env: NodeJS.ProcessEnv, flags: Record<string, string> = {}) => {
    const data = mkdtempSync(join(tmpdir(), 'tasse-auth-'))
    cleanups.push(() => rmSync(data, { recursive: true, force: true }))
    return { data, config: readConfig({ data, ...flags }, env) }
  }

  it('reads TASSE_TOKEN and a tokens file (one a line, comments and blanks skipped)', () => {
    const { data } = base({})
    const file = join(data, 'tokens')
    writeFileSync(file, '# operators\nalpha\n\n  beta  \n')
    const logger = memoryLogger()
    const auth = resolveAuth(
      readConfig({ data, 'tokens-file': file }, { TASSE_TOKEN: 'gamma' }),
      logger,
    )
    expect(auth.tokens).toEqual(['gamma', 'alpha', 'beta'])
    expect(logger.lines.join('\n')).not.toMatch(/alpha|beta|gamma/)
  })

  it('refuses an empty tokens file and a token with white space inside', () => {
    const { data } = base({})
    writeFileSync(join(data, 'empty'), '# none yet\n')
    expect(() =>
      resolveAuth(readConfig({ data, 'tokens-file': join(data, 'empty') }, {}), memoryLogger()),
    ).toThrow(/holds no token/)
    expect(() => readConfig({ data }, { TASSE_TOKEN: 'two words' })).toThrow(/one word/)
  })

  it('stays open on loopback without a token', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.53']) {
      const { config } = base({ TASSE_HOST: host })
      expect(resolveAuth(config, memoryLogger()).tokens, host).toBeNull()
    }
  })

  it('beyond loopback, generates a token once in <data>/.tasse/token (mode 0600), saying where', () => {
    const { data, config } = base({ TASSE_HOST: '0.0.0.0' })
    const logger = memoryLogger()
    const auth = resolveAuth(config, logger)
    const path = generatedTokenPath(data)
    const token = readFileSync(path, 'utf8').trim()
    expect(auth.tokens).toEqual([token])
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const log = logger.lines.join('\n')
    expect(log).toContain(path)
    expect(log).not.toContain(token)
    // A restart reuses it, and does not announce a new one.
    const again = memoryLogger()
    expect(resolveAuth(config, again).tokens).toEqual([token])
    expect(again.lines.join('\n')).not.toMatch(/generated/)
  })
})

// Issue #12: the generated token's file was followed as a link (the host chmodded the target
// and took its whole content as the token), and a 401 told any client the tokens file's path.
describe('the generated token file is the host’s own', () => {
  const beyondLoopback = () => {
    const data = mkdtempSync(join(tmpdir(), 'tasse-auth-'))
    cleanups.push(() => rmSync(data, { recursive: true, force: true }))
    mkdirSync(join(data, '.tasse'))
    return { data, config: readConfig({ data }, { TASSE_HOST: '0.0.0.0' }) }
  }

  it('refuses a link, a folder, a FIFO and an oversized file, naming the file and the fix', () => {
    const { data, config } = beyondLoopback()
    const path = generatedTokenPath(data)
    const target = join(data, 'elsewhere')
    writeFileSync(target, 'not-a-token\nsecond line\n', { mode: 0o644 })
    const cases: [() => void, RegExp][] = [
      [() => symlinkSync(target, path), /is a symbolic link, not a regular file/],
      [() => mkdirSync(path), /not a regular file/],
      [() => execFileSync('mkfifo', [path]), /not a regular file/],
      [() => writeFileSync(path, 'x'.repeat(5000)), /larger than 1024 bytes/],
    ]
    for (const [make, problem] of cases) {
      rmSync(path, { recursive: true, force: true })
      make()
      const started = Date.now()
      expect(() => resolveAuth(config, memoryLogger())).toThrow(problem)
      expect(() => resolveAuth(config, memoryLogger())).toThrow(
        `${path} cannot hold the host's token`,
      )
      expect(Date.now() - started, 'a FIFO does not block the start').toBeLessThan(5000)
    }
    // The link's target was left alone.
    expect(statSync(target).mode & 0o777).toBe(0o644)
  })

  it('makes a readable token file private, and replaces an empty one', () => {
    const { data, config } = beyondLoopback()
    const path = generatedTokenPath(data)
    writeFileSync(path, 'kept-token\n', { mode: 0o644 })
    const logger = memoryLogger()
    expect(resolveAuth(config, logger).tokens).toEqual(['kept-token'])
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(logger.lines.join('\n')).toContain('its mode is now 0600')
    writeFileSync(path, '')
    const [fresh] = resolveAuth(config, memoryLogger()).tokens ?? []
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(readFileSync(path, 'utf8')).toBe(`${fresh}\n`)
  })

  it('a 401 says which setting holds the tokens, never a path on the host', async () => {
    const { data, config } = beyondLoopback()
    const file = join(data, 'secret-tokens')
    writeFileSync(file, 'alpha\n')
    for (const [auth, hint] of [
      [resolveAuth(config, memoryLogger()), '<data>/.tasse/token'],
      [resolveAuth({ ...config, tokensFile: file }, memoryLogger()), 'TASSE_TOKENS_FILE'],
    ] as const) {
      host = await inProcessHost({ tokens: auth.tokens, tokenHint: `from ${auth.hint}` })
      const response = await host.app.request('/api/v1/tasks')
      const text = await response.text()
      expect(response.status).toBe(401)
      expect(text).toContain(hint)
      expect(text).not.toContain(data)
      await host.close()
      host = undefined
    }
  })
})

describe('the token stays secret', () => {
  it('never appears in the host log nor in a task’s environment', async () => {
    const data = dataWith()
    cleanups.push(() => rmSync(data, { recursive: true, force: true }))
    const tokensFile = join(data, 'tokens')
    writeFileSync(tokensFile, 'file-token-81d2\n')
    const saved = { ...process.env }
    // The host process's own environment holds the token, as in a container.
    process.env.TASSE_TOKEN = TOKEN
    process.env.TASSE_TOKENS_FILE = tokensFile
    cleanups.push(() => {
      process.env = saved
    })
    const logger = memoryLogger()
    const running = await startHost(readConfig({ data, port: '0' }), { logger })
    cleanups.push(() => running.close())
    const headers = { authorization: `Bearer ${TOKEN}` }
    await fetch(`${running.url}/api/v1/tasks`, { headers: { authorization: 'Bearer not-it' } })
    const response = await fetch(`${running.url}/api/v1/tasks/envdump/runs`, {
      method: 'POST',
      headers,
    })
    expect(response.status).toBe(202)
    const run = (await response.json()) as { id: string }
    await running.tasse.waitForRun(run.id)
    const env = await (await fetch(`${running.url}/api/v1/runs/${run.id}/logs`, { headers })).text()
    expect(env).toContain(`TASSE_RUN_ID=${run.id}`) // the dump worked…
    expect(env).toContain('PATH=')
    // …and holds neither a token nor where they are; the host log holds no token either.
    for (const secret of [TOKEN, 'file-token-81d2', tokensFile]) expect(env).not.toContain(secret)
    for (const secret of [TOKEN, 'file-token-81d2'])
      expect(logger.lines.join('\n')).not.toContain(secret)
    expect(env).not.toMatch(/^TASSE_TOKEN/m)
    const log = readFileSync(join(data, 'logs', 'envdump', 'log.txt'), 'utf8')
    expect(log).not.toContain(TOKEN)
  })
})
