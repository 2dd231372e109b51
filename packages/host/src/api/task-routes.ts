/**
 * `/api/v1/tasks…` and `/api/v1/rescan`: each route calls one `Tasse` method and shows the
 * result through `views.ts`.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi'
import { type TaskInfo, TaskNotFoundError, type Tasse } from '@tasse/core'
import { ApiError } from '../http-errors.js'
import { errorResponses, json } from './openapi-helpers.js'
import {
  NextQuery,
  RescanSchema,
  TaskListQuery,
  TaskListSchema,
  TaskNameParam,
  TaskSchema,
} from './schemas.js'
import { taskView } from './views.js'

const listTasks = createRoute({
  operationId: 'listTasks',
  method: 'get',
  path: '/tasks',
  tags: ['tasks'],
  summary: 'Every task folder: valid, paused or invalid (with its error)',
  request: { query: TaskListQuery },
  responses: { 200: json(TaskListSchema, 'The tasks, by name'), ...errorResponses(400, 401) },
})

const getTask = createRoute({
  operationId: 'getTask',
  method: 'get',
  path: '/tasks/{name}',
  tags: ['tasks'],
  summary: 'One task: its trigger, next fire times, state and last run',
  request: { params: TaskNameParam, query: NextQuery },
  responses: { 200: json(TaskSchema, 'The task'), ...errorResponses(400, 401, 404) },
})

const pauseTask = createRoute({
  operationId: 'pauseTask',
  method: 'post',
  path: '/tasks/{name}/pause',
  tags: ['tasks'],
  summary: 'Pause a task’s schedule (kept across restarts; triggers still run it)',
  request: { params: TaskNameParam },
  responses: {
    200: json(TaskSchema, 'The task, paused'),
    ...errorResponses(400, 401, 404, 409),
  },
})

const resumeTask = createRoute({
  operationId: 'resumeTask',
  method: 'post',
  path: '/tasks/{name}/resume',
  tags: ['tasks'],
  summary: 'Resume a paused task; it fires from now on (fires missed while paused are dropped)',
  request: { params: TaskNameParam },
  responses: {
    200: json(TaskSchema, 'The task, resumed'),
    ...errorResponses(400, 401, 404, 409),
  },
})

const rescan = createRoute({
  operationId: 'rescan',
  method: 'post',
  path: '/rescan',
  tags: ['tasks'],
  summary: 'Read the tasks folder again now (it is also watched and rescanned periodically)',
  responses: { 200: json(RescanSchema, 'What changed'), ...errorResponses(401, 503) },
})

export function taskRoutes(app: OpenAPIHono, tasse: Tasse): void {
  app.openapi(listTasks, async (c) => {
    const { state, next } = c.req.valid('query')
    const infos = tasse.listTasks().filter((info) => !state || info.state === state)
    const tasks = await Promise.all(infos.map((info) => taskView(tasse, info, { next })))
    return c.json({ tasks }, 200)
  })

  app.openapi(getTask, async (c) => {
    const { name } = c.req.valid('param')
    const { next } = c.req.valid('query')
    return c.json(await taskView(tasse, requireTaskInfo(tasse, name), { next }), 200)
  })

  for (const [route, paused] of [
    [pauseTask, true],
    [resumeTask, false],
  ] as const) {
    app.openapi(route, async (c) => {
      const { name } = c.req.valid('param')
      const info = requireTaskInfo(tasse, name)
      if (!info.task)
        throw new ApiError(409, 'task_invalid', `task "${name}" cannot be used: ${info.error}`)
      const state = paused ? tasse.pause(name) : tasse.resume(name)
      if (!state)
        throw new ApiError(
          409,
          'not_scheduled',
          `task "${name}" has no schedule to ${paused ? 'pause' : 'resume'}: it runs only when triggered (add a scheduler: section to its task.yaml)`,
        )
      return c.json(await taskView(tasse, requireTaskInfo(tasse, name)), 200)
    })
  }

  app.openapi(rescan, (c) => {
    const changes = tasse.rescan()
    if (changes.problem) throw new ApiError(503, 'unavailable', changes.problem)
    const names = (tasks: readonly { name: string }[]) => tasks.map((task) => task.name)
    return c.json(
      {
        added: names(changes.added),
        changed: names(changes.changed),
        removed: names(changes.removed),
        invalid: changes.invalid.map((invalid) => ({
          name: invalid.name,
          error: invalid.error.message,
        })),
      },
      200,
    )
  })
}

/** The task's info, or core's `TaskNotFoundError` (a 404 listing the tasks that exist). */
function requireTaskInfo(tasse: Tasse, name: string): TaskInfo {
  const info = tasse.taskInfo(name)
  if (!info)
    throw new TaskNotFoundError(
      name,
      tasse.tasks().map((task) => task.name),
    )
  return info
}
