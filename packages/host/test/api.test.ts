/**
 * The /api/v1 routes in-process (`app.request`), over a real Tasse on a temporary data folder
 * of shell-script tasks: what each route answers, and every error's JSON body.
 */
import { RUN_STATUSES } from '@tasse/core'
import { serverSentEvents } from '@tasse/host'
import { afterEach, describe, expect, it } from 'vitest'
import { type InProcessHost, inProcessHost, openGate, until } from './api-fixtures.js'

let host: InProcessHost
afterEach(() => host?.close())

const post = (path: string, body?: unknown, headers: Record<string, string> = {}) =>
  host.app.request(path, {
    method: 'POST',
    ...(body === undefined
      ? {}
      : {
          body: typeof body === 'string' ? body : JSON.stringify(body),
          headers: { 'content-type': 'application/json', ...headers },
        }),
  })
const get = (path: string) => host.app.request(path)

describe('tasks', () => {
  it('lists every task folder with its state, trigger and error', async () => {
    host = await inProcessHost()
    const response = await get('/api/v1/tasks')
    expect(response.status).toBe(200)
    const { tasks } = (await response.json()) as { tasks: Record<string, unknown>[] }
    expect(tasks.map((t) => t.name)).toEqual([
      'broken',
      'envdump',
      'fail',
      'gate',
      'hello',
      'hourly',
    ])
    const broken = tasks.find((t) => t.name === 'broken')
    expect(broken).toMatchObject({ state: 'invalid', trigger: null, nextFireTimes: [] })
    expect(broken?.error).toMatch(
      /overlap must be one of skip, queue, replace, allow, got "sometimes"/,
    )
    expect(tasks.find((t) => t.name === 'hourly')).toMatchObject({
      state: 'ok',
      error: null,
      trigger: { type: 'interval', timezone: 'UTC' },
    })
    const invalidOnly = (await (await get('/api/v1/tasks?state=invalid')).json()) as {
      tasks: { name: string }[]
    }
    expect(invalidOnly.tasks.map((t) => t.name)).toEqual(['broken'])
  })

  it('shows the next fire times, chained an interval apart from the scheduler’s next one', async () => {
    host = await inProcessHost()
    const task = (await (await get('/api/v1/tasks/hourly?next=4')).json()) as {
      nextFireTimes: string[]
    }
    expect(task.nextFireTimes).toHaveLength(4)
    const times = task.nextFireTimes.map((t) => Date.parse(t))
    const first = host.tasse.taskInfo('hourly')?.schedule?.nextFireTime as number
    expect(times[0]).toBe(Math.floor(first / 1000))
    for (let i = 1; i < times.length; i++)
      expect((times[i] as number) - (times[i - 1] as number)).toBe(3600_000)
    expect(task.nextFireTimes[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/)
  })

  it('shows a cron schedule’s next fire times in its zone, each after the one before', async () => {
    host = await inProcessHost({
      tasks: {
        closing: {
          'task.yaml':
            'scheduler:\n  trigger: cron\n  day_of_week: mon-fri\n  hour: 17\n  minute: 30\n  timezone: Europe/Paris\n',
          'task.sh': 'echo closing\n',
        },
      },
    })
    const task = (await (await get('/api/v1/tasks/closing?next=6')).json()) as {
      trigger: { type: string; timezone: string }
      nextFireTimes: string[]
    }
    expect(task.trigger).toMatchObject({ type: 'cron', timezone: 'Europe/Paris' })
    expect(task.nextFireTimes).toHaveLength(6)
    const times = task.nextFireTimes.map((t) => Date.parse(t))
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1] as number)
    for (const time of task.nextFireTimes) {
      expect(time).toMatch(/T17:30:00\.000\+0[12]:00$/)
      expect([1, 2, 3, 4, 5]).toContain(new Date(time).getUTCDay())
    }
  })

  it('shows the last run of a task', async () => {
    host = await inProcessHost()
    const run = (await (await post('/api/v1/tasks/hello/runs')).json()) as { id: string }
    await host.tasse.waitForRun(run.id)
    const task = (await (await get('/api/v1/tasks/hello')).json()) as { lastRun: unknown }
    expect(task.lastRun).toMatchObject({ id: run.id, status: 'succeeded', exitCode: 0 })
  })

  it('pauses and resumes a schedule; a task without one answers 409', async () => {
    host = await inProcessHost()
    const paused = await post('/api/v1/tasks/hourly/pause')
    expect(paused.status).toBe(200)
    expect(await paused.json()).toMatchObject({ state: 'paused', nextFireTimes: [] })
    expect(host.tasse.taskInfo('hourly')?.state).toBe('paused')
    const resumed = await post('/api/v1/tasks/hourly/resume')
    expect(await resumed.json()).toMatchObject({ state: 'ok' })
    expect(host.tasse.taskInfo('hourly')?.state).toBe('ok')

    const unscheduled = await post('/api/v1/tasks/hello/pause')
    expect(unscheduled.status).toBe(409)
    expect(await unscheduled.json()).toEqual({
      error: {
        code: 'not_scheduled',
        message: expect.stringContaining('task "hello" has no schedule to pause'),
      },
    })
    const invalid = await post('/api/v1/tasks/broken/pause')
    expect(invalid.status).toBe(409)
    expect(((await invalid.json()) as { error: { code: string } }).error.code).toBe('task_invalid')
  })

  it('rescans, reporting what changed', async () => {
    host = await inProcessHost()
    const { mkdirSync, writeFileSync } = await import('node:fs')
    mkdirSync(`${host.data}/tasks/late`)
    writeFileSync(`${host.data}/tasks/late/task.sh`, 'echo late\n')
    writeFileSync(`${host.data}/tasks/late/task.yaml`, '')
    const response = await post('/api/v1/rescan')
    expect(await response.json()).toEqual({
      added: ['late'],
      changed: [],
      removed: [],
      invalid: [],
    })
    expect((await get('/api/v1/tasks/late')).status).toBe(200)
  })

  it('answers 404 for an unknown task, listing the tasks that exist', async () => {
    host = await inProcessHost()
    const response = await get('/api/v1/tasks/nope')
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({
      error: {
        code: 'task_not_found',
        message: 'no task named "nope" (known tasks: envdump, fail, gate, hello, hourly)',
        known: ['envdump', 'fail', 'gate', 'hello', 'hourly'],
      },
    })
  })
})

