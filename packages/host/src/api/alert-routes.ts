/**
 * `/api/v1/health/tasks` (one URL an outside monitor watches: 503 while a task is overdue or
 * failing) and `/api/v1/notifications` (each notification sent, and every attempt).
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi'
import type { Tasse } from '@tasse/core'
import type { DeliveryRecord, Notifier } from '../alerts/notifier.js'
import { formatUtc } from '../fire-times.js'
import { errorResponses, json } from './openapi-helpers.js'
import { DeliveryListSchema, DeliveryQuery, HealthTasksSchema } from './schemas.js'
import { healthView } from './views.js'

const healthTasks = createRoute({
  operationId: 'getTasksHealth',
  method: 'get',
  path: '/health/tasks',
  tags: ['health'],
  summary: 'Whether every task is well: 200, or 503 listing the overdue and failing tasks',
  responses: {
    200: json(HealthTasksSchema, 'No task is overdue or failing'),
    503: json(HealthTasksSchema, 'The tasks that are overdue or failing'),
    ...errorResponses(401),
  },
})

const listNotifications = createRoute({
  operationId: 'listNotifications',
  method: 'get',
  path: '/notifications',
  tags: ['health'],
  summary: 'Notifications sent (kept in memory, the last 1,000), newest first, with each attempt',
  request: { query: DeliveryQuery },
  responses: {
    200: json(DeliveryListSchema, 'The notifications'),
    ...errorResponses(400, 401),
  },
})

export function alertRoutes(app: OpenAPIHono, tasse: Tasse, notifier: Notifier | null): void {
  app.openapi(healthTasks, (c) => {
    const tasks = []
    for (const task of tasse.tasks()) {
      const health = healthView(tasse.health(task.name))
      if (health.status !== 'ok') tasks.push({ name: task.name, ...health })
    }
    const status = tasks.length ? 'failing' : 'ok'
    return tasks.length ? c.json({ status, tasks }, 503) : c.json({ status, tasks }, 200)
  })

  app.openapi(listNotifications, (c) => {
    const { task, limit } = c.req.valid('query')
    const records = notifier?.deliveries({ ...(task ? { task } : {}), limit: limit ?? 100 }) ?? []
    return c.json({ notifications: records.map(deliveryView) }, 200)
  })
}

function deliveryView(record: DeliveryRecord) {
  return {
    ...record,
    createdAt: formatUtc(record.createdAt),
    attempts: record.attempts.map((attempt) => ({ ...attempt, at: formatUtc(attempt.at) })),
  }
}
