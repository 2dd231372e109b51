/**
 * Scenario 1, fire lateness: N shell tasks on `interval, seconds: 1` anchored on a whole-second
 * `start_date`; each run appends its start time ($EPOCHREALTIME, taken by bash's first command)
 * to one file. Lateness = start − ideal fire time. Over a window of whole seconds every task
 * should run exactly once per second: fires with no run are "not run", extra runs "duplicates".
 * Tasse runs once at the default concurrency limit (5) and once with TASSE_CONCURRENCY=N; the
 * original has a fixed pool of 5 threads.
 */
import { join } from 'node:path'
import { na, parseIsoSeconds, readRecords, stampScript } from '../lib/common.mjs'
import { startOriginal, startTasse } from '../lib/hosts.mjs'
import { request, wallSeconds } from '../lib/http.mjs'
import { makeWorkDir, removeWorkDir, sleep } from '../lib/procs.mjs'
import { summary } from '../lib/stats.mjs'
import { intervalOptions, schedulerYaml, writeTask } from '../lib/tasks.mjs'

const START_DATE = '2020-01-01 00:00:00'
/** The fire time Tasse passes a run, as the shell expands it. */
const SCHEDULED_TIME = ['$', '{TASSE_SCHEDULED_TIME:-}'].join('')

export default {
  name: 'fire-lateness',
  title: 'Fire lateness (interval, seconds: 1)',
  async run(ctx) {
    const sizes = ctx.quick ? [1, 50] : ctx.opt('sizes', [1, 50, 200, 1000])
    const seconds = ctx.opt('seconds', ctx.quick ? 5 : 10)
    const interval = await intervalOptions()
    const startDate = interval.options?.includes('start_date') ?? false
    const notes = []
    if (!startDate)
      notes.push(
        'the built interval trigger has no start_date yet: Tasse runs are measured against the fire time the host passed them (TASSE_SCHEDULED_TIME)',
      )
    const rows = []
    const details = { seconds, startDate, cases: [] }
    for (const n of sizes) {
      for (const limit of n === 5 ? [5] : [5, n]) {
        const label = `${n} task${n > 1 ? 's' : ''}, limit ${limit === 5 ? '5 (default)' : limit}`
        ctx.log(`  Tasse: ${label}`)
        const tasse = await measure(ctx, 'tasse', n, { limit, seconds, startDate })
        let original = null
        if (limit === 5) {
          if (ctx.original) {
            ctx.log(`  original: ${n} tasks (pool of 5 threads)`)
            original = await measure(ctx, 'original', n, { seconds, startDate: true })
          } else original = { na: ctx.originalProblem }
        }
        details.cases.push({ n, limit, tasse, original })
        const pick = (r, f) => (r?.na ? na(r.na) : r?.error ? na(r.error) : f(r))
        const target =
          n === 200 && limit === 200
            ? { p99: '≤ 20 ms', notRun: '0' }
            : n === 1000 && limit === 5
              ? { notRun: '0 silent' }
              : {}
        rows.push({
          figure: `lateness p50, ${label}`,
          unit: 'ms',
          better: 'lower',
          tasse: pick(tasse, (r) => r.lateness.p50),
          original: original && pick(original, (r) => r.lateness.p50),
          target: '',
        })
        rows.push({
          figure: `lateness p99 / max, ${label}`,
          unit: 'ms',
          better: 'lower',
          tasse: pick(tasse, (r) => r.lateness.p99),
          tasseText: tasse.lateness
            ? `${fmt(tasse.lateness.p99)} / ${fmt(tasse.lateness.max)}`
            : undefined,
          original: original && pick(original, (r) => r.lateness.p99),
          originalText: original?.lateness
            ? `${fmt(original.lateness.p99)} / ${fmt(original.lateness.max)}`
            : undefined,
          target: target.p99 ?? '',
          met: target.p99 && tasse.lateness ? tasse.lateness.p99 <= 20 : undefined,
        })
        rows.push({
          figure: `fires not run (dup.; reported by host), ${label}`,
          unit: '%',
          better: 'lower',
          tasse: pick(tasse, (r) => r.notRunPct),
          tasseText: tasse.expected ? countsText(tasse) : undefined,
          original: original && pick(original, (r) => r.notRunPct),
          originalText: original?.expected ? countsText(original) : undefined,
          target: target.notRun ?? '',
          met:
            target.notRun === '0'
              ? tasse.expected
                ? tasse.notRun === 0 && tasse.duplicates === 0
                : undefined
              : target.notRun === '0 silent'
                ? tasse.expected
                  ? tasse.silent === 0
                  : undefined
                : undefined,
        })
      }
    }
    return { rows, details, notes }
  },
}

function fmt(v) {
  return v === null || v === undefined ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1)
}

