/**
 * Scenario 2, trigger latency: sequential HTTP triggers of one shell task that appends its start
 * time ($EPOCHREALTIME, bash's first command) to a file. Figures: request sent → task's process
 * start, and the HTTP response time alone, p50 and p99, for the original's `GET /trigger/<name>`
 * and for `POST /api/v1/tasks/<name>/runs`. As a floor, the same script spawned by hand from
 * Node (what bash's own start costs on this machine).
 */
import { execFileSync, spawn } from 'node:child_process'
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
    details.shellFloor = shellFloor(Math.min(count, 200))
    details.pythonFloor = pythonFloor(Math.min(count, 200))
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
      // Issue #19: p50 ≤ 1.3× the Node floor of the same run, and ≥ 2× better than the original.
      const limit = 1.3 * details.floor.p50
      const ratio = !tr?.na && !or?.na && onOriginal ? or.start.p50 / tr.start.p50 : null
      rows.push({
        figure: `${label} → process start, p50 (p99)`,
        unit: 'ms',
        better: 'lower',
        tasse: start(tr),
        tasseText: startText(tr),
        original: start(or),
        originalText: startText(or),
        target: `≤ 1.3× Node floor (${ms(limit)})${onOriginal ? ', ≥ 2× the original' : ''}`,
        met: tr?.na ? undefined : tr.start.p50 <= limit && (ratio === null || ratio >= 2),
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
    const floors = [
      ['Node', details.floor],
      ['a shell (bash loop)', details.shellFloor],
      ['Python (subprocess.Popen)', details.pythonFloor],
    ]
    for (const [who, f] of floors)
      rows.push({
        figure: `floor: bash started by ${who} → first command, p50 (p99)`,
        unit: 'ms',
        tasse: f.na ? f : f.p50,
        tasseText: f.na ? undefined : `${ms(f.p50)} (p99 ${ms(f.p99)})`,
        target: '',
      })
    for (const part of t.breakdown ?? [])
      rows.push({
        figure: `GET /trigger breakdown: ${part.label}, p50 (p99)`,
        unit: 'ms',
        tasse: part.p50,
        tasseText: `${ms(part.p50)} (p99 ${ms(part.p99)})`,
        target: '',
      })
    const notes = t.breakdown
      ? [
          'Breakdown: marks written by the host with TASSE_TRACE=1 (wall clock, µs) beside the bench request time and the task first command ($EPOCHREALTIME); parts overlap where noted.',
        ]
      : []
    return { rows, details, notes }
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
    host =
      kind === 'tasse'
        ? await startTasse(work, { env: { TASSE_TRACE: '1' } })
        : await startOriginal(work, ctx.original)
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
    if (kind === 'tasse' && result.legacy?.samples)
      result.breakdown = breakdown(host.log, result.legacy.samples)
    if (result.legacy) delete result.legacy.samples
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
  const samples = [] // { runId, sent, first } in µs, for the breakdown
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
    const runId = res.headers?.['x-tasse-run-id']
    if (runId) samples.push({ runId, sent: t0 * 1e6, first: Number(rec[0]) * 1e6 })
  }
  return { start: summary(starts), response: summary(responses), statuses, lost, samples }
}

/** The parts of one trigger, between the marks (`[tasse-trace] step subject µs`) of the host. */
const PARTS = [
  ['HTTP: request sent → in the app', 'sent', 'request'],
  ['app: middlewares, routing → executor', 'request', 'submit'],
  ['admission', 'submit', 'admitted'],
  ['store write (the run, recorded)', 'admitted', 'recorded'],
  ['sinks, runner, environment → spawn call', 'recorded', 'spawn'],
  ['spawn call → spawned (the addon: clone and exec, on a worker thread)', 'spawn', 'spawned'],
  ['spawn call → first command (clone, exec, bash start)', 'spawn', 'first'],
  ['total: request sent → first command', 'sent', 'first'],
]

function breakdown(log, samples) {
  log.poll(true)
  const marks = new Map()
  const requests = []
  for (const line of log.lines) {
    const m = /\[tasse-trace\] (\w+) (\S+) (\d+)/.exec(line)
    if (!m) continue
    if (m[1] === 'request') requests.push(Number(m[3]))
    else {
      if (!marks.has(m[2])) marks.set(m[2], {})
      marks.get(m[2])[m[1]] = Number(m[3])
    }
  }
  requests.sort((a, b) => a - b)
  const parts = PARTS.map(([label]) => ({ label, values: [] }))
  for (const { runId, sent, first } of samples) {
    const run = marks.get(runId)
    if (!run?.submit) continue
    // Requests are sequential: a run's request is the last one the app saw before its submit.
    const request = requests.filter((t) => t <= run.submit).at(-1)
    const at = { ...run, sent, first, request }
    PARTS.forEach(([, from, to], i) => {
      if (at[from] !== undefined && at[to] !== undefined)
        parts[i].values.push((at[to] - at[from]) / 1000)
    })
  }
  return parts.filter((p) => p.values.length).map((p) => ({ label: p.label, ...summary(p.values) }))
}

/** A bash loop starting the same script: $EPOCHREALTIME before `bash`, the script's own first. */
function shellFloor(count) {
  return loopFloor('shell', (task, starts) => {
    const loop = `for i in $(seq ${count}); do echo "$EPOCHREALTIME" >> ${starts}; bash ${task}; done`
    execFileSync('bash', ['-c', loop])
  })
}

/** Python (Debian's) starting the same script with subprocess.Popen, as the original does. */
function pythonFloor(count) {
  return loopFloor('Python', (task, starts) => {
    const program = [
      'import subprocess, sys, time',
      `out = open(${JSON.stringify(starts)}, 'a')`,
      `for i in range(${count}):`,
      '    out.write("%.6f\\n" % time.time()); out.flush()',
      `    subprocess.Popen(["bash", ${JSON.stringify(task)}], stdout=subprocess.PIPE, stderr=subprocess.STDOUT).wait()`,
    ].join('\n')
    execFileSync('/usr/bin/python3', ['-c', program])
  })
}

/**
 * A floor measured by a loop outside Node: `loop(task, starts)` runs the script `task` again and
 * again, writing to `starts` the time before each start; the script records its first command.
 */
function loopFloor(who, loop) {
  const work = makeWorkDir(`latency-floor-${who.toLowerCase()}`)
  try {
    const records = join(work, 'records.txt')
    const starts = join(work, 'starts.txt')
    const task = join(work, 'task.sh')
    writeFileSync(task, script(records))
    loop(task, starts)
    return pairs(readRecords(starts), readRecords(records))
  } catch (error) {
    return na(`the ${who} floor failed: ${error.message.split('\n')[0]}`)
  } finally {
    removeWorkDir(work)
  }
}

function pairs(starts, records) {
  const values = []
  for (let i = 0; i < Math.min(starts.length, records.length); i++)
    values.push((Number(records[i][0]) - Number(starts[i][0])) * 1000)
  return summary(values)
}
