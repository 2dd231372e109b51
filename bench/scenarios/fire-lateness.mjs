/**
 * Scenario 1, fire lateness: N shell tasks on `interval, seconds: 1` anchored on a whole-second
 * `start_date`; each run appends its start time ($EPOCHREALTIME, taken by bash's first command)
 * to one file. Lateness = start − ideal fire time. Over a window of whole seconds every task
 * should run exactly once per second: fires with no run are "not run", extra runs "duplicates".
 * Tasse runs once at the default concurrency limit (5) and once with TASSE_CONCURRENCY=N; the
 * original has a fixed pool of 5 threads.
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { na, parseIsoSeconds, readRecords, stampScript } from '../lib/common.mjs'
import { firesInWindow } from '../lib/fires.mjs'
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
      const machine = await floor(n, 3)
      details.cases.push({ n, floor: machine })
      rows.push({
        figure: `floor: ${n} bash process${n > 1 ? 'es' : ''} started at once by a shell loop, p50 / p99`,
        unit: 'ms',
        tasse: machine.p50,
        tasseText: `${fmt(machine.p50)} / ${fmt(machine.p99)} ms`,
        target: '',
      })
      if (n >= 50) {
        // What the machine sustains: the scenario asks for n processes every second, not once.
        const sustained = await sustainedFloor(n, seconds)
        details.cases.push({ n, sustainedFloor: sustained })
        rows.push({
          figure: `floor: ${n} bash processes started each second for ${seconds} s by a shell loop, p50 / p99 (started within 1 s)`,
          unit: 'ms',
          tasse: sustained.lateness.p50,
          tasseText: `${fmt(sustained.lateness.p50)} / ${fmt(sustained.lateness.p99)} ms (${sustained.withinPct.toFixed(1)} %)`,
          target: '',
        })
      }
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
        // Issue #19's targets: the p99 against the shell floor of the same run (what the
        // machine allows), not a fixed number of ms.
        const p99Limit = 1.2 * machine.p99
        const target =
          n === 200 && limit === 200
            ? { p99: `≤ 1.2× floor (${fmt(p99Limit)} ms)`, p99Limit, notRun: '0' }
            : n === 1000 && limit === 5
              ? { notRun: '0 silent' }
              : n === 1000 && limit === 1000
                ? { notRun: '≤ 10 %, 0 silent', notRunPct: 10 }
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
            ? `${fmt(tasse.lateness.p99)} / ${fmt(tasse.lateness.max)} ms`
            : undefined,
          original: original && pick(original, (r) => r.lateness.p99),
          originalText: original?.lateness
            ? `${fmt(original.lateness.p99)} / ${fmt(original.lateness.max)} ms`
            : undefined,
          target: target.p99 ?? '',
          met:
            target.p99 && Number.isFinite(tasse.lateness?.p99)
              ? tasse.lateness.p99 <= target.p99Limit
              : undefined,
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
                : target.notRunPct !== undefined && tasse.expected
                  ? tasse.notRunPct <= target.notRunPct && tasse.silent === 0
                  : undefined,
        })
      }
    }
    return { rows, details, notes }
  },
}

/**
 * What the machine itself allows: `n` bash processes started at once by a bash loop (no
 * scheduler), each recording its start; lateness from the loop's start. `rounds` times.
 */
async function floor(n, rounds) {
  const script = [
    'printf "%s t0\\n" "$EPOCHREALTIME" >> "$1"',
    `for ((i = 0; i < $2; i++)); do bash -c 'printf "%s x\\n" "$EPOCHREALTIME" >> "$0"' "$1" & done`,
    'wait',
  ]
  const lateness = []
  for (const rows of await shellRounds(`fire-floor-${n}`, script, [n], rounds, 180_000)) {
    const t0 = Number(rows.find((row) => row[1] === 't0')?.[0])
    for (const row of rows) if (row[1] === 'x') lateness.push((Number(row[0]) - t0) * 1000)
  }
  return summary(lateness)
}

/**
 * What the machine sustains: a bash loop starts `n` bash processes at each whole second for
 * `seconds` seconds (no scheduler, no overlap rule: none is skipped), each recording its start.
 * Lateness from its second; `withinPct`: the share started less than 1 s late (what
 * misfire_grace_time 1 lets a scheduler run).
 */
