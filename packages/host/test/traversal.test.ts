/**
 * Path traversal: a task name or run id that could leave data/ is refused (400 or 404) before
 * anything touches the file system. Every `node:fs` call made while these requests are served
 * is recorded; there must be none.
 */

import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type RunningHost, readConfig, startHost } from '@tasse/host'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { dataWith, type InProcessHost, inProcessHost, memoryLogger } from './api-fixtures.js'
import { rawRequest } from './host-process.js'

const touched = vi.hoisted(() => ({ paths: [] as string[], on: false }))

// Wraps the functions that read or list paths, in both fs modules, to record their argument.
vi.mock('node:fs', async (importOriginal) => spied(await importOriginal<Record<string, unknown>>()))
vi.mock('node:fs/promises', async (importOriginal) =>
  spied(await importOriginal<Record<string, unknown>>()),
)

function spied(fs: Record<string, unknown>): Record<string, unknown> {
  const names = [
    'open',
    'openSync',
    'readFile',
    'readFileSync',
    'readdir',
    'readdirSync',
    'stat',
    'statSync',
    'lstat',
    'lstatSync',
    'access',
    'accessSync',
    'existsSync',
    'createReadStream',
    'realpath',
    'realpathSync',
    'opendir',
    'opendirSync',
  ]
  type Fn = ((...args: unknown[]) => unknown) & { native?: Fn }
  const wrap =
    (name: string, original: Fn): Fn =>
    (...args: unknown[]) => {
      if (touched.on) touched.paths.push(`${name}(${String(args[0])})`)
      return original(...args)
    }
  const wrapped: Record<string, unknown> = { ...fs }
  for (const name of names) {
    const original = fs[name] as Fn | undefined
    if (typeof original !== 'function') continue
    const spy = wrap(name, original)
    // realpath's system-call flavour (`realpathSync.native`) is recorded as well.
    if (typeof original.native === 'function') spy.native = wrap(`${name}.native`, original.native)
    wrapped[name] = spy
  }
  return { ...wrapped, default: wrapped }
}

/** Ten spellings of "somewhere outside data/", and where each is sent. */
const ATTEMPTS: [method: string, path: string][] = [
  ['GET', '/api/v1/tasks/..'],
  ['GET', '/api/v1/tasks/%2e%2e'],
  ['POST', '/api/v1/tasks/%2E%2E/runs'],
  ['GET', '/api/v1/tasks/..%2F..%2Fsecret'],
  ['POST', '/api/v1/tasks/%2e%2e%2f%2e%2e%2fsecret/runs'],
  ['GET', '/api/v1/tasks/..%5C..%5Csecret'],
  ['POST', '/api/v1/tasks/hello%00/pause'],
  ['GET', '/api/v1/tasks/%252e%252e%252fsecret'],
  ['GET', '/api/v1/tasks/%c0%ae%c0%ae%c0%afsecret'],
  ['GET', '/trigger/..%2F..%2Fsecret'],
  ['GET', '/api/v1/runs/..%2F..%2Fsecret/logs'],
  ['GET', '/api/v1/runs?task=..%2F..%2Fsecret'],
  ['GET', '/api/v1/runs/%2e%2e%2fsecret'],
]

beforeEach(() => {
  touched.paths = []
  touched.on = false
})

describe('traversal attempts', () => {
  let host: InProcessHost | undefined
  let running: RunningHost | undefined
  let data = ''
  afterEach(async () => {
    touched.on = false
    await host?.close()
    await running?.close()
    host = running = undefined
    if (data) rmSync(data, { recursive: true, force: true })
  })

  it('are refused in-process without touching the file system', async () => {
    host = await inProcessHost()
    writeFileSync(join(host.data, '..', `secret-${process.pid}`), 'SECRET')
    for (const [method, path] of ATTEMPTS) {
      touched.on = true
      const response = await host.app.request(path, { method })
      touched.on = false
      const text = await response.text()
      expect([400, 404], `${method} ${path}: ${text}`).toContain(response.status)
      expect(() => JSON.parse(text), path).not.toThrow()
      expect(text).not.toContain('SECRET')
      expect(touched.paths, `${method} ${path}`).toEqual([])
    }
    expect((await host.tasse.listRuns()).runs).toEqual([])
    // The spy does see reads: a sound request for a run's log opens the file, inside data/.
    const run = await host.tasse.trigger('hello')
    await host.tasse.waitForRun(run.id)
    touched.on = true
    expect(await (await host.app.request(`/api/v1/runs/${run.id}/logs`)).text()).toBe(
      'Hello world\n',
    )
    touched.on = false
    expect(touched.paths).toEqual([`open(${host.tasse.runLogPath(run)})`])
  })

  it('are refused by the real server, sent byte for byte', async () => {
    data = dataWith()
    writeFileSync(join(data, '..', 'secret'), 'SECRET')
    running = await startHost(readConfig({ data, port: '0' }, {}), { logger: memoryLogger() })
    for (const [method, path] of ATTEMPTS) {
      touched.on = true
      const { status, body } = await rawRequest(running.url, method, path)
      touched.on = false
      expect([400, 404], `${method} ${path}: ${body}`).toContain(status)
      expect(body).not.toContain('SECRET')
      expect(touched.paths, `${method} ${path}`).toEqual([])
    }
    // A sound request still works afterwards, and the fs spy does see reads.
    touched.on = true
    const { status } = await rawRequest(running.url, 'POST', '/api/v1/rescan')
    touched.on = false
    expect(status).toBe(200)
    expect(touched.paths.length).toBeGreaterThan(0)
  })
})
