/**
 * The HTTP application (Hono). A thin layer over core: every route calls one `Tasse` method.
 */
import { RunRefusedError, TaskNotFoundError, type Tasse } from '@tasse/core'
import { Hono } from 'hono'

export interface AppOptions {
  tasse: Tasse
}

/**
 * @example
 * const app = createApp({ tasse })
 * const response = await app.request('/trigger/helloworld')
 */
export function createApp(options: AppOptions): Hono {
  const { tasse } = options
  const app = new Hono()

  app.get('/healthz', (c) => c.json({ status: 'ok' }))

  // The original service's routes, answering as it did.
  app.get('/trigger/:name', async (c) => {
    try {
      const run = await tasse.trigger(c.req.param('name'))
      c.header('X-Tasse-Run-Id', run.id)
      if (run.status === 'skipped') return c.json({ status: 'skipped', reason: run.error }, 409)
      return c.json({ status: 'ok' })
    } catch (cause) {
      if (cause instanceof TaskNotFoundError) return c.json({ status: 'not found' }, 404)
      if (cause instanceof RunRefusedError)
        return c.json({ status: 'refused', reason: cause.message }, 400)
      throw cause
    }
  })
  app.get('/rescan', (c) => {
    tasse.rescan()
    return c.json({ status: 'ok' })
  })

  app.notFound((c) =>
    c.json(
      { error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` } },
      404,
    ),
  )
  app.onError((cause, c) => {
    tasse.logger.error(`${c.req.method} ${c.req.path} failed`, cause)
    return c.json({ error: { code: 'internal', message: 'internal error; see the host log' } }, 500)
  })
  return app
}