function countsText(r) {
  return `${r.notRunPct.toFixed(1)} % (${r.notRun}/${r.expected}; dup. ${r.duplicates}; reported ${r.reported}${r.silent !== null ? `, silent ${r.silent}` : ''})`
}

async function measure(ctx, kind, n, { limit, seconds, startDate }) {
  const work = makeWorkDir(`fire-${kind}-${n}`)
  const records = join(work, 'records.txt')
  let host = null
  try {
    const dataDir = join(work, 'data')
    const options = { trigger: 'interval', seconds: 1 }
    if (startDate) options.start_date = START_DATE
    const yaml = schedulerYaml(options)
    for (let i = 0; i < n; i++) {
      const name = `t${String(i).padStart(4, '0')}`
      writeTask(dataDir, name, {
        yaml,
        script: stampScript(records, name, kind === 'tasse' ? SCHEDULED_TIME : ''),
      })
    }
    host =
      kind === 'tasse'
        ? await startTasse(work, { env: { TASSE_CONCURRENCY: String(limit) } })
        : await startOriginal(work, ctx.original)
    const readyAt = wallSeconds()
    // The window: whole seconds from the second after the first full second of running.
    const first = Math.ceil(readyAt) + 1
    const last = first + seconds - 1
    await sleep((last + 3 - wallSeconds()) * 1000)
    const apiRuns = kind === 'tasse' ? await runHistory(host, first, last) : null
    const hostLines = host.log.lines.length
    await host.stop()
    host.log.poll()
    // One entry per (task, fire second).
    const seen = new Map()
    const lateness = []
    let duplicates = 0
    for (const [startText, name, scheduledText] of readRecords(records)) {
      const start = Number(startText)
      const scheduled =
        scheduledText && scheduledText.length > 0
          ? parseIsoSeconds(scheduledText)
          : startDate
            ? Math.floor(start)
            : null
      if (scheduled === null) continue
      const slot = Math.round(scheduled)
      if (!startDate && kind === 'tasse') {
        // Without start_date each task has its own grid; the window is the same in seconds.
        if (scheduled < first || scheduled >= last + 1) continue
      } else if (slot < first || slot > last) continue
      const key = `${name} ${slot}`
      if (seen.has(key)) {
        duplicates++
        continue
      }
      seen.set(key, true)
      lateness.push((start - scheduled) * 1000)
    }
    const expected = n * seconds
    const ran = seen.size
    const notRun = expected - ran
    const reported = reportedFires(kind, host.log.lines, apiRuns)
    return {
      expected,
      ran,
      notRun,
      notRunPct: (notRun / expected) * 100,
      duplicates,
      reported: reported.count,
      reportedFrom: reported.from,
      silent: reported.exact ? Math.max(0, notRun - reported.count) : null,
      lateness: summary(lateness),
      hostLogLines: hostLines,
    }
  } catch (error) {
    ctx.log(`    failed: ${error.message.split('\n')[0]}`)
    return { error: error.message.split('\n')[0] }
  } finally {
    if (host) await host.stop()
    removeWorkDir(work)
  }
}

/**
 * Runs recorded by the host with a fire time in the window, from its API when it has one
 * (`GET /api/v1/runs`); null otherwise.
 */
async function runHistory(host, first, last) {
  const runs = []
  let cursor = null
  for (let page = 0; page < 200; page++) {
    const url = new URL('/api/v1/runs', host.url)
    url.searchParams.set('limit', '500')
    if (cursor) url.searchParams.set('cursor', cursor)
    const res = await request(url.href, { headers: host.headers })
    if (res.status !== 200 || !res.json) return null
    const items = res.json.runs
    if (!Array.isArray(items)) return null
    for (const run of items) {
      const at =
        typeof run.scheduledAt === 'number'
          ? run.scheduledAt / 1e6
          : parseIsoSeconds(String(run.scheduledAt ?? ''))
      if (at !== null && at >= first && at < last + 1) runs.push(run)
    }
    cursor = res.json.nextCursor ?? null
    if (!cursor) break
  }
  return runs
}

/** Fires the host says it did not run (skipped, missed, …) — from its API or its log. */
function reportedFires(kind, lines, apiRuns) {
  if (apiRuns)
    return {
      from: 'api',
      exact: true,
      count: apiRuns.filter((r) => !['succeeded', 'failed', 'running', 'queued'].includes(r.status))
        .length,
    }
  let count = 0
  for (const line of lines) {
    if (kind === 'tasse') {
      if (/run skipped/.test(line)) count++
      const m = line.match(/(\d+) fire time\(s\) missed/)
      if (m) count += Number(m[1])
    } else if (/was missed by|skipped: maximum number of running instances/.test(line)) count++
  }
  // Counted over the host's whole life, not only the window: an upper bound.
  return { from: 'host log', exact: false, count }
}
