/**
 * The host on a real port (`startHost` with port 0), as the acceptance checks it: with a token
 * configured, a run triggered with parameters is visible in the list and detail, its log can be
 * followed live to its end, and /metrics parses as Prometheus text and counts the runs made.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { FINAL_RUN_STATUSES } from '@tasse/core'
import { type RunningHost, readConfig, serverSentEvents, startHost } from '@tasse/host'
import { afterEach, describe, expect, it } from 'vitest'
import { dataWith, memoryLogger, openGate, until } from './api-fixtures.js'

const TOKEN = 'server-test-token-5c1e'
let host: RunningHost | undefined
let data = ''
afterEach(async () => {
  if (data) openGate(data)
  await host?.close()
  host = undefined
  rmSync(data, { recursive: true, force: true })
})

async function start(): Promise<RunningHost> {
  data = dataWith()
  host = await startHost(readConfig({ data, port: '0' }, { TASSE_TOKEN: TOKEN }), {
    logger: memoryLogger(),
  })
  return host
}

const auth = { authorization: `Bearer ${TOKEN}` }

/** Prometheus' own linter (Debian's prometheus package; .ci/run installs it). */
const hasPromtool = spawnSync('promtool', ['--version']).status === 0

describe('a host on a real port', () => {
  it('runs a task triggered with parameters; it shows in the list and detail; its log follows live', async () => {
    const { url } = await start()
    expect((await fetch(`${url}/api/v1/tasks/hello/runs`, { method: 'POST' })).status).toBe(401)

    const response = await fetch(`${url}/api/v1/tasks/hello/runs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ params: { who: 'grace' } }),
    })
    expect(response.status).toBe(202)
    const run = (await response.json()) as { id: string }
    const follow = await fetch(`${url}/api/v1/runs/${run.id}/logs?follow=1`, { headers: auth })
    let text = ''
    let end: Record<string, unknown> | undefined
    for await (const event of serverSentEvents(follow.body as ReadableStream<Uint8Array>)) {
      if (event.event === 'output') text += (JSON.parse(event.data) as { text: string }).text
      if (event.event === 'end') end = JSON.parse(event.data)
    }
    expect(text).toBe('Hello grace\n')
    expect(end).toMatchObject({ id: run.id, status: 'succeeded', params: { who: 'grace' } })

    const list = (await (await fetch(`${url}/api/v1/runs`, { headers: auth })).json()) as {
      runs: { id: string }[]
    }
    expect(list.runs.map((r) => r.id)).toContain(run.id)
    const detail = await (await fetch(`${url}/api/v1/runs/${run.id}`, { headers: auth })).json()
    expect(detail).toMatchObject({ id: run.id, task: 'hello', status: 'succeeded', exitCode: 0 })
  })

  it('streams a running task’s output as it is written, then the end', async () => {
    const { url } = await start()
    const started = await fetch(`${url}/api/v1/tasks/gate/runs`, { method: 'POST', headers: auth })
    const run = (await started.json()) as { id: string }
    const follow = await fetch(`${url}/api/v1/runs/${run.id}/logs?follow=1`, { headers: auth })
    const events = serverSentEvents(follow.body as ReadableStream<Uint8Array>)
    const first = await events.next()
    expect(JSON.parse((first.value as { data: string }).data)).toEqual({
      text: `waiting for ${run.id}\n`,
    })
    // The run is still running while the first line has arrived.
    expect(host?.tasse.activeRuns('gate').map((r) => r.id)).toEqual([run.id])
    openGate(data)
    const rest = []
    for await (const event of events) rest.push(event)
    expect(rest.map((e) => e.event)).toEqual(['output', 'end'])
    expect(JSON.parse(rest[1]?.data as string)).toMatchObject({ status: 'succeeded' })
  })

  it('/healthz and /readyz answer without a token; /metrics needs one', async () => {
    const { url } = await start()
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' })
    expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({
      status: 'ready',
      store: 'ok',
    })
    expect((await fetch(`${url}/metrics`)).status).toBe(401)
  })

  it('/metrics parses as Prometheus text and counts the runs made', async () => {
    const { url, tasse } = await start()
    const post = (task: string) =>
      fetch(`${url}/api/v1/tasks/${task}/runs`, { method: 'POST', headers: auth }).then(
        (r) => r.json() as Promise<{ id: string }>,
      )
    for (let i = 0; i < 3; i++) await tasse.waitForRun((await post('hello')).id)
    await tasse.waitForRun((await post('fail')).id)
    const gate = await post('gate')
    await post('gate') // refused by overlap: skipped
    await until(() => tasse.runCounts().running === 1)

    const response = await fetch(`${url}/metrics`, { headers: auth })
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const samples = parsePrometheus(await response.text())
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      )?.value
    expect(value('tasse_runs_total', { task: 'hello', status: 'succeeded' })).toBe(3)
    expect(value('tasse_runs_total', { task: 'fail', status: 'failed' })).toBe(1)
    expect(value('tasse_runs_total', { task: 'gate', status: 'skipped' })).toBe(1)
    expect(value('tasse_run_duration_seconds_count', { task: 'hello' })).toBe(3)
    expect(value('tasse_runs_running')).toBe(1)
    expect(value('tasse_runs_queued')).toBe(0)
    expect(value('tasse_tasks', { state: 'ok' })).toBe(5)
    expect(value('tasse_tasks', { state: 'invalid' })).toBe(1)
    expect(value('tasse_fire_lateness_seconds_count')).toBe(0) // no scheduled fire yet
    // The process's CPU since it started (this test's worker: well over 50 ms by now), not
    // since prom-client was loaded by this first scrape.
    expect(value('process_cpu_user_seconds_total')).toBeGreaterThan(0.05)
    // The host names itself as GET /api/v1/hosts and its runs do.
    const hosts = (await (await fetch(`${url}/api/v1/hosts`, { headers: auth })).json()) as {
      hosts: { id: string }[]
    }
    const info = samples.filter((s) => s.name === 'tasse_host_info')
    expect(info).toMatchObject([
      {
        value: 1,
        labels: { host_id: hosts.hosts[0]?.id, hostname: hostname(), pid: String(process.pid) },
      },
    ])
    expect(info[0]?.labels.host_id).toMatch(/^\w{16}$/)
    expect((await tasse.getRun(gate.id))?.hostId).toBe(info[0]?.labels.host_id)
    openGate(data)
    await tasse.waitForRun(gate.id)
  })

  it('/metrics has every task’s counters at 0 from its discovery, so increase() sees a first failure', async () => {
    const { url, tasse } = await start()
    const scrape = async () =>
      parsePrometheus(await (await fetch(`${url}/metrics`, { headers: auth })).text())
    let samples = await scrape()
    const statuses = [...FINAL_RUN_STATUSES]
    expect(statuses).toHaveLength(7) // every status but queued and running
    for (const task of ['envdump', 'fail', 'gate', 'hello', 'hourly']) {
      for (const status of statuses)
        expect(
          samples.find(
            (s) =>
              s.name === 'tasse_runs_total' && s.labels.task === task && s.labels.status === status,
          )?.value,
          `${task} ${status}`,
        ).toBe(0)
      for (const name of ['tasse_fires_skipped_total', 'tasse_fires_missed_total'])
        expect(samples.find((s) => s.name === name && s.labels.task === task)?.value).toBe(0)
    }
    // No series for the invalid task, and none of prom-client's gauges named like counters.
    expect(samples.some((s) => s.labels.task === 'broken')).toBe(false)
    expect(samples.some((s) => /^nodejs_active_\w+_total$/.test(s.name))).toBe(false)

    mkdirSync(join(data, 'tasks', 'late'))
    writeFileSync(join(data, 'tasks', 'late', 'task.yaml'), '')
    writeFileSync(join(data, 'tasks', 'late', 'task.sh'), 'exit 0\n')
    tasse.rescan()
    samples = await scrape()
    expect(
      samples.find(
        (s) =>
          s.name === 'tasse_runs_total' && s.labels.task === 'late' && s.labels.status === 'failed',
      )?.value,
    ).toBe(0)
  })

  it.skipIf(!hasPromtool)(
    `promtool check metrics accepts /metrics${hasPromtool ? '' : ' (skipped: promtool absent; apt-get install prometheus)'}`,
    async () => {
      const { url, tasse } = await start()
      const posted = await fetch(`${url}/api/v1/tasks/fail/runs`, { method: 'POST', headers: auth })
      await tasse.waitForRun(((await posted.json()) as { id: string }).id)
      const text = await (await fetch(`${url}/metrics`, { headers: auth })).text()
      const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
      expect(`${lint.stdout}${lint.stderr}`).toBe('')
      expect(lint.status).toBe(0)
    },
  )

  it('measures the lateness of scheduled fires', async () => {
    const { url, tasse } = await start()
    const { writeFileSync } = await import('node:fs')
    writeFileSync(
      `${data}/tasks/hourly/task.yaml`,
      'scheduler:\n  trigger: interval\n  seconds: 1\n',
    )
    tasse.rescan()
    await until(
      async () =>
        (await tasse.listRuns({ task: 'hourly', status: ['succeeded'] })).runs.length >= 1,
    )
    const samples = parsePrometheus(await (await fetch(`${url}/metrics`, { headers: auth })).text())
    const count = samples.find((s) => s.name === 'tasse_fire_lateness_seconds_count')?.value ?? 0
    const sum = samples.find((s) => s.name === 'tasse_fire_lateness_seconds_sum')?.value ?? -1
    expect(count).toBeGreaterThanOrEqual(1)
    expect(sum / count).toBeLessThan(1) // a fire on an idle host starts well within a second
  })
})

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/**
 * The Prometheus text format (0.0.4), strictly: `# HELP`/`# TYPE` lines, and samples
 * `name{label="value",…} number`. Throws on any other line.
 */
function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
    if (meta) {
      if (meta[1] === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped']).toContain(meta[3])
        types.set(meta[2] as string, meta[3] as string)
      }
      continue
    }
    // Values as Prometheus reads them (Go's ParseFloat: NaN and Inf in any case). prom-client
    // writes `Nan` for the event-loop lag before its first sample (taken once a second).
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]Inf)$/.exec(
        line,
      )
    if (!sample) throw new Error(`not Prometheus text: ${JSON.stringify(line)}`)
    const labels: Record<string, string> = {}
    for (const [, key, value] of (sample[2] ?? '').matchAll(
      /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g,
    ))
      labels[key as string] = value as string
    const name = sample[1] as string
    const family = name.replace(/_(bucket|sum|count|total)$/, '')
    expect(types.has(name) || types.has(family), `${name} has a # TYPE`).toBe(true)
    samples.push({ name, labels, value: Number(sample[3]) })
  }
  return samples
}
