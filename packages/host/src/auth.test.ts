import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { bearerAuth, tokenMatcher } from './auth.js'
import { onError } from './http-errors.js'

describe('tokenMatcher', () => {
  it('matches any configured token exactly, whatever its length', () => {
    const matches = tokenMatcher(['short', 'a-much-longer-token-0123456789'])
    expect(matches('short')).toBe(true)
    expect(matches('a-much-longer-token-0123456789')).toBe(true)
    for (const candidate of ['', 'shor', 'shortx', 'SHORT', 'a-much-longer-token-012345678'])
      expect(matches(candidate), candidate).toBe(false)
  })

  it('matches nothing when no token is configured', () => {
    expect(tokenMatcher([])('anything')).toBe(false)
  })
})

describe('bearerAuth', () => {
  const app = new Hono()
  app.onError(onError({ info() {}, warn() {}, error() {} }))
  app.use('*', bearerAuth({ tokens: ['s3cret'], open: ['/open'], hint: 'see TASSE_TOKEN' }))
  app.get('/open', (c) => c.text('open'))
  app.get('/closed', (c) => c.text('closed'))

  it('lets open paths through and asks for a token elsewhere', async () => {
    expect(await (await app.request('/open')).text()).toBe('open')
    const refused = await app.request('/closed')
    expect(refused.status).toBe(401)
    expect(await refused.json()).toEqual({
      error: {
        code: 'unauthorized',
        message: 'this host needs a token: send "Authorization: Bearer <token>" (see TASSE_TOKEN)',
      },
    })
    const ok = await app.request('/closed', { headers: { authorization: 'Bearer s3cret' } })
    expect(await ok.text()).toBe('closed')
  })

  it('checks open paths exactly: a prefix or a suffix is not open', async () => {
    for (const path of ['/open/x', '/openx', '/closed?/open'])
      expect((await app.request(path)).status, path).toBe(401)
  })
})
