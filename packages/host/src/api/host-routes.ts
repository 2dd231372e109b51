/**
 * `/api/v1/hosts`: the hosts sharing this host's run store, each with the runs it holds now.
 * On SQLite that is this host alone; on PostgreSQL, every host of the cluster.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi'
import type { Run, Tasse } from '@tasse/core'
import { formatUtc } from '../fire-times.js'
import { errorResponses, json } from './openapi-helpers.js'
import { HostListSchema } from './schemas.js'

const listHosts = createRoute({
  operationId: 'listHosts',
  method: 'get',
  path: '/hosts',
  tags: ['hosts'],
  summary: 'The hosts sharing the run store, and what each runs',
  description:
    'Every host registered with the store, this one included; a dead host stays listed until a live one finds its lease expired and takes its runs over.',
  responses: { 200: json(HostListSchema, 'The hosts'), ...errorResponses(401, 503) },
})

export function hostRoutes(app: OpenAPIHono, tasse: Tasse): void {
  app.openapi(listHosts, async (c) => {
    const hosts = await tasse.listHosts()
    const active = await activeRuns(tasse)
    return c.json(
      {
        hosts: hosts.map((host) => ({
          id: host.id,
          name: host.name,
          pid: host.pid,
          url: host.url,
          startedAt: formatUtc(host.startedAt),
          heartbeatAt: formatUtc(host.heartbeatAt),
          self: host.id === tasse.membership.hostId,
          running: (active.get(host.id) ?? []).map(({ id, task, status }) => ({
            id,
            task,
            status,
          })),
        })),
        leaseMs: tasse.membership.leaseMs,
      },
      200,
    )
  })
}

/** Every host's queued and running runs, by host id (one page: a host runs a handful). */
async function activeRuns(tasse: Tasse): Promise<Map<string, Run[]>> {
  const byHost = new Map<string, Run[]>()
  const { runs } = await tasse.listRuns({ status: ['queued', 'running'], limit: 1000 })
  for (const run of runs) {
    if (run.hostId === null) continue
    const list = byHost.get(run.hostId) ?? []
    list.push(run)
    byHost.set(run.hostId, list)
  }
  return byHost
}
