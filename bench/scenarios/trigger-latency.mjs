/**
 * Scenario 2, trigger latency: sequential HTTP triggers of one shell task that appends its start
 * time ($EPOCHREALTIME, bash's first command) to a file. Figures: request sent → task's process
 * start, and the HTTP response time alone, p50 and p99, for the original's `GET /trigger/<name>`
 * and for `POST /api/v1/tasks/<name>/runs`. As a floor, the same script spawned by hand from
 * Node (what bash's own start costs on this machine).
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { na, readRecords } from '../lib/common.mjs'
import { startOriginal, startTasse } from '../lib/hosts.mjs'
import { request, wallSeconds } from '../lib/http.mjs'
import { makeWorkDir, removeWorkDir, sleep } from '../lib/procs.mjs'
import { summary } from '../lib/stats.mjs'
import { schedulerYaml, writeTask } from '../lib/tasks.mjs'

const TASK = 'probe'

export default {
  name: 'trigger-latency',
  title: 'Trigger latency',
  async run(ctx) {
    const count = ctx.opt('requests', ctx.quick ? 30 : 300)
    const details = { requests: count }
    const rows = []

    details.floor = await floor(count)
    details.tasse = await measure(ctx, 'tasse', count)
    details.original = ctx.original
      ? await measure(ctx, 'original', count)
      : { na: ctx.originalProblem }

    const t = details.tasse
    const o = details.original
    const routes = [
      ['GET /trigger/<name>', 'legacy', true],
      ['POST /api/v1/tasks/<name>/runs', 'api', false],
    ]
    for (const [label, key, onOriginal] of routes) {
      const tr = t.error ? na(t.error) : t[key]
      const or = !onOriginal ? na('no such route') : o.na || o.error ? na(o.na ?? o.error) : o[key]
      const start = (r) => (r?.na ? r : r.start.p50)
      const startText = (r) => (r?.na ? undefined : `${ms(r.start.p50)} (p99 ${ms(r.start.p99)})`)
      const http = (r) => (r?.na ? r : r.response.p50)
      const httpText = (r) =>
        r?.na ? undefined : `${ms(r.response.p50)} (p99 ${ms(r.response.p99)})`
      rows.push({
        figure: `${label} → process start, p50 (p99)`,
        unit: 'ms',
        better: 'lower',
        tasse: start(tr),
        tasseText: startText(tr),
        original: start(or),
        originalText: startText(or),
        target: '≤ 3 ms p50',
        met: tr?.na ? undefined : tr.start.p50 <= 3,
      })
      rows.push({
        figure: `${label} response time, p50 (p99)`,
        unit: 'ms',
        better: 'lower',
        tasse: http(tr),
        tasseText: httpText(tr),
        original: http(or),
        originalText: httpText(or),
        target: '',
      })
    }
    const f = details.floor
    rows.push({
      figure: 'floor: bash spawned by hand from Node → first command, p50 (p99)',
      unit: 'ms',
      tasse: f.p50,
      tasseText: `${ms(f.p50)} (p99 ${ms(f.p99)})`,
      target: '',
    })
    return { rows, details, notes: [] }
  },
}

function ms(v) {
  return v === null || v === undefined ? '–' : `${v.toFixed(2)} ms`
}

function script(records) {
  return `printf '%s %s\\n' "$EPOCHREALTIME" "\${TASSE_RUN_ID:-x}" >> ${records}\n`
}

/** Waits until `records` holds more than `known` lines; returns the new lines. */
async function nextRecords(records, known, timeoutMs = 5000) {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const all = readRecords(records)
    if (all.length > known) return all.slice(known)
    if (performance.now() > deadline) return []
    await sleep(1)
  }
}

async function floor(count) {
  const work = makeWorkDir('latency-floor')
  try {
    const records = join(work, 'records.txt')
    const file = join(work, 'task.sh')
    writeFileSync(file, script(records))
    writeFileSync(records, '')
    const starts = []
    for (let i = 0; i < Math.min(count, 200); i++) {
      const t0 = wallSeconds()
      const child = spawn('bash', [file], { cwd: work, stdio: 'ignore' })
      await new Promise((resolve) => child.once('exit', resolve))
      const [rec] = await nextRecords(records, i)
      if (rec) starts.push((Number(rec[0]) - t0) * 1000)
    }
    return summary(starts)
  } finally {
    removeWorkDir(work)
  }
}

async function measure(ctx, kind, count) {
  const work = makeWorkDir(`latency-${kind}`)
  let host = null
  try {
    const records = join(work, 'records.txt')
    writeFileSync(records, '')
    writeTask(join(work, 'data'), TASK, {
      yaml: schedulerYaml({ trigger: 'interval', hours: 1 }),
      script: script(records),
    })
    host = kind === 'tasse' ? await startTasse(work) : await startOriginal(work, ctx.original)
    const result = {}
    const routes = {
      legacy: { method: 'GET', path: `/trigger/${TASK}` },
      api: { method: 'POST', path: `/api/v1/tasks/${TASK}/runs`, body: {} },
    }
    for (const [key, route] of Object.entries(routes)) {
      if (kind === 'original' && key === 'api') continue
      ctx.log(`  ${kind}: ${route.method} ${route.path} × ${count}`)
      result[key] = await series(host, route, records, count)
    }
    return result
  } catch (error) {
    ctx.log(`    failed: ${error.message.split('\n')[0]}`)
    return { error: error.message.split('\n')[0] }
  } finally {
    if (host) await host.stop()
    removeWorkDir(work)
  }
}

async function series(host, route, records, count) {
  const url = new URL(route.path, host.url).href
  const send = () => request(url, { method: route.method, body: route.body, headers: host.headers })
  // Probe: is the route there?
  let known = readRecords(records).length
  const probe = await send()
  if (probe.status === 404 || probe.status === 405)
    return { na: `not available: ${route.method} answers ${probe.status}` }
  if (probe.status >= 400 && probe.status !== 409)
    return { na: `${route.method} answers ${probe.status}: ${probe.text.slice(0, 120)}` }
  await nextRecords(records, known)
  const starts = []
  const responses = []
  const statuses = {}
  let lost = 0
  const warmup = 10
  for (let i = 0; i < count + warmup; i++) {
    await sleep(25) // the previous run ends (its process exits) before the next trigger
    known = readRecords(records).length
    const t0 = wallSeconds()
    const res = await send()
    statuses[res.status] = (statuses[res.status] ?? 0) + 1
    if (res.status < 200 || res.status >= 300) {
      await sleep(100)
      continue
    }
    const [rec] = await nextRecords(records, known, 3000)
    if (i < warmup) continue
    if (!rec) {
      lost++
      continue
    }
    starts.push((Number(rec[0]) - t0) * 1000)
    responses.push(res.ms)
  }
  return { start: summary(starts), response: summary(responses), statuses, lost }
}
