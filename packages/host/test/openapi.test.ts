/**
 * The OpenAPI document as clients use it: served by a real host, linted by Redocly's CLI
 * (`@redocly/cli lint`, its recommended rules, offline) with 0 errors and 0 warnings, and the
 * API reference page at /api/v1/docs, served from node_modules.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RunningHost, readConfig, startHost } from '@tasse/host'
import { afterEach, describe, expect, it } from 'vitest'
import { dataWith, memoryLogger } from './api-fixtures.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const REDOCLY = join(ROOT, 'node_modules', '.bin', 'redocly')
const TOKEN = 'openapi-test-token-77aa'

let host: RunningHost | undefined
const folders: string[] = []
afterEach(async () => {
  await host?.close()
  host = undefined
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function start(env: NodeJS.ProcessEnv): Promise<RunningHost> {
  const data = dataWith()
  folders.push(data)
  host = await startHost(readConfig({ data, port: '0' }, env), { logger: memoryLogger() })
  return host
}

/** `redocly lint` on `document`: its totals and problems, as its JSON report gives them. */
function lint(document: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'tasse-openapi-'))
  folders.push(dir)
  const file = join(dir, 'openapi.json')
  writeFileSync(file, JSON.stringify(document))
  const result = spawnSync(REDOCLY, ['lint', file, '--format', 'json'], {
    encoding: 'utf8',
    cwd: dir,
    timeout: 120_000,
    // Offline and quiet: no usage report, no check for a newer version.
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
  })
  const report = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as {
    totals: { errors: number; warnings: number }
    problems: { ruleId: string; message: string }[]
  }
  return { status: result.status, ...report }
}

describe('the OpenAPI document', () => {
  it.each([
    ['a host with a token', { TASSE_TOKEN: TOKEN }],
    ['an open host on loopback', {}],
  ])(
    'lints with 0 errors and 0 warnings (@redocly/cli), on %s',
    async (_, env) => {
      const { url } = await start(env)
      // Served without a token: it describes the API, the same for every host.
      const response = await fetch(`${url}/api/v1/openapi.json`)
      expect(response.status).toBe(200)
      const document = (await response.json()) as {
        paths: Record<string, Record<string, { operationId?: string; security?: unknown }>>
      }
      const report = lint(document)
      expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([])
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 })
      expect(report.status).toBe(0)

      const operations = Object.values(document.paths).flatMap((item) => Object.values(item))
      expect(operations.length).toBeGreaterThanOrEqual(10)
      const ids = operations.map((operation) => operation.operationId)
      expect(new Set(ids).size).toBe(operations.length)
      for (const operation of operations)
        expect(operation.security).toEqual(
          'TASSE_TOKEN' in env ? [{ bearer: [] }] : [{ bearer: [] }, {}],
        )
    },
    180_000,
  )
})

describe('/api/v1/docs', () => {
  it('serves the reference page and Swagger UI from node_modules, without a token', async () => {
    const { url } = await start({ TASSE_TOKEN: TOKEN })
    const page = await fetch(`${url}/api/v1/docs`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await page.text()
    // Every script and stylesheet is the host's own: nothing from another origin.
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string)
    expect(sources.sort()).toEqual([
      'docs/favicon-32x32.png',
      'docs/start.js',
      'docs/swagger-ui-bundle.js',
      'docs/swagger-ui.css',
    ])
    for (const source of sources) {
      const asset = await fetch(new URL(source, `${url}/api/v1/docs`))
      expect(asset.status, source).toBe(200)
      expect((await asset.arrayBuffer()).byteLength, source).toBeGreaterThan(100)
    }
    const bundle = await fetch(`${url}/api/v1/docs/swagger-ui-bundle.js`)
    expect(bundle.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect(await bundle.text()).toContain('SwaggerUIBundle')
    expect((await fetch(`${url}/api/v1/docs/package.json`)).status).toBe(401)
    expect((await fetch(`${url}/api/v1/tasks`)).status).toBe(401)
  })
})
