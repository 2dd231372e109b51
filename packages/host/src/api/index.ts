/**
 * `/api/v1`: the versioned JSON API, and its OpenAPI document generated from the same zod
 * schemas that validate the requests.
 */
import { OpenAPIHono } from '@hono/zod-openapi'
import type { Tasse, TasseLogger } from '@tasse/core'
import type { Context, MiddlewareHandler } from 'hono'
import type { Notifier } from '../alerts/notifier.js'
import { ApiError, type ErrorCode, errorBody } from '../http-errors.js'
import { alertRoutes } from './alert-routes.js'
import { docsRoutes } from './docs.js'
import { hostRoutes } from './host-routes.js'
import { runRoutes } from './run-routes.js'
import { taskRoutes } from './task-routes.js'
import { taskSchemaRoute } from './task-schema.js'

export interface ApiOptions {
  tasse: Tasse
  logger: TasseLogger
  /** Whether requests need a bearer token (then the document says so). */
  secured: boolean
  /** Whose deliveries `/notifications` lists. @default none */
  notifier?: Notifier | null
}

/**
 * @example
 * app.route('/api/v1', apiV1({ tasse, logger: tasse.logger, secured: true }))
 */
export function apiV1(options: ApiOptions): OpenAPIHono {
  const api = new OpenAPIHono({ defaultHook: validationFailed })
  api.use('*', jsonBodiesOnly)
  taskRoutes(api, options.tasse)
  runRoutes(api, options.tasse, options.logger)
  hostRoutes(api, options.tasse)
  alertRoutes(api, options.tasse, options.notifier ?? null)
  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description:
      'A token from TASSE_TOKEN, TASSE_TOKENS_FILE, or <data>/.tasse/token (generated when the host listens beyond loopback without one). A host on loopback without a token configured needs none.',
  })
  let document: unknown = null
  api.get('/openapi.json', (c) => {
    document ??= openApiDocument(api, options.secured)
    return c.json(document)
  })
  docsRoutes(api)
  taskSchemaRoute(api, options.tasse)
  return api
}

/**
 * The OpenAPI 3.1 document of `api`'s routes, with the bearer scheme on every operation: required
 * on a host that has tokens, optional (`{}` also satisfies it) on an open one.
 */
function openApiDocument(api: OpenAPIHono, secured: boolean) {
  const document = api.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Tasse',
      version: '1',
      license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
      description:
        'Run the scripts in a folder on their schedules, and on request. Every error is `{ "error": { "code", "message" } }`. The reference page is at /api/v1/docs.',
    },
    servers: [{ url: '/api/v1' }],
  })
  const security: Record<string, string[]>[] = secured ? [{ bearer: [] }] : [{ bearer: [] }, {}]
  for (const item of Object.values(document.paths ?? {}))
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = item?.[method]
      if (operation) operation.security = security
    }
  return document
}

/**
 * Refuses a body that is not JSON. The validator would skip it, and a form-encoded body (what
 * `curl -d` sends by default) would run the task with its default parameters, silently.
 */
const jsonBodiesOnly: MiddlewareHandler = async function jsonBodiesOnly(c, next) {
  const type = c.req.header('content-type') ?? ''
  if (c.req.method === 'GET' || /^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) return next()
  // Not JSON: fine when empty (`curl -X POST` sends no Content-Type). The body limit has run,
  // so reading it here is bounded.
  if ((await c.req.arrayBuffer()).byteLength > 0)
    throw new ApiError(
      415,
      'unsupported_media_type',
      `the request body must be JSON, sent with "Content-Type: application/json" (got ${type ? JSON.stringify(type) : 'no Content-Type'})`,
    )
  return next()
}

/** The answer to a request that its schema refused: 400 naming the field and the problem. */
function validationFailed(
  result: {
    success: boolean
    target: string
    error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }
  },
  c: Context,
): Response | undefined {
  if (result.success || !result.error) return undefined
  const [issue] = result.error.issues
  const field = issue?.path.map(String).join('.') ?? ''
  let code: ErrorCode = 'invalid_request'
  if (result.target === 'param') code = field === 'id' ? 'invalid_run_id' : 'invalid_task_name'
  const where = `${TARGETS[result.target] ?? result.target}${field ? ` "${field}"` : ''}`
  const message = `${where}: ${issue?.message ?? 'invalid'}`
  return c.json(errorBody(code, message, field ? { field } : {}), 400)
}

const TARGETS: Record<string, string> = {
  param: 'path parameter',
  query: 'query parameter',
  json: 'request body field',
}
