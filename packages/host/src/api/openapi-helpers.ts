/** Shorthands for the OpenAPI route definitions: a JSON response, and the error responses. */
import type { z } from '@hono/zod-openapi'
import { ErrorSchema } from './schemas.js'

/** A JSON response with its schema. */
export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } }
}

const ERROR_MEANINGS = {
  400: 'The request is malformed: a bad task name, run id, query or parameter (`invalid_param` names it)',
  401: 'No token, or not one this host accepts',
  404: 'No such task (`known` lists the tasks) or run',
  409: 'Refused in the current state: the overlap policy (`blockingRunId` is the running run), a task without a schedule, a run that already ended',
  413: 'The body is too large',
  415: 'The body is not JSON (send `Content-Type: application/json`)',
  416: 'The `Range` asked for lies outside the file (`Content-Range: bytes */<size>` gives its size)',
  503: 'The host is starting or shutting down',
} as const

/** The error responses a route can give, all `{ error: { code, message } }`. */
export function errorResponses<S extends keyof typeof ERROR_MEANINGS>(...statuses: S[]) {
  return Object.fromEntries(
    statuses.map((status) => [status, json(ErrorSchema, ERROR_MEANINGS[status])]),
  ) as Record<S, ReturnType<typeof json<typeof ErrorSchema>>>
}
