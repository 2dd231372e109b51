/**
 * `/api/v1/tasks/{name}/runs` and `/api/v1/runs…`: trigger, list, detail, cancel and logs.
 * Each route calls `Tasse`; what a refusal means is core's (`RunRefusedError` with the refusal
 * and the `skipped` run), and `onError` gives it a status by its code.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi'
import type { Run, RunLogReader, Tasse, TasseLogger } from '@tasse/core'
import type { Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import { ApiError } from '../http-errors.js'
import { parseByteRange } from './byte-range.js'
import { errorResponses, json } from './openapi-helpers.js'
import {
  LogQuery,
  RunIdParam,
  RunListQuery,
  RunPageSchema,
  RunSchema,
  TaskNameParam,
  TriggerBody,
} from './schemas.js'
import { runView } from './views.js'

/** How often a followed log sends an SSE comment, so that proxies keep an idle stream open. */
export const SSE_KEEPALIVE_MS = 15_000

const triggerRun = createRoute({
  operationId: 'triggerRun',
  method: 'post',
  path: '/tasks/{name}/runs',
  tags: ['runs'],
  summary: 'Run a task now, with parameters',
  description:
    'Answers 202 with the run (`queued` or `running`) and its URL in `Location`. 409 when the task’s overlap policy refuses the run (the run is recorded as `skipped`; `blockingRunId` names the run in the way).',
  request: {
    params: TaskNameParam,
    body: { content: { 'application/json': { schema: TriggerBody } }, required: false },
  },
  responses: {
    202: json(RunSchema, 'The run, queued or running'),
    ...errorResponses(400, 401, 404, 409, 413, 415, 503),
  },
})

const listRuns = createRoute({
  operationId: 'listRuns',
  method: 'get',
  path: '/runs',
  tags: ['runs'],
  summary: 'Run history, newest first, in pages',
  request: { query: RunListQuery },
  responses: { 200: json(RunPageSchema, 'One page of runs'), ...errorResponses(400, 401) },
})

const getRun = createRoute({
  operationId: 'getRun',
  method: 'get',
  path: '/runs/{id}',
  tags: ['runs'],
  summary: 'One run',
  request: { params: RunIdParam },
  responses: { 200: json(RunSchema, 'The run'), ...errorResponses(400, 401, 404) },
})

const cancelRun = createRoute({
  operationId: 'cancelRun',
  method: 'post',
  path: '/runs/{id}/cancel',
  tags: ['runs'],
  summary: 'Cancel a queued or running run (its whole process group is ended)',
  request: { params: RunIdParam },
  responses: {
    202: json(RunSchema, 'The run as it is now; it reaches `cancelled` once its processes exit'),
    ...errorResponses(400, 401, 404, 409),
  },
})

const runLogs = createRoute({
  operationId: 'getRunLogs',
  method: 'get',
  path: '/runs/{id}/logs',
  tags: ['runs'],
  summary:
    'A run’s output: as text (a byte range of it with `Range`), or followed live (`?follow=1`)',
  request: { params: RunIdParam, query: LogQuery },
  responses: {
    200: {
      description:
        'The output so far as text, streamed from the file; with `follow`, Server-Sent Events: `output` events whose data is `{"text": …}` (from the start), then one `end` event whose data is the run.',
      content: {
        'text/plain': { schema: z.string() },
        'text/event-stream': { schema: z.string() },
      },
    },
    206: {
      description:
        'The bytes asked for with `Range: bytes=first-last` (or `first-`, or `-suffix`); `Content-Range` says which, of how many. One range per request.',
      content: { 'text/plain': { schema: z.string() } },
    },
    ...errorResponses(400, 401, 404, 416),
  },
})

export function runRoutes(app: OpenAPIHono, tasse: Tasse, logger: TasseLogger): void {
  app.openapi(triggerRun, async (c) => {
    const { name } = c.req.valid('param')
    const body = c.req.valid('json') as z.infer<typeof TriggerBody> | undefined
    // A refusal is core's RunRefusedError, answered by its code alone (`http-errors.ts`).
    const run = await tasse.trigger(name, { params: body?.params ?? {} })
    c.header('Location', `/api/v1/runs/${run.id}`)
    return c.json(runView(run), 202)
  })

  app.openapi(listRuns, async (c) => {
    // A cursor the store did not make is a BadCursorError: 400, by `onError`.
    const page = await tasse.listRuns(c.req.valid('query'))
    return c.json({ runs: page.runs.map(runView), nextCursor: page.nextCursor }, 200)
  })

  app.openapi(getRun, async (c) => {
    return c.json(runView(await requireRun(tasse, c.req.valid('param').id)), 200)
  })

  app.openapi(cancelRun, async (c) => {
    const { id } = c.req.valid('param')
    const run = await requireRun(tasse, id)
    if (!(await tasse.cancel(id)))
      throw new ApiError(
        409,
        'run_not_active',
        `run ${id} is not queued or running on any host (status: ${run.status})`,
        { status: run.status },
      )
    return c.json(runView((await tasse.getRun(id)) ?? run), 202)
  })

  app.openapi(runLogs, async (c) => {
    const { id } = c.req.valid('param')
    const { follow } = c.req.valid('query')
    const run = await requireRun(tasse, id)
    c.header('X-Tasse-Run-Status', run.status)
    if (!follow) return streamRunLog(c, await tasse.openRunLog(id))
    return streamSSE(
      c,
      async (stream) => {
        const controller = new AbortController()
        stream.onAbort(() => controller.abort())
        const keepalive = setInterval(() => void stream.write(': keep-alive\n\n'), SSE_KEEPALIVE_MS)
        try {
          for await (const text of await tasse.followRunLog(id, controller.signal))
            await stream.writeSSE({ event: 'output', data: JSON.stringify({ text }) })
          if (controller.signal.aborted) return
          const ended = (await tasse.getRun(id)) ?? run
          await stream.writeSSE({ event: 'end', data: JSON.stringify(runView(ended)) })
        } finally {
          clearInterval(keepalive)
        }
      },
      async (cause, stream) => {
        logger.error(`following the log of run ${id} failed`, cause)
        await stream.writeSSE({
          event: 'error',
          data: JSON.stringify({ code: 'internal', message: 'the host log has the details' }),
        })
      },
    )
  })
}

/**
 * A run log as the body, streamed from the file (never read whole into memory: four parallel
 * reads of a 200 MB log took the host to 2.26 GB when it was), or the one byte range asked for.
 */
async function streamRunLog(c: Context, log: RunLogReader): Promise<Response> {
  const range = parseByteRange(c.req.header('range'), log.size)
  c.header('Accept-Ranges', 'bytes')
  if (range === 'unsatisfiable') {
    await log.close()
    c.header('Content-Range', `bytes */${log.size}`)
    throw new ApiError(
      416,
      'range_not_satisfiable',
      `the range ${JSON.stringify(c.req.header('range'))} is outside the log's ${log.size} bytes`,
      { size: log.size },
    )
  }
  c.header('Content-Type', 'text/plain; charset=UTF-8')
  if (!range) {
    c.header('Content-Length', String(log.size))
    return c.body(log.stream(), 200)
  }
  c.header('Content-Range', `bytes ${range.start}-${range.end}/${log.size}`)
  c.header('Content-Length', String(range.end - range.start + 1))
  return c.body(log.stream(range), 206)
}

async function requireRun(tasse: Tasse, id: string): Promise<Run> {
  const run = await tasse.getRun(id)
  if (!run)
    throw new ApiError(
      404,
      'run_not_found',
      `no run with id "${id}" (GET /api/v1/runs lists them; old runs are pruned)`,
    )
  return run
}
