/**
 * Scenario 4, idle cost and scale: 1,000 and 10,000 shell tasks on `interval, hours: 1`.
 * Figures: time from starting the host until every task is scheduled (Tasse prints
 * `serving … (N task(s))` after its first scan has scheduled them; the original starts Flask
 * after its scan and `scheduler.start()`), then the host's RSS and threads, and the CPU it uses
 * over an idle window (default 30 s: --set idleSeconds=N) as a percentage of one core.
 */
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import { na } from '../lib/common.mjs'
import { startOriginal, startTasse } from '../lib/hosts.mjs'
import { cpuSeconds, memory } from '../lib/proc.mjs'
import { makeWorkDir, removeWorkDir, sleep } from '../lib/procs.mjs'
import { getRoot } from '../lib/root.mjs'
import { schedulerYaml, writeTask } from '../lib/tasks.mjs'

const TARGETS = {
  // Issue #19: the bundled data (data/tasks of the measured checkout) ready in ≤ 300 ms and an
  // idle host at most 60 MB; 1,000 tasks at most 70 MB.
  bundled: { readyS: 0.3, rssMB: 60 },
  1000: { readyS: 1, idlePct: 0.1, rssMB: 70 },
  10000: { readyS: 5, rssMB: 250 },
}

export default {
  name: 'idle-scale',
  title: 'Idle cost and scale',
  async run(ctx) {
    const sizes = ctx.opt('sizes', ctx.quick ? ['bundled', 1000] : ['bundled', 1000, 10000])
    const idleSeconds = ctx.opt('idleSeconds', ctx.quick ? 5 : 30)
    const caps = {
      1000: ctx.opt('originalCapSeconds1000', 120),
      10000: ctx.opt('originalCapSeconds10000', ctx.quick ? 30 : 150),
    }
    const rows = []
    const details = { idleSeconds, cases: [] }
    for (const n of sizes) {
      ctx.log(`  Tasse: ${n} tasks`)
      const tasse = await measure(ctx, 'tasse', n, idleSeconds, 120)
      let original = { na: ctx.originalProblem }
      if (ctx.original) {
        ctx.log(`  original: ${n} tasks (cap ${caps[n] ?? 120} s)`)
        original = await measure(ctx, 'original', n, idleSeconds, caps[n] ?? 120)
      }
      details.cases.push({ n, tasse, original })
      const target = TARGETS[n] ?? {}
      const v = (r, f) =>
        r.na
          ? na(r.na)
          : r.error
            ? na(r.error)
            : r.timedOut && f !== readyOf
              ? na(r.timedOut)
              : f(r)
      const label = n === 'bundled' ? 'bundled data' : `${n.toLocaleString('en-US')} tasks`
      rows.push({
        figure: `${label}: time until all scheduled${n === 'bundled' ? ' (start → ready)' : ''}`,
        unit: 's',
        better: 'lower',
        tasse: v(tasse, readyOf),
        tasseText: readyText(tasse),
        original: v(original, readyOf),
        originalText: readyText(original),
        target: target.readyS ? `≤ ${target.readyS} s` : '',
        met:
          target.readyS && tasse.readyS !== undefined ? tasse.readyS <= target.readyS : undefined,
      })
      rows.push({
        figure: `${label}: RSS (threads)`,
        unit: 'MB',
        better: 'lower',
        tasse: v(tasse, (r) => r.rssMB),
        tasseText:
          tasse.rssMB !== undefined ? `${tasse.rssMB.toFixed(0)} MB (${tasse.threads})` : undefined,
        original: v(original, (r) => r.rssMB),
        originalText:
          original.rssMB !== undefined && !original.timedOut
            ? `${original.rssMB.toFixed(0)} MB (${original.threads})`
            : undefined,
        target: target.rssMB ? `≤ ${target.rssMB} MB` : '',
        met: target.rssMB && tasse.rssMB !== undefined ? tasse.rssMB <= target.rssMB : undefined,
      })
      rows.push({
        figure: `${label}: idle CPU over ${idleSeconds} s (% of one core)`,
        unit: '%',
        better: 'lower',
        tasse: v(tasse, (r) => r.idleCpuPct),
        original: v(original, (r) => r.idleCpuPct),
        target: target.idlePct ? `≤ ${target.idlePct} %` : '',
        met:
          target.idlePct && tasse.idleCpuPct !== undefined
            ? tasse.idleCpuPct <= target.idlePct
            : undefined,
      })
    }
    return { rows, details, notes: [] }
  },
}

function readyOf(r) {
  return r.readyS
}

function readyText(r) {
  if (r.readyS === undefined) return undefined
  if (r.timedOut) return `> ${r.readyS.toFixed(0)} s (${r.scheduled} scheduled by then)`
  return `${r.readyS.toFixed(2)} s`
}

async function measure(ctx, kind, n, idleSeconds, capSeconds) {
  const work = makeWorkDir(`idle-${kind}-${n}`)
  let host = null
  try {
    const dataDir = join(work, 'data')
    const yaml = schedulerYaml({ trigger: 'interval', hours: 1 })
    if (n === 'bundled')
      cpSync(join(getRoot(), 'data', 'tasks'), join(dataDir, 'tasks'), { recursive: true })
    else
      for (let i = 0; i < n; i++)
        writeTask(dataDir, `t${String(i).padStart(5, '0')}`, { yaml, script: 'true\n' })
    const t0 = performance.now()
    try {
      host =
        kind === 'tasse'
          ? await startTasse(work, { timeoutMs: capSeconds * 1000 })
          : await startOriginal(work, ctx.original, { timeoutMs: capSeconds * 1000 })
    } catch (error) {
      if (!/did not start within/.test(error.message)) throw error
      // Count how far it got from the log it left.
      const { follow } = await import('../lib/procs.mjs')
      const log = follow(join(work, 'host.log'))
      const scheduled = log.count(/Job detected/)
      return {
        readyS: (performance.now() - t0) / 1000,
        timedOut: `not all scheduled after ${capSeconds} s`,
        scheduled,
      }
    }
    const readyS = host.readyMs / 1000
    if (kind === 'tasse' && n !== 'bundled' && host.taskCount !== n)
      throw new Error(`the host reports ${host.taskCount} tasks, not ${n}`)
    await sleep(3000)
    const before = memory(host.pid)
    const cpu0 = cpuSeconds(host.pid)
    await sleep(idleSeconds * 1000)
    const cpu1 = cpuSeconds(host.pid)
    const after = memory(host.pid)
    return {
      readyS,
      rssMB: (after?.rss ?? before?.rss) / 1e6,
      rssBeforeIdleMB: before?.rss / 1e6,
      peakRssMB: after?.hwm / 1e6,
      threads: after?.threads,
      idleCpuSeconds: cpu1 - cpu0,
      idleCpuPct: ((cpu1 - cpu0) / idleSeconds) * 100,
    }
  } catch (error) {
    ctx.log(`    failed: ${error.message.split('\n')[0]}`)
    return { error: error.message.split('\n')[0] }
  } finally {
    if (host) await host.stop(10_000)
    removeWorkDir(work)
  }
}