async function sustainedFloor(n, seconds) {
  const script = [
    'first=$((EPOCHSECONDS + 1))',
    'for ((s = 0; s < $3; s++)); do',
    '  t=$((first + s))',
    '  while ((EPOCHSECONDS < t)); do sleep 0.002; done',
    `  for ((i = 0; i < $2; i++)); do bash -c 'printf "%s %s\\n" "$EPOCHREALTIME" "$1" >> "$0"' "$1" "$t" & done`,
    'done',
    'wait',
  ]
  const [rows] = await shellRounds(`fire-floor-sustained-${n}`, script, [n, seconds], 1, 600_000)
  const lateness = rows.map(([start, second]) => (Number(start) - Number(second)) * 1000)
  const within = lateness.filter((ms) => ms < 1000).length
  return { lateness: summary(lateness), withinPct: (within / (n * seconds)) * 100 }
}

/**
 * Runs a bash `script` `rounds` times, each with a fresh records file as `$1` and `args` after
 * it, and gives each round's records. A machine too loaded to finish within `timeoutMs`: the
 * round's records are what did start.
 */
async function shellRounds(name, script, args, rounds, timeoutMs) {
  const work = makeWorkDir(name)
  try {
    const records = join(work, 'records.txt')
    const starter = join(work, 'start.sh')
    writeFileSync(starter, [...script, ''].join('\n'))
    const all = []
    for (let r = 0; r < rounds; r++) {
      writeFileSync(records, '')
      try {
        execFileSync('bash', [starter, records, ...args.map(String)], {
          stdio: 'ignore',
          timeout: timeoutMs,
        })
      } catch {
        // Timed out: what started is kept.
      }
      all.push(readRecords(records))
      await sleep(300)
    }
    return all
  } finally {
    removeWorkDir(work)
  }
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
    const { seen, lateness, duplicates } = firesInWindow(records, first, last, startDate)
    const expected = n * seconds
    const ran = seen.size
    const notRun = expected - ran
    // Fires not run that the host recorded (skipped, missed, still queued…): from its run
    // history when it has one, slot by slot; asked again while some are unaccounted for, as an
    // overloaded host may record them late.
    let reported = null
    if (kind === 'tasse') {
      for (let attempt = 0; attempt < 3; attempt++) {
        const history = await runHistory(host, first, last)
        if (!history) break
        let recorded = 0
        for (const key of history.keys()) if (!seen.has(key)) recorded++
        reported = { from: 'api', exact: true, count: recorded, statuses: history.statuses }
        if (recorded >= notRun) break
        await sleep(5000)
      }
    }
    host.log.poll()
    reported ??= reportedFromLog(kind, host.log.lines)
    const hostLines = host.log.lines.length
    await host.stop()
    host = null
    return {
      expected,
      ran,
      notRun,
      notRunPct: (notRun / expected) * 100,
      duplicates,
      reported: reported.count,
      reportedFrom: reported.from,
      silent: reported.exact ? Math.max(0, notRun - reported.count) : null,
      historyStatuses: reported.statuses ?? null,
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
 * The fires the host recorded in the window, from its API (`GET /api/v1/runs`, newest first):
 * a map `"<task> <fire second>"` → status, plus counts by status; null without the API.
 */
async function runHistory(host, first, last) {
  const keys = new Map()
  const statuses = {}
  let cursor = null
  for (let page = 0; page < 100; page++) {
    const url = new URL('/api/v1/runs', host.url)
    url.searchParams.set('limit', '500')
    if (cursor) url.searchParams.set('cursor', cursor)
    const res = await request(url.href, { headers: host.headers, timeoutMs: 60_000 })
    if (res.status !== 200 || !Array.isArray(res.json?.runs)) return null
    let older = 0
    for (const run of res.json.runs) {
      const at = run.scheduledAt ? parseIsoSeconds(run.scheduledAt.replace('Z', '+00:00')) : null
      if (at === null) continue
      const slot = Math.round(at)
      if (slot < first) older++
      if (slot < first || slot > last) continue
      keys.set(`${run.task} ${slot}`, run.status)
      statuses[run.status] = (statuses[run.status] ?? 0) + 1
    }
    cursor = res.json.nextCursor ?? null
    // Newest first: a page wholly before the window ends the search.
    if (!cursor || older === res.json.runs.length) break
  }
  return Object.assign(keys, { statuses })
}

/** Without a run history: what the host's log says it skipped or missed (whole run, not exact). */
function reportedFromLog(kind, lines) {
  let count = 0
  for (const line of lines) {
    if (kind === 'tasse') {
      if (/run skipped/.test(line)) count++
      const m = line.match(/(\d+) fire time\(s\) missed/)
      if (m) count += Number(m[1])
    } else if (/was missed by|skipped: maximum number of running instances/.test(line)) count++
  }
  return { from: 'host log', exact: false, count }
}
