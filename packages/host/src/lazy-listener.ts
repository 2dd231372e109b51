/**
 * The host's HTTP request listener: answers the probes itself and loads the app (Hono, its Node
 * adapter, the routes) on the first other request. An idle host that is only probed, or not
 * called at all, never holds them: the adapter alone loads undici (12 MB of RSS, see
 * `probes.ts`), the app's module graph a few more.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { TasseLogger } from '@tasse/core'
import { PROBE_PATHS, type ProbeAnswer } from './probes.js'

export type ProbePath = (typeof PROBE_PATHS)[number]

export interface LazyListenerOptions {
  /** Answers a probe (`GET` or `HEAD` of `/healthz` or `/readyz`, no body). */
  probe: (path: ProbePath) => ProbeAnswer | Promise<ProbeAnswer>
  /** Loads the listener of every other request; called once (again if it failed). */
  load: () => Promise<RequestListener>
  logger: TasseLogger
}

/**
 * @example
 * createServer(lazyListener({ probe, load: async () => getRequestListener(app.fetch), logger }))
 */
export function lazyListener(options: LazyListenerOptions): RequestListener {
  const probes = new Set<string>(PROBE_PATHS)
  let loading: Promise<RequestListener> | null = null
  return function lazyListener(request, response) {
    const path = probePath(request, probes)
    if (path) {
      answerProbe(options, path, request, response)
      return
    }
    loading ??= options.load()
    loading
      .then(
        (listener) => listener(request, response),
        (cause: unknown) => {
          loading = null // a module that failed to load may load next time (a disk that was full)
          send(response, 500, { error: { code: 'internal', message: 'internal error' } }, false)
          options.logger.error(
            `HTTP: ${request.method} ${request.url}: the app did not load`,
            cause,
          )
        },
      )
      .catch(() => {}) // as above; Hono's listener answers its own errors
  }
}

/** The probe a request asks for, or `null` (anything else, or a body, goes to the app). */
function probePath(request: IncomingMessage, probes: Set<string>): ProbePath | null {
  if (request.method !== 'GET' && request.method !== 'HEAD') return null
  if (request.headers['content-length'] || request.headers['transfer-encoding']) return null
  const url = request.url ?? ''
  const query = url.indexOf('?')
  const path = query === -1 ? url : url.slice(0, query)
  return probes.has(path) ? (path as ProbePath) : null
}

function answerProbe(
  options: LazyListenerOptions,
  path: ProbePath,
  request: IncomingMessage,
  response: ServerResponse,
): void {
  const head = request.method === 'HEAD'
  Promise.resolve()
    .then(() => options.probe(path))
    .then(
      (answer) => send(response, answer.status, answer.body, head),
      (cause: unknown) => {
        send(response, 500, { error: { code: 'internal', message: 'internal error' } }, head)
        options.logger.error(`HTTP: ${path} failed`, cause)
      },
    )
    // A logger that throws must not make an unhandled rejection of the host.
    .catch(() => {})
}

function send(response: ServerResponse, status: number, body: unknown, head: boolean): void {
  if (response.headersSent || response.destroyed) return
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  response.end(head ? undefined : text)
}