describe('runs', () => {
  it('POST /tasks/{name}/runs answers 202 with the run; it shows in the list and detail', async () => {
    host = await inProcessHost()
    const response = await post('/api/v1/tasks/hello/runs', { params: { who: 'ada' } })
    expect(response.status).toBe(202)
    const run = (await response.json()) as { id: string; status: string }
    expect(response.headers.get('location')).toBe(`/api/v1/runs/${run.id}`)
    expect(run).toMatchObject({ task: 'hello', reason: 'trigger', params: { who: 'ada' } })
    expect(['queued', 'running']).toContain(run.status)
    await host.tasse.waitForRun(run.id)

    const detail = await (await get(`/api/v1/runs/${run.id}`)).json()
    expect(detail).toMatchObject({ id: run.id, status: 'succeeded', exitCode: 0, error: null })
    const list = (await (await get('/api/v1/runs?task=hello')).json()) as { runs: { id: string }[] }
    expect(list.runs.map((r) => r.id)).toEqual([run.id])
    expect(await (await get(`/api/v1/runs/${run.id}/logs`)).text()).toBe('Hello ada\n')
  })

  it('serves a run log whole or in byte ranges (206), and says 416 outside it', async () => {
    host = await inProcessHost()
    const run = await host.tasse.trigger('hello', { params: { who: 'ada' } })
    await host.tasse.waitForRun(run.id)
    const logs = `/api/v1/runs/${run.id}/logs`
    const ranged = (range: string) => host.app.request(logs, { headers: { range } })

    const whole = await get(logs)
    expect(whole.status).toBe(200)
    expect(whole.headers.get('accept-ranges')).toBe('bytes')
    expect(whole.headers.get('content-length')).toBe('10')
    expect(await whole.text()).toBe('Hello ada\n')

    const part = await ranged('bytes=6-8')
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe('bytes 6-8/10')
    expect(part.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await part.text()).toBe('ada')
    expect(await (await ranged('bytes=-4')).text()).toBe('ada\n')
    expect(await (await ranged('bytes=6-')).text()).toBe('ada\n')
    // Several ranges, or one that does not parse: the whole log, as RFC 9110 allows.
    expect((await ranged('bytes=0-1,3-4')).status).toBe(200)

    const outside = await ranged('bytes=10-')
    expect(outside.status).toBe(416)
    expect(outside.headers.get('content-range')).toBe('bytes */10')
    expect(await outside.json()).toMatchObject({
      error: { code: 'range_not_satisfiable', size: 10 },
    })
  })

  it('takes an empty body, or none, as no parameters (defaults apply)', async () => {
    host = await inProcessHost()
    for (const body of [undefined, {}]) {
      const response = await post('/api/v1/tasks/hello/runs', body)
      expect(response.status).toBe(202)
      const run = (await response.json()) as { id: string }
      expect(run).toMatchObject({ params: { who: 'world' } })
      await host.tasse.waitForRun(run.id)
    }
  })

  it('answers 400 naming the invalid parameter', async () => {
    host = await inProcessHost()
    const badValue = await post('/api/v1/tasks/hello/runs', { params: { who: 'Ada!' } })
    expect(badValue.status).toBe(400)
    expect(await badValue.json()).toEqual({
      error: {
        code: 'invalid_param',
        param: 'who',
        message:
          'parameter "who" of task "hello" must match ^[a-z]+$ (the whole value), got "Ada!"',
      },
    })
    const unknown = await post('/api/v1/tasks/hello/runs', { params: { whom: 'x' } })
    expect(await unknown.json()).toMatchObject({ error: { code: 'invalid_param', param: 'whom' } })
    const notText = await post('/api/v1/tasks/hello/runs', { params: { who: 5 } })
    expect(notText.status).toBe(400)
    expect(await notText.json()).toMatchObject({
      error: { code: 'invalid_request', field: 'params.who' },
    })
    const extraKey = await post('/api/v1/tasks/hello/runs', { parms: {} })
    expect(extraKey.status).toBe(400)
    expect((await host.tasse.listRuns()).runs).toEqual([]) // nothing recorded for refusals
  })

  it('answers 404 for an unknown task', async () => {
    host = await inProcessHost()
    const response = await post('/api/v1/tasks/nope/runs', {})
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({
      error: { code: 'task_not_found', known: ['envdump', 'fail', 'gate', 'hello', 'hourly'] },
    })
  })

  it('answers 409 when the overlap policy refuses, naming the running run', async () => {
    host = await inProcessHost()
    const first = (await (await post('/api/v1/tasks/gate/runs')).json()) as { id: string }
    const second = await post('/api/v1/tasks/gate/runs')
    expect(second.status).toBe(409)
    const body = (await second.json()) as { error: Record<string, string> }
    expect(body.error).toMatchObject({ code: 'overlap', blockingRunId: first.id })
    expect(body.error.message).toContain(`run ${first.id} is still running (overlap: skip`)
    // The refused run is in history as skipped.
    expect(await (await get(`/api/v1/runs/${body.error.runId}`)).json()).toMatchObject({
      status: 'skipped',
    })
    openGate(host.data)
    expect((await host.tasse.waitForRun(first.id)).status).toBe('succeeded')
  })

  it('lists runs in pages: newest first, every run once, with filters', async () => {
    host = await inProcessHost()
    const ids: string[] = []
    for (let i = 0; i < 7; i++) {
      const run = (await (await post('/api/v1/tasks/hello/runs')).json()) as { id: string }
      ids.push(run.id)
      await host.tasse.waitForRun(run.id)
    }
    const failed = (await (await post('/api/v1/tasks/fail/runs')).json()) as { id: string }
    await host.tasse.waitForRun(failed.id)

    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = `/api/v1/runs?task=hello&limit=3${cursor ? `&cursor=${cursor}` : ''}`
      const page = (await (await get(query)).json()) as {
        runs: { id: string }[]
        nextCursor: string | null
      }
      expect(page.runs.length).toBeLessThanOrEqual(3)
      seen.push(...page.runs.map((r) => r.id))
      cursor = page.nextCursor
      pages++
    } while (cursor)
    expect(pages).toBe(3)
    expect(seen).toEqual([...ids].reverse())

    const byStatus = (await (await get('/api/v1/runs?status=failed,timed_out')).json()) as {
      runs: { id: string; exitCode: number; error: string }[]
    }
    expect(byStatus.runs).toMatchObject([
      { id: failed.id, exitCode: 3, error: 'exited with code 3' },
    ])
    const future = encodeURIComponent(new Date(Date.now() + 60_000).toISOString())
    expect(await (await get(`/api/v1/runs?from=${future}`)).json()).toEqual({
      runs: [],
      nextCursor: null,
    })
    const past = (await (await get(`/api/v1/runs?to=${Date.now() + 1000}&limit=500`)).json()) as {
      runs: unknown[]
    }
    expect(past.runs).toHaveLength(8)
  })

  it('refuses bad list queries with 400 naming the field', async () => {
    host = await inProcessHost()
    for (const [query, field] of [
      ['status=running,bogus', 'status.1'],
      ['from=yesterday', 'from'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['task=..%2Fsecret', 'task'],
    ] as const) {
      const response = await get(`/api/v1/runs?${query}`)
      expect(response.status, query).toBe(400)
      expect(await response.json(), query).toMatchObject({
        error: { code: 'invalid_request', field },
      })
    }
    const cursor = await get('/api/v1/runs?cursor=bm90LW91cnM')
    expect(cursor.status).toBe(400)
    expect(await cursor.json()).toMatchObject({
      error: { code: 'invalid_request', message: expect.stringContaining('cursor') },
    })
  })

  it('cancels a running run; a run that ended answers 409', async () => {
    host = await inProcessHost()
    const run = (await (await post('/api/v1/tasks/gate/runs')).json()) as { id: string }
    await until(async () => (await host.tasse.readRunLog(run.id)).includes('waiting'))
    const response = await post(`/api/v1/runs/${run.id}/cancel`)
    expect(response.status).toBe(202)
    const ended = await host.tasse.waitForRun(run.id)
    expect(ended).toMatchObject({ status: 'cancelled', error: 'cancelled on request' })
    const again = await post(`/api/v1/runs/${run.id}/cancel`)
    expect(again.status).toBe(409)
    expect(await again.json()).toMatchObject({
      error: { code: 'run_not_active', status: 'cancelled' },
    })
    const unknown = await post('/api/v1/runs/0000000000000000/cancel')
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ error: { code: 'run_not_found' } })
  })

  it('lists the hosts of the store with what each runs; runs name their host', async () => {
    host = await inProcessHost()
    const run = (await (await post('/api/v1/tasks/gate/runs')).json()) as { hostId: string }
    const response = await get('/api/v1/hosts')
    expect(response.status).toBe(200)
    const { hosts, leaseMs } = (await response.json()) as {
      hosts: { id: string; pid: number; self: boolean; running: { task: string }[] }[]
      leaseMs: number
    }
    expect(leaseMs).toBe(30_000)
    expect(hosts).toHaveLength(1)
    expect(hosts[0]).toMatchObject({ id: run.hostId, pid: process.pid, self: true })
    expect(hosts[0]?.running.map((r) => r.task)).toEqual(['gate'])
  })

  it('follows a running run’s log as Server-Sent Events, from the start to its end', async () => {
    host = await inProcessHost()
    const run = (await (await post('/api/v1/tasks/gate/runs')).json()) as { id: string }
    await until(async () => (await host.tasse.readRunLog(run.id)).includes('waiting'))
    const response = await get(`/api/v1/runs/${run.id}/logs?follow=1`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
    const events = serverSentEvents(response.body as ReadableStream<Uint8Array>)
    const first = await events.next()
    // What was written before following began comes first.
    expect(first.value).toEqual({
      event: 'output',
      data: JSON.stringify({ text: `waiting for ${run.id}\n` }),
    })
    openGate(host.data)
    let text = ''
    let end: { status: string; exitCode: number } | null = null
    for await (const event of events) {
      if (event.event === 'output') text += (JSON.parse(event.data) as { text: string }).text
      if (event.event === 'end') end = JSON.parse(event.data)
    }
    expect(text).toBe('gate opened\n')
    expect(end).toMatchObject({ id: run.id, status: 'succeeded', exitCode: 0 })
  })

  it('a finished run’s follow sends its whole output, then the end', async () => {
    host = await inProcessHost()
    const run = (await (await post('/api/v1/tasks/fail/runs')).json()) as { id: string }
    await host.tasse.waitForRun(run.id)
    const response = await get(`/api/v1/runs/${run.id}/logs?follow=true`)
    const events = []
    for await (const event of serverSentEvents(response.body as ReadableStream<Uint8Array>))
      events.push(event)
    expect(events.map((e) => e.event)).toEqual(['output', 'end'])
    expect(JSON.parse(events[0]?.data as string)).toEqual({ text: 'about to fail\n' })
    expect(JSON.parse(events[1]?.data as string)).toMatchObject({ status: 'failed', exitCode: 3 })
  })
})

