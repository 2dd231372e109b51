/**
 * The HTTP application (Hono). A thin layer over core: every route calls `Tasse`.
 *
 * Order of the layers: errors → body limit → Host and Origin (`originCheck`: no web page may
 * drive the host) → bearer token (all but `/healthz`, `/readyz` and the dashboard's pages,
 * which take a session instead) → "still starting" (503 until the first discovery is done) →
 * routes.
 */
import {
  InvalidParamError,
  isValidTaskName,
  RunRefusedError,
  TaskNotFoundError,
  type Tasse,
  traceFire,
} from '@tasse/core'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { Notifier } from './alerts/notifier.js'
import { DOCS_PATHS } from './api/docs.js'
import { TASK_SCHEMA_PATH } from './api/task-schema.js'
import { bearerAuth } from './auth.js'
import { dashboardOwns } from './dashboard/paths.js'
import { ApiError, notFound, onError } from './http-errors.js'
import { lazyApp } from './lazy-app.js'
import { createMetrics, type TasseMetrics } from './metrics.js'
import { originCheck } from './origin-check.js'
import { healthz, PROBE_PATHS, readyz } from './probes.js'

export interface AppOptions {
  tasse: Tasse
  /**
   * The bearer tokens the app accepts (`resolveAuth` reads them from the configuration).
   * `null` or absent: open, as the original service (only right on loopback).
   */
  tokens?: readonly string[] | null
  /** Where an operator finds a token, for 401 messages, e.g. `TASSE_TOKEN`. */
  tokenHint?: string
  /**
   * Whether the instance is ready: started (first discovery done) and not stopping. Until it
   * is, every route but `/healthz`, `/readyz` and `/metrics` answers 503.
   * @default () => true
   */
  ready?: () => boolean
  /** The metrics `/metrics` serves. @default metrics made for this app */
  metrics?: TasseMetrics
  /** Largest request body accepted, in bytes. @default 64 KiB */
  maxBodyBytes?: number
  /** Host names accepted besides loopback ones (see `originCheck`). @default [] */
  allowedHosts?: readonly string[]
  /** The notifier whose deliveries `/api/v1/notifications` lists. @default none */
  notifier?: Notifier | null
  /** When the host started (ms since the epoch), for the dashboard. @default when the app is made */
  startedAt?: number
}

/** The GET routes that act (the original's), checked as state-changing requests are. */
export function isActingGet(path: string): boolean {
  return path.startsWith('/trigger/') || path === '/rescan'
}

/**
 * Paths answered without a token: probes carry none, nor does a browser opening the API docs,
 * nor an editor fetching task.yaml's schema.
 */
export const OPEN_PATHS = [...PROBE_PATHS, ...DOCS_PATHS, TASK_SCHEMA_PATH] as const

/**
 * @example
 * const app = createApp({ tasse, tokens: ['s3cret'] })
 * const response = await app.request('/api/v1/tasks', { headers: { authorization: 'Bearer s3cret' } })
 */
export function createApp(options: AppOptions): Hono {
  const { tasse } = options
  const logger = tasse.logger
  const ready = options.ready ?? (() => true)
  const metrics = options.metrics ?? createMetrics(tasse)
  const maxSize = options.maxBodyBytes ?? 64 * 1024
  const app = new Hono()
  const startedAt = options.startedAt ?? Date.now()

  app.onError(onError(logger))
  app.notFound(notFound)
  // TASSE_TRACE=1: when the request reached the app (the bench's trigger breakdown).
  app.use('*', async function traceRequest(c, next) {
    traceFire('request', c.req.path)
    return next()
  })
  app.use(
    '*',
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(
          413,
          'payload_too_large',
          `the request body is larger than ${maxSize} bytes`,
        )
      },
    }),
  )
  app.use(
    '*',
    originCheck({
      allowedHosts: options.allowedHosts ?? [],
      checkHost: !options.tokens,
      open: OPEN_PATHS,
      actingGet: isActingGet,
    }),
  )
  if (options.tokens)
    app.use(
      '*',
      bearerAuth({
        tokens: options.tokens,
        open: OPEN_PATHS,
        hint: options.tokenHint ?? '',
        skip: dashboardOwns,
      }),
    )

  app.get('/healthz', (c) => c.json(healthz().body))
  app.get('/readyz', async (c) => {
    const answer = await readyz(tasse, ready)
    return c.json(answer.body, answer.status)
  })
  app.get('/metrics', async (c) =>
    c.text(await metrics.text(), 200, { 'Content-Type': metrics.contentType }),
  )

  app.use('*', async (c, next) => {
    if (!ready()) {
      c.header('Retry-After', '1')
      throw new ApiError(503, 'starting', 'the host is starting or stopping; retry in a moment')
    }
    return next()
  })

  // The original service's routes, answering as it did.
  app.get('/trigger/:name', async (c) => {
    const name = c.req.param('name')
    if (!isValidTaskName(name)) return c.json({ status: 'not found' }, 404)
    try {
      const run = await tasse.trigger(name)
      c.header('X-Tasse-Run-Id', run.id)
      return c.json({ status: 'ok' })
    } catch (cause) {
      if (cause instanceof TaskNotFoundError) return c.json({ status: 'not found' }, 404)
      if (cause instanceof InvalidParamError)
        return c.json({ status: 'refused', reason: cause.message }, 400)
      if (cause instanceof RunRefusedError) {
        c.header('X-Tasse-Run-Id', cause.run.id)
        return c.json({ status: 'skipped', reason: cause.refusal.message }, 409)
      }
      throw cause
    }
  })
  app.get('/rescan', (c) => {
    const { problem } = tasse.rescan()
    if (problem) return c.json({ status: 'unavailable', reason: problem }, 503)
    return c.json({ status: 'ok' })
  })

  // The API and the dashboard load on their first request (see lazy-app.ts).
  const handlers = { onError: onError(logger), notFound }
  const api = lazyApp({
    ...handlers,
    mount: '/api/v1',
    build: async () =>
      (await import('./api/index.js')).apiV1({
        tasse,
        logger,
        secured: Boolean(options.tokens),
        notifier: options.notifier ?? null,
      }),
  })
  app.all('/api/v1', api)
  app.all('/api/v1/*', api)
  const board = lazyApp({
    ...handlers,
    mount: '/',
    build: async () =>
      (await import('./dashboard/index.js')).dashboard({
        tasse,
        tokens: options.tokens ?? null,
        startedAt,
      }).app,
  })
  app.use('*', (c, next) => (dashboardOwns(c.req.path) ? board(c) : next()))
  return app
}
