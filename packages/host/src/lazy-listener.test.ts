import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TasseLogger } from '@tasse/core'
import { afterEach, describe, expect, it } from 'vitest'
import { lazyListener } from './lazy-listener.js'
import type { ProbeAnswer } from './probes.js'

const silentLogger: TasseLogger = { info: () => {}, warn: () => {}, error: () => {} }

const servers: ReturnType<typeof createServer>[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function setup(load: () => Promise<RequestListener>) {
  const probed: string[] = []
  let loads = 0
  const listener = lazyListener({
    probe: (path): ProbeAnswer => {
      probed.push(path)
      return path === '/healthz'
        ? { status: 200, body: { status: 'ok' } }
        : { status: 503, body: { status: 'starting' } }
    },
    load: () => {
      loads++
      return load()
    },
    logger: silentLogger,
  })
  return { listener, probed, loads: () => loads }
}

const app: RequestListener = (request, response) => {
  let body = ''
  request.on('data', (chunk) => {
    body += chunk
  })
  request.on('end', () => response.end(`app: ${request.method} ${request.url} ${body}`))
}

describe('lazyListener', () => {
  it('answers GET and HEAD of the probes itself, without loading the app', async () => {
    const { listener, probed, loads } = setup(async () => app)
    const url = await serve(listener)
    const health = await fetch(`${url}/healthz`)
    expect([health.status, health.headers.get('content-type'), await health.json()]).toEqual([
      200,
      'application/json',
      { status: 'ok' },
    ])
    const ready = await fetch(`${url}/readyz?verbose=1`)
    expect([ready.status, await ready.json()]).toEqual([503, { status: 'starting' }])
    const head = await fetch(`${url}/healthz`, { method: 'HEAD' })
    expect([head.status, await head.text()]).toEqual([200, ''])
    expect(probed).toEqual(['/healthz', '/readyz', '/healthz'])
    expect(loads()).toBe(0)
  })

  it('loads the app once, on the first other request, and hands it every other request with its body', async () => {
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const { listener, loads } = setup(async () => {
      await gate
      return app
    })
    const url = await serve(listener)
    const first = fetch(`${url}/trigger/x`)
    const second = fetch(`${url}/api/v1/tasks`, { method: 'POST', body: 'hello' })
    release()
    expect(await (await first).text()).toBe('app: GET /trigger/x ')
    expect(await (await second).text()).toBe('app: POST /api/v1/tasks hello')
    // A probe with a body, another method or path, goes to the app as Hono would have it.
    expect(await (await fetch(`${url}/readyz`, { method: 'POST', body: 'x' })).text()).toBe(
      'app: POST /readyz x',
    )
    expect(await (await fetch(`${url}/healthz/`)).text()).toBe('app: GET /healthz/ ')
    expect(loads()).toBe(1)
  })

  it('answers 500 when the app does not load, and loads it again on the next request', async () => {
    let fail = true
    const { listener, loads } = setup(async () => {
      if (fail) throw new Error('disk full')
      return app
    })
    const url = await serve(listener)
    const failed = await fetch(`${url}/api/v1/tasks`)
    expect([failed.status, await failed.json()]).toEqual([
      500,
      { error: { code: 'internal', message: 'internal error' } },
    ])
    fail = false
    expect(await (await fetch(`${url}/api/v1/tasks`)).text()).toBe('app: GET /api/v1/tasks ')
    expect(loads()).toBe(2)
  })

  it('answers 500 when a probe throws, and goes on serving', async () => {
    const listener = lazyListener({
      probe: () => {
        throw new Error('boom')
      },
      load: async () => app,
      logger: silentLogger,
    })
    const url = await serve(listener)
    expect((await fetch(`${url}/readyz`)).status).toBe(500)
    expect((await fetch(`${url}/readyz`)).status).toBe(500)
  })
})