describe('errors', () => {
  it('answers unknown routes with 404 JSON', async () => {
    host = await inProcessHost()
    for (const path of ['/nope', '/api/v2/tasks', '/api/v1/runs/x/y/z']) {
      const response = await get(path)
      expect(response.status).toBe(404)
      expect(await response.json()).toMatchObject({ error: { code: 'not_found' } })
    }
  })

  it('refuses a body that is too large (413), malformed (400) or not JSON (415)', async () => {
    host = await inProcessHost({ maxBodyBytes: 1024 })
    const big = await post('/api/v1/tasks/hello/runs', { params: { who: 'a'.repeat(2000) } })
    expect(big.status).toBe(413)
    expect(await big.json()).toMatchObject({ error: { code: 'payload_too_large' } })
    const malformed = await post('/api/v1/tasks/hello/runs', '{"params":')
    expect(malformed.status).toBe(400)
    expect(await malformed.json()).toMatchObject({ error: { code: 'bad_request' } })
    const form = await host.app.request('/api/v1/tasks/hello/runs', {
      method: 'POST',
      body: 'params[who]=bob',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(form.status).toBe(415)
    expect(await form.json()).toMatchObject({ error: { code: 'unsupported_media_type' } })
    expect((await host.tasse.listRuns()).runs).toEqual([])
  })

  it('answers an internal failure with 500 and a message, never the stack or the cause', async () => {
    host = await inProcessHost()
    host.tasse.store.getRun = async () => {
      throw new Error('database is locked at /secret/path/tasse.db')
    }
    const response = await get('/api/v1/runs/0000000000000000')
    expect(response.status).toBe(500)
    const text = await response.text()
    expect(JSON.parse(text)).toEqual({
      error: { code: 'internal', message: 'internal error; the host log has the details' },
    })
    expect(text).not.toMatch(/secret|locked|at .*\.ts/)
    expect(host.logger.lines.join('\n')).toContain('database is locked')
  })
})

describe('operations', () => {
  it('/healthz and /readyz answer; until ready, the API answers 503', async () => {
    let ready = false
    host = await inProcessHost({ ready: () => ready })
    expect(await (await get('/healthz')).json()).toEqual({ status: 'ok' })
    expect((await get('/readyz')).status).toBe(503)
    const starting = await get('/api/v1/tasks')
    expect(starting.status).toBe(503)
    expect(starting.headers.get('retry-after')).toBe('1')
    expect(await starting.json()).toMatchObject({ error: { code: 'starting' } })
    ready = true
    expect(await (await get('/readyz')).json()).toEqual({ status: 'ready', store: 'ok', tasks: 6 })
    expect((await get('/api/v1/tasks')).status).toBe(200)
  })

  it('serves an OpenAPI 3.1 document of every route, from the request schemas', async () => {
    host = await inProcessHost()
    const doc = (await (await get('/api/v1/openapi.json')).json()) as {
      openapi: string
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>
      components: { schemas: Record<string, unknown> }
    }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/health/tasks',
      '/hosts',
      '/notifications',
      '/rescan',
      '/runs',
      '/runs/{id}',
      '/runs/{id}/cancel',
      '/runs/{id}/logs',
      '/tasks',
      '/tasks/{name}',
      '/tasks/{name}/pause',
      '/tasks/{name}/resume',
      '/tasks/{name}/runs',
    ])
    const listQuery = doc.paths['/runs']?.get?.parameters?.map((p) => p.name)
    expect(listQuery).toEqual(['task', 'status', 'from', 'to', 'limit', 'cursor'])
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Run', 'RunPage', 'Task', 'Error', 'TriggerRequest']),
    )
    expect(JSON.stringify(doc.components.schemas.Run)).toContain(JSON.stringify([...RUN_STATUSES]))
  })
})
