/**
 * Scenario 6, trigger maths: next-fire computations per second, chained as a scheduler chains
 * them (each result is the next call's previous fire time), for cron `minute: "*\/5"` in UTC and
 * `day_of_week: mon-fri, hour: 17, minute: 30` in Europe/Paris. Tasse's trigger comes from the
 * `cron` factory @tasse/trigger-cron registers; the references run in the same bench: APScheduler
 * 3 (Debian's, under /usr/bin/python3) and croner. Each figure is the median of 5 rounds.
 */
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { na } from '../lib/common.mjs'
import { ORIGINAL_PYTHON } from '../lib/hosts.mjs'
import { getRoot } from '../lib/root.mjs'
import { median } from '../lib/stats.mjs'
import { triggerFactories } from '../lib/tasks.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const START = Date.UTC(2026, 0, 1)
/**
 * Chains restart from START when they pass this instant: a scheduler asks about the years near
 * now, and EpochMicros (a double) holds whole µs only up to 2255.
 */
const HORIZON = Date.UTC(2126, 0, 1)

const CASES = [
  {
    id: 'utc-every-5',
    label: 'cron minute */5, UTC',
    tasse: { minute: '*/5', timezone: 'UTC' },
    croner: ['*/5 * * * *', { timezone: 'UTC' }],
    target: 1_000_000,
  },
  {
    id: 'paris-weekdays',
    label: 'cron mon-fri 17:30, Europe/Paris',
    tasse: { day_of_week: 'mon-fri', hour: 17, minute: 30, timezone: 'Europe/Paris' },
    croner: ['30 17 * * 1-5', { timezone: 'Europe/Paris' }],
    target: 300_000,
  },
]

export default {
  name: 'trigger-maths',
  title: 'Trigger maths',
  async run(ctx) {
    const budgetMs = ctx.opt('budgetMs', ctx.quick ? 500 : 2500)
    const found = await triggerFactories('@tasse/trigger-cron')
    const factory = found.factories?.find((f) => f.type === 'cron')
    const croner = await loadCroner()
    const rows = []
    const details = { budgetMs, cases: [] }
    for (const c of CASES) {
      ctx.log(`  ${c.label}`)
      const tasse = factory
        ? measureTasse(factory, c, budgetMs)
        : {
            na: `not available: ${found.missing ?? '@tasse/trigger-cron registers no cron factory'}`,
          }
      const aps = await measureApscheduler(c, budgetMs)
      const cron = croner.Cron ? measureCroner(croner.Cron, c, budgetMs) : { na: croner.missing }
      details.cases.push({ id: c.id, tasse, apscheduler: aps, croner: cron })
      const v = (r) => (r.na ? na(r.na) : r.perSecond)
      rows.push({
        figure:
          `next-fire computations, ${c.label} (original column: APScheduler ${aps.version ?? ''})`.replace(
            ' )',
            ')',
          ),
        unit: '/s',
        better: 'higher',
        tasse: v(tasse),
        original: v(aps),
        target: `≥ ${c.target.toLocaleString('en-US')}/s`,
        met: tasse.perSecond !== undefined ? tasse.perSecond >= c.target : undefined,
      })
      rows.push({
        figure:
          `next-fire computations, ${c.label} (original column: croner ${croner.version ?? ''})`.replace(
            ' )',
            ')',
          ),
        unit: '/s',
        better: 'higher',
        tasse: v(tasse),
        original: v(cron),
        target: '≈ 20× the references',
        met:
          tasse.perSecond !== undefined &&
          cron.perSecond !== undefined &&
          aps.perSecond !== undefined
            ? tasse.perSecond >= 20 * Math.max(cron.perSecond, aps.perSecond)
            : undefined,
      })
    }
    return { rows, details, notes: [] }
  },
}

/** Runs `step` in rounds for `budgetMs` in all; the median rate of 5 rounds. */
function rate(step, budgetMs) {
  // Warm-up: let the JIT settle.
  const warm = performance.now() + Math.min(300, budgetMs / 5)
  while (performance.now() < warm) for (let i = 0; i < 200; i++) step()
  const rounds = []
  for (let r = 0; r < 5; r++) {
    let count = 0
    const t0 = performance.now()
    const deadline = t0 + budgetMs / 5
    let now = t0
    while (now < deadline) {
      for (let i = 0; i < 200; i++) step()
      count += 200
      now = performance.now()
    }
    rounds.push((count / (now - t0)) * 1000)
  }
  return { perSecond: median(rounds), rounds }
}

function measureTasse(factory, c, budgetMs) {
  try {
    const trigger = factory.create(c.tasse, {
      at: { file: 'bench', field: 'scheduler' },
      defaultTimezone: 'UTC',
      random: () => 0,
    })
    const start = START * 1000
    let t = trigger.nextFireTime(null, start)
    const first = []
    for (let i = 0; i < 3; i++) {
      first.push(new Date(t / 1000).toISOString())
      t = trigger.nextFireTime(t, t)
    }
    t = trigger.nextFireTime(null, start)
    let stalled = 0
    const result = rate(() => {
      const next = trigger.nextFireTime(t, t)
      if (next === null || next > HORIZON * 1000) t = trigger.nextFireTime(null, start)
      else {
        if (next <= t) stalled++
        t = next
      }
    }, budgetMs)
    if (stalled) return { na: `the chain did not advance ${stalled} times`, first }
    return { ...result, first }
  } catch (error) {
    return { na: `the cron factory failed: ${error.message.split('\n')[0]}` }
  }
}

async function loadCroner() {
  try {
    const require = createRequire(join(getRoot(), 'package.json'))
    const path = require.resolve('croner')
    const pkg = require('croner/package.json')
    const mod = await import(pathToFileURL(path).href)
    return { Cron: mod.Cron ?? mod.default?.Cron ?? mod.default, version: pkg.version }
  } catch (error) {
    return { missing: `croner is not installed (${error.code ?? error.message})` }
  }
}

function measureCroner(Cron, c, budgetMs) {
  try {
    const job = new Cron(c.croner[0], { ...c.croner[1], paused: true })
    const start = new Date(START)
    let t = job.nextRun(start)
    const first = []
    for (let i = 0; i < 3; i++) {
      first.push(t.toISOString())
      t = job.nextRun(t)
    }
    t = job.nextRun(start)
    const result = rate(() => {
      t = job.nextRun(t)
      if (t === null || t.getTime() > HORIZON) t = job.nextRun(start)
    }, budgetMs)
    return { ...result, first }
  } catch (error) {
    return { na: `croner failed: ${error.message}` }
  }
}

async function measureApscheduler(c, budgetMs) {
  try {
    const { stdout } = await promisify(execFile)(
      ORIGINAL_PYTHON,
      [join(here, '../lib/apscheduler-next.py'), c.id, String(budgetMs / 1000)],
      { timeout: budgetMs * 4 + 20_000 },
    )
    return JSON.parse(stdout.trim().split('\n').at(-1))
  } catch (error) {
    return { na: `APScheduler under ${ORIGINAL_PYTHON}: ${error.message.split('\n')[0]}` }
  }
}
