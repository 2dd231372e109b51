/**
 * Every HTTP error as one JSON shape, `{ "error": { "code", "message", …details } }`: routes
 * throw (an `ApiError`, or one of core's errors a client can cause: an unknown task, a refused
 * parameter, a refused run, a bad cursor) and one `onError` turns what they threw into a
 * response, from the error's class and code alone. Anything else is a bug: logged with its stack
 * on the host, answered as a bare 500 without it.
 */
import {
  BadCursorError,
  InvalidParamError,
  type RefusalCode,
  RunRefusedError,
  TaskNotFoundError,
  type TasseLogger,
} from '@tasse/core'
import type { Context, ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** The machine-readable part of an error; clients branch on it, people read the message. */
export type ErrorCode =
  | 'bad_request'
  | 'invalid_request'
  | 'invalid_task_name'
  | 'invalid_run_id'
  | 'invalid_param'
  | 'unauthorized'
  | 'forbidden_host'
  | 'cross_site'
  | 'not_found'
  | 'task_not_found'
  | 'task_invalid'
  | 'run_not_found'
  | 'not_scheduled'
  | 'overlap'
  | 'run_not_active'
  | 'paused'
  | 'payload_too_large'
  | 'range_not_satisfiable'
  | 'unsupported_media_type'
  | 'starting'
  | 'unavailable'
  | 'internal'

export interface ErrorBody {
  error: { code: ErrorCode; message: string } & Record<string, unknown>
}

/** An error with its status, code and message for the client (and details such as `known`). */
export class ApiError extends HTTPException {
  override readonly name = 'ApiError'
  readonly code: ErrorCode
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    status: ContentfulStatusCode,
    code: ErrorCode,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(status, { message })
    this.code = code
    this.details = details
  }
}

/** The JSON body of an error. */
export function errorBody(
  code: ErrorCode,
  message: string,
  details: Record<string, unknown> = {},
): ErrorBody {
  return { error: { code, message, ...details } }
}

/**
 * The status and code of each refusal. A full queue is the overlap policy refusing too (409
 * `overlap`, naming the run in the way); a host shutting down is unavailable, not a conflict.
 */
const REFUSALS: Record<RefusalCode, [ContentfulStatusCode, ErrorCode]> = {
  overlap: [409, 'overlap'],
  queue_full: [409, 'overlap'],
  paused: [409, 'paused'],
  shutting_down: [503, 'unavailable'],
}

/** The response for anything a route threw. */
export function errorResponse(cause: unknown, c: Context, logger: TasseLogger): Response {
  if (cause instanceof ApiError)
    return c.json(errorBody(cause.code, cause.message, { ...cause.details }), cause.status)
  if (cause instanceof TaskNotFoundError)
    return c.json(errorBody('task_not_found', cause.message, { known: cause.known }), 404)
  if (cause instanceof InvalidParamError)
    return c.json(errorBody('invalid_param', cause.message, { param: cause.param }), 400)
  if (cause instanceof RunRefusedError) {
    const [status, code] = REFUSALS[cause.refusal.code]
    const blocking = cause.refusal.blockingRunId
    const details = { runId: cause.run.id, ...(blocking ? { blockingRunId: blocking } : {}) }
    return c.json(errorBody(code, cause.message, details), status)
  }
  if (cause instanceof BadCursorError)
    return c.json(errorBody('invalid_request', cause.message, { field: 'cursor' }), 400)
  if (cause instanceof HTTPException) {
    // Hono's own (the body limit, a malformed JSON body): keep the status, give it our shape.
    const code: ErrorCode = cause.status === 413 ? 'payload_too_large' : 'bad_request'
    return c.json(errorBody(code, cause.message || statusText(cause.status)), cause.status)
  }
  logger.error(`${c.req.method} ${JSON.stringify(c.req.path)} failed`, cause)
  if (cause instanceof Error && cause.stack) logger.error(cause.stack)
  return c.json(errorBody('internal', 'internal error; the host log has the details'), 500)
}

/** `app.onError` for a Hono app. */
export function onError(logger: TasseLogger): ErrorHandler {
  return function onError(cause, c) {
    return errorResponse(cause, c, logger)
  }
}

/** `app.notFound`: unknown routes answer JSON too. */
export const notFound: NotFoundHandler = function notFound(c) {
  return c.json(
    errorBody(
      'not_found',
      `no route ${c.req.method} ${c.req.path}; the API is described at /api/v1/openapi.json`,
    ),
    404,
  )
}

function statusText(status: number): string {
  return status === 413 ? 'the request body is too large' : `request refused (HTTP ${status})`
}
