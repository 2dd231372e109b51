/**
 * A part of the HTTP app built on its first request: the JSON API (zod and the OpenAPI layer)
 * and the dashboard are most of the host's module graph, and a host that only runs its
 * schedule, or answers `/trigger`, never needs them in memory.
 */
import type { Context, Env, ErrorHandler, NotFoundHandler } from 'hono'
import { Hono } from 'hono'

export interface LazyAppOptions<E extends Env> {
  /** Where the part is mounted (`/api/v1`, `/`). */
  mount: string
  /** Builds the part; called once, on the first request that needs it (again if it failed). */
  build: () => Promise<Hono<E>>
  /** The main app's handlers, so that a request answers the same as if the part were mounted. */
  onError: ErrorHandler
  notFound: NotFoundHandler
}

/**
 * A handler that builds the part once and hands it every request it gets.
 *
 * @example
 * const api = lazyApp({ mount: '/api/v1', build: async () => (await import('./api/index.js')).apiV1(o), onError, notFound })
 * app.all('/api/v1/*', api)
 */
export function lazyApp<E extends Env>(
  options: LazyAppOptions<E>,
): (c: Context) => Promise<Response> {
  let built: Promise<Hono> | null = null
  const build = async () => {
    const part = await options.build()
    const app = new Hono()
    app.onError(options.onError)
    app.notFound(options.notFound)
    app.route(options.mount, part)
    return app
  }
  return async function lazyApp(c) {
    built ??= build()
    let app: Hono
    try {
      app = await built
    } catch (cause) {
      built = null // a module that failed to load may load next time (a disk that was full)
      throw cause
    }
    return app.fetch(c.req.raw, c.env)
  }
}
