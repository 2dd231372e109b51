import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { onError } from './http-errors.js'
import { hostMatcher, hostnameOf, originCheck } from './origin-check.js'

function appWith(checkHost: boolean) {
  const app = new Hono()
  app.onError(onError({ info() {}, warn() {}, error() {} }))
  app.use(
    '*',
    originCheck({
      checkHost,
      allowedHosts: ['tasse.lan', '*.example.com'],
      open: ['/healthz'],
      actingGet: (path) => path.startsWith('/trigger/'),
    }),
  )
  app.get('/healthz', (c) => c.text('ok'))
  app.get('/read', (c) => c.text('read'))
  app.get('/trigger/x', (c) => c.text('triggered'))
  app.post('/act', (c) => c.text('acted'))
  return app
}

const send = (app: Hono, method: string, path: string, headers: Record<string, string>) =>
  app.request(`http://unused${path}`, { method, headers })

describe('originCheck without a token (Host checked)', () => {
  const app = appWith(true)

  it('answers loopback names and allowed hosts', async () => {
    for (const host of [
      'localhost:5000',
      '127.0.0.1:5000',
      '127.0.0.53',
      '[::1]:5000',
      'app.localhost',
      'tasse.lan:80',
      'TASSE.LAN',
      'a.example.com',
    ])
      expect((await send(app, 'GET', '/read', { host })).status, host).toBe(200)
  })

  it('refuses any other name, as a page rebound to 127.0.0.1 sends it', async () => {
    for (const host of ['evil.example:5000', 'example.com', '0.0.0.0:5000', '10.0.0.1', 'x y']) {
      const response = await send(app, 'GET', '/read', { host })
      expect(response.status, host).toBe(403)
      expect(await response.json()).toMatchObject({
        error: { code: 'forbidden_host', message: expect.stringContaining('DNS rebinding') },
      })
    }
    expect((await send(app, 'GET', '/healthz', { host: 'evil.example' })).status).toBe(200)
  })
})

describe('originCheck on requests that change something', () => {
  const app = appWith(false)

  it('lets clients that are not browsers act (no Origin, no Sec-Fetch-Site)', async () => {
    expect((await send(app, 'POST', '/act', { host: 'anything:5000' })).status).toBe(200)
    expect((await send(app, 'GET', '/trigger/x', { 'sec-fetch-site': 'none' })).status).toBe(200)
  })

  it('lets the host’s own pages and allowed hosts act', async () => {
    const own = { host: 'tasse.internal:5000', origin: 'http://tasse.internal:5000' }
    expect((await send(app, 'POST', '/act', own)).status).toBe(200)
    const allowed = { host: '10.1.2.3:5000', origin: 'https://ops.example.com' }
    expect((await send(app, 'POST', '/act', allowed)).status).toBe(200)
  })

  it('refuses a cross-site POST, an opaque origin and a cross-site GET that acts', async () => {
    for (const [method, path, headers] of [
      ['POST', '/act', { host: '127.0.0.1:5000', origin: 'https://evil.example' }],
      ['POST', '/act', { host: '127.0.0.1:5000', origin: 'http://127.0.0.1:5001' }],
      ['POST', '/act', { host: '127.0.0.1:5000', origin: 'null' }],
      ['GET', '/trigger/x', { host: '127.0.0.1:5000', 'sec-fetch-site': 'cross-site' }],
      ['GET', '/trigger/x', { host: '127.0.0.1:5000', 'sec-fetch-site': 'same-site' }],
    ] as const) {
      const response = await send(app, method, path, headers)
      expect(response.status, JSON.stringify(headers)).toBe(403)
      expect(await response.json()).toMatchObject({ error: { code: 'cross_site' } })
    }
    // Reading is not acting: a cross-site GET of a page that changes nothing passes here (the
    // browser keeps the answer from the page unless the Host check refuses it first).
    const read = { host: '127.0.0.1:5000', 'sec-fetch-site': 'cross-site' }
    expect((await send(app, 'GET', '/read', read)).status).toBe(200)
  })
})

describe('hostnameOf and hostMatcher', () => {
  it('reads a Host header', () => {
    expect(hostnameOf('Example.COM:80')).toBe('example.com')
    expect(hostnameOf('[::1]:5000')).toBe('::1')
    expect(hostnameOf('localhost.')).toBe('localhost')
    expect(hostnameOf('a b')).toBeNull()
    expect(hostnameOf('a:b:c')).toBeNull()
  })

  it('matches exact names and *.domain', () => {
    const matches = hostMatcher(['tasse.lan', '*.example.com', '[fd00::1]'])
    expect(matches('tasse.lan')).toBe(true)
    expect(matches('x.example.com')).toBe(true)
    expect(matches('example.com')).toBe(false)
    expect(matches('badexample.com')).toBe(false)
    expect(matches('fd00::1')).toBe(true)
  })
})
