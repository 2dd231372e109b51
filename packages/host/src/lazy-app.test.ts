import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { lazyApp } from './lazy-app.js'

const handlers = {
  onError: (cause: Error, c: import('hono').Context) => c.json({ error: cause.message }, 500),
  notFound: (c: import('hono').Context) => c.json({ error: 'no such route' }, 404),
}

function part() {
  const app = new Hono()
  app.get('/hello', (c) => c.text('hello'))
  app.get('/boom', () => {
    throw new Error('boom')
  })
  return app
}

describe('lazyApp', () => {
  it('builds the part on its first request only, once, and answers as if it were mounted', async () => {
    let builds = 0
    const app = new Hono()
    app.notFound(handlers.notFound)
    const api = lazyApp({
      ...handlers,
      mount: '/api',
      build: async () => {
        builds++
        return part()
      },
    })
    app.all('/api/*', api)
    app.get('/other', (c) => c.text('other'))
    expect(await (await app.request('/other')).text()).toBe('other')
    expect(builds).toBe(0)
    const answers = await Promise.all([app.request('/api/hello'), app.request('/api/hello')])
    expect(await Promise.all(answers.map((r) => r.text()))).toEqual(['hello', 'hello'])
    expect(builds).toBe(1)
    const missing = await app.request('/api/nothing')
    expect([missing.status, await missing.json()]).toEqual([404, { error: 'no such route' }])
    const failed = await app.request('/api/boom')
    expect([failed.status, await failed.json()]).toEqual([500, { error: 'boom' }])
    expect(builds).toBe(1)
  })

  it('builds again after a build that failed, and the request that met the failure gets an error', async () => {
    let builds = 0
    const app = new Hono()
    app.onError(handlers.onError)
    app.all(
      '/api/*',
      lazyApp({
        ...handlers,
        mount: '/api',
        build: async () => {
          if (++builds === 1) throw new Error('could not load the API')
          return part()
        },
      }),
    )
    const first = await app.request('/api/hello')
    expect([first.status, await first.json()]).toEqual([500, { error: 'could not load the API' }])
    expect(await (await app.request('/api/hello')).text()).toBe('hello')
    expect(builds).toBe(2)
  })
})
