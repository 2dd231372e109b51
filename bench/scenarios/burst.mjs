/**
 * Scenario 5, burst: 1,000 `GET /trigger/<name>` sent at once, spread over 20 shell tasks that
 * each sleep 200 ms (recording their start and end). Every trigger must be accounted for: a run
 * that really ran (200), or a refusal with a reason (409); a 200 whose run never ran is lost.
 * Figures: the accounting, the time until the last run ended (drain), and the peak number of
 * runs at once (from the recorded start and end times). Tasse's run history
 * (`GET /api/v1/runs`) is cross-checked when the host has it.
 */
import { join } from 'node:path'
import { na, readRecords } from '../lib/common.mjs'
import { startOriginal, startTasse } from '../lib/hosts.mjs'
import { request, wallSeconds } from '../lib/http.mjs'
import { makeWorkDir, removeWorkDir, sleep } from '../lib/procs.mjs'
import { schedulerYaml, writeTask } from '../lib/tasks.mjs'

export default {
  name: 'burst',
  title: 'Burst of HTTP triggers',
  async run(ctx) {
    const triggers = ctx.opt('triggers', ctx.quick ? 200 : 1000)
    const tasks = ctx.opt('tasks', 20)
    const tasse = await measure(ctx, 'tasse', triggers, tasks)
    const original = ctx.original
      ? await measure(ctx, 'original', triggers, tasks)
      : { na: ctx.originalProblem }
    const v = (r, f) => (r.na ? na(r.na) : r.error ? na(r.error) : f(r))
    const rows = [
      {
        figure: `burst of ${triggers} triggers (${tasks} tasks × 200 ms): lost`,
        better: 'lower',
        tasse: v(tasse, (r) => r.lost),
        tasseText: tasse.lost !== undefined ? accountText(tasse) : undefined,
        original: v(original, (r) => r.lost),
        originalText: original.lost !== undefined ? accountText(original) : undefined,
        target: '0 lost',
        met: tasse.lost !== undefined ? tasse.lost === 0 && tasse.unexplained === 0 : undefined,
      },
      {
        figure: 'burst: drain time (first request → last run ended)',
        unit: 's',
        better: 'lower',
        tasse: v(tasse, (r) => r.drainS),
        original: v(original, (r) => r.drainS),
        target: '',
      },
      {
        figure: 'burst: peak concurrent runs',
        tasse: v(tasse, (r) => r.peakConcurrent),
        original: v(original, (r) => r.peakConcurrent),
        target: '',
      },
    ]
    return { rows, details: { triggers, tasks, tasse, original }, notes: [] }
  },
}

function accountText(r) {
  const codes = Object.entries(r.statuses)
    .map(([code, n]) => `${n}×${code}`)
    .join(', ')
  return `${r.lost} lost (${codes}; ${r.ran} runs${r.unexplained ? `; ${r.unexplained} refused without reason` : ''})`
}

async function measure(ctx, kind, triggers, taskCount) {
  const work = makeWorkDir(`burst-${kind}`)
  let host = null
  try {
    const records = join(work, 'records.txt')
    const names = Array.from({ length: taskCount }, (_, i) => `b${String(i).padStart(2, '0')}`)
    for (const name of names)
      writeTask(join(work, 'data'), name, {
        yaml: schedulerYaml({ trigger: 'interval', hours: 1 }),
        script: [
          `printf '%s %s start %s\\n' "$EPOCHREALTIME" ${name} "\${TASSE_RUN_ID:-x}" >> ${records}`,
          'sleep 0.2',
          `printf '%s %s end %s\\n' "$EPOCHREALTIME" ${name} "\${TASSE_RUN_ID:-x}" >> ${records}`,
          '',
        ].join('\n'),
      })
    host = kind === 'tasse' ? await startTasse(work) : await startOriginal(work, ctx.original)
    ctx.log(`  ${kind}: ${triggers} triggers at once`)
    const t0 = wallSeconds()
    const responses = await Promise.all(
      Array.from({ length: triggers }, (_, i) =>
        request(new URL(`/trigger/${names[i % taskCount]}`, host.url).href, {
          headers: host.headers,
          timeoutMs: 60_000,
        }),
      ),
    )
    const answeredS = wallSeconds() - t0
    // Drain: wait until no record has been added for 1.5 s and every started run has ended.
    let last = -1
    let quietSince = performance.now()
    const deadline = performance.now() + 120_000
    while (performance.now() < deadline) {
      const recs = readRecords(records)
      const starts = recs.filter((r) => r[2] === 'start').length
      const ends = recs.filter((r) => r[2] === 'end').length
      if (recs.length !== last) {
        last = recs.length
        quietSince = performance.now()
      } else if (starts === ends && performance.now() - quietSince > 1500) break
      await sleep(50)
    }
    const recs = readRecords(records)
    const history = kind === 'tasse' ? await runHistory(host) : null
    const statuses = {}
    for (const r of responses) statuses[r.status] = (statuses[r.status] ?? 0) + 1
    const startRecords = recs.filter((r) => r[2] === 'start')
    const started = new Set(startRecords.map((r) => r[3]))
    let lost = 0
    let unexplained = 0
    if (kind === 'tasse') {
      for (const r of responses) {
        const id = r.headers?.['x-tasse-run-id']
        if (r.status === 200) {
          if (!id || !started.has(id)) lost++
        } else if (r.status === 409) {
          const reason = r.json?.reason ?? r.json?.error?.message
          if (!reason) unexplained++
        } else lost++
      }
    } else {
      // The original answers 200 to every trigger of a known task; a run is all it can show.
      const ok = statuses[200] ?? 0
      lost = Math.max(0, ok - startRecords.length) + (triggers - ok)
    }
    // Peak concurrency from start/end times.
    const events = []
    for (const [time, , what] of recs) events.push([Number(time), what === 'start' ? 1 : -1])
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1])
    let now = 0
    let peak = 0
    for (const [, d] of events) {
      now += d
      peak = Math.max(peak, now)
    }
    const lastEnd = Math.max(...recs.filter((r) => r[2] === 'end').map((r) => Number(r[0])), t0)
    return {
      statuses,
      ran: startRecords.length,
      lost,
      unexplained,
      answeredS,
      drainS: lastEnd - t0,
      peakConcurrent: peak,
      history,
    }
  } catch (error) {
    ctx.log(`    failed: ${error.message.split('\n')[0]}`)
    return { error: error.message.split('\n')[0] }
  } finally {
    if (host) await host.stop()
    removeWorkDir(work)
  }
}

/** Counts of runs by status from the host's API, or null when it has none. */
async function runHistory(host) {
  const counts = {}
  let cursor = null
  for (let page = 0; page < 20; page++) {
    const url = new URL('/api/v1/runs', host.url)
    url.searchParams.set('limit', '500')
    if (cursor) url.searchParams.set('cursor', cursor)
    const res = await request(url.href, { headers: host.headers })
    if (res.status !== 200 || !Array.isArray(res.json?.runs)) return null
    for (const run of res.json.runs) counts[run.status] = (counts[run.status] ?? 0) + 1
    cursor = res.json.nextCursor
    if (!cursor) break
  }
  return counts
}
