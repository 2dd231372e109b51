/**
 * What a process loads (issue #19): the CLI's local commands load no server module, and an idle
 * host loads the JSON API and the dashboard only when a request needs them. Real processes of
 * the built CLI (the bundle `tasse` runs), with a module hook that records every file they
 * load; a bundle's file holds the modules its source map names.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { dataWith, until } from './api-fixtures.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const CLI = join(ROOT, 'packages', 'host', 'bundle', 'cli.js')
const HOOK = join(import.meta.dirname, 'fixtures', 'record-loads.mjs')
const TASKS = {
  probe: {
    'task.yaml': 'scheduler:\n  trigger: interval\n  hours: 1\n',
    'task.sh': 'echo probe\n',
  },
}

/** What only a server needs: the HTTP framework, the API's schemas, metrics, the pages. */
const SERVER_MODULES =
  /node_modules\/(?:hono|@hono|zod|@asteasolutions|prom-client)\/|host\/dist\/(?:app|server|metrics|api\/index|dashboard\/index)\.js/
/** What only the API and the dashboard need, once the host serves. */
const ON_DEMAND =
  /node_modules\/(?:zod|@hono\/zod-openapi)\/|host\/dist\/(?:api|dashboard)\/index\.js/

/** What the app needs, loaded on the first request that is not a probe. */
const ON_FIRST_REQUEST = /node_modules\/(?:hono|@hono\/node-server)\/|host\/dist\/app\.js/

const cleanup: (() => void)[] = []
afterEach(() => {
  for (const done of cleanup.splice(0)) done()
})

function start(args: string[], loads: string) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('TASSE_')),
  )
  const child = spawn(process.execPath, ['--import', HOOK, CLI, ...args], {
    env: { ...env, RECORD_LOADS: loads },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => {
    output += chunk
  })
  child.stderr.on('data', (chunk) => {
    output += chunk
  })
  const done = new Promise<number | null>((resolve) => child.once('close', resolve))
  cleanup.push(() => child.kill('SIGKILL'))
  return { child, output: () => output, done }
}

/** The modules the process loaded: each file it loaded, or the modules a bundle's file holds. */
function loaded(file: string): string[] {
  let urls: string[]
  try {
    urls = readFileSync(file, 'utf8').split('\n').filter(Boolean)
  } catch {
    return []
  }
  return urls.flatMap((url) => {
    if (!url.startsWith('file:')) return [url]
    const path = fileURLToPath(url)
    if (!existsSync(`${path}.map`)) return [path]
    const map = JSON.parse(readFileSync(`${path}.map`, 'utf8')) as { sources: string[] }
    return [path, ...map.sources.map((source) => resolve(dirname(path), source))]
  })
}

describe('a lean host', () => {
  const commands: [string, (data: string) => string[]][] = [
    ['run probe', (data) => ['run', 'probe', '--data', data]],
    ['next <task folder>', (data) => ['next', join(data, 'tasks', 'probe')]],
    ['validate <data folder>', (data) => ['validate', data]],
    ['list', (data) => ['list', '--data', data]],
  ]
  for (const [name, args] of commands) {
    it(`tasse ${name} loads no server module`, async () => {
      const data = dataWith(TASKS)
      cleanup.push(() => rmSync(data, { recursive: true, force: true }))
      const loads = join(data, 'loads.txt')
      const cli = start(args(data), loads)
      expect(await cli.done, cli.output()).toBe(0)
      const all = loaded(loads)
      expect(all.some((path) => path.endsWith('/host/dist/cli.js'))).toBe(true) // the hook works
      expect(all.filter((url) => SERVER_MODULES.test(url))).toEqual([])
    }, 60_000)
  }

  it('tasse serve loads the app on its first request that is not a probe, the API, the dashboard and prom-client on theirs, and answers them', async () => {
    const data = dataWith(TASKS)
    cleanup.push(() => rmSync(data, { recursive: true, force: true }))
    const loads = join(data, 'loads.txt')
    const host = start(['serve', '--data', data, '--port', '0'], loads)
    const url = await until(() => /serving .* on (http:\S+)/.exec(host.output())?.[1], 30_000)
    // Probed (an orchestrator, the image's HEALTHCHECK), the host loads no HTTP framework: its
    // Node adapter alone loads undici.
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    expect(await (await fetch(`${url}/readyz`)).json()).toEqual({
      status: 'ready',
      store: 'ok',
      tasks: 1,
    })
    expect(loaded(loads).filter((u) => ON_FIRST_REQUEST.test(u))).toEqual([])
    expect((await fetch(`${url}/trigger/probe`)).status).toBe(200)
    expect(loaded(loads).some((u) => ON_FIRST_REQUEST.test(u))).toBe(true)
    expect(loaded(loads).filter((u) => ON_DEMAND.test(u))).toEqual([])

    const tasks = await fetch(`${url}/api/v1/tasks`)
    expect(tasks.status).toBe(200)
    expect(
      ((await tasks.json()) as { tasks: { name: string }[] }).tasks.map((t) => t.name),
    ).toEqual(['probe'])
    const missing = await fetch(`${url}/api/v1/no-such-route`)
    expect([
      missing.status,
      ((await missing.json()) as { error: { code: string } }).error.code,
    ]).toEqual([404, 'not_found'])
    const page = await fetch(`${url}/`)
    expect([page.status, (await page.text()).includes('probe')]).toEqual([200, true])
    const now = loaded(loads)
    expect(now.some((u) => u.endsWith('/host/dist/api/index.js'))).toBe(true)
    expect(now.some((u) => u.endsWith('/host/dist/dashboard/index.js'))).toBe(true)
    // prom-client (Node's process metrics) on the first scrape, not before.
    expect(now.filter((u) => u.includes('node_modules/prom-client/'))).toEqual([])
    const metrics = await fetch(`${url}/metrics`)
    expect(metrics.status).toBe(200)
    expect(await metrics.text()).toMatch(/^process_cpu_user_seconds_total \d/m)
    expect(loaded(loads).some((u) => u.includes('node_modules/prom-client/'))).toBe(true)
    host.child.kill('SIGTERM')
    expect(await host.done).toBe(0)
  }, 60_000)
})
