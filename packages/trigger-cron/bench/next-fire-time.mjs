// nextFireTime() calls per second, chaining previous → next as the scheduler does (issue #3,
// item 10): `minute: "*/5"` in UTC (target ≥ 1,000,000/s) and `day_of_week: mon-fri, hour: 17,
// minute: 30` in Europe/Paris (target ≥ 300,000/s). Run after `npm run build`:
//   node packages/trigger-cron/bench/next-fire-time.mjs [--json]
import { cronTrigger } from '@tasse/trigger-cron'

const CASES = [
  { name: 'minute */5, UTC', options: { minute: '*/5' }, target: 1_000_000 },
  {
    name: 'mon-fri 17:30, Europe/Paris',
    options: { day_of_week: 'mon-fri', hour: 17, minute: 30, timezone: 'Europe/Paris' },
    target: 300_000,
  },
]
const ROUNDS = 7
const CALLS = 1_000_000
const context = {
  at: { file: 'bench', field: 'scheduler' },
  defaultTimezone: 'UTC',
  random: Math.random,
}
const START = Date.parse('2024-01-01T00:00:00Z') * 1000

function round(trigger) {
  let previous = trigger.nextFireTime(null, START)
  const started = process.hrtime.bigint()
  for (let i = 0; i < CALLS; i++) previous = trigger.nextFireTime(previous, previous)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (previous === null) throw new Error('the schedule ended')
  return CALLS / seconds
}

const results = CASES.map(({ name, options, target }) => {
  const trigger = cronTrigger(options, context)
  round(trigger) // warm-up: JIT and the zone's transition tables
  const rates = Array.from({ length: ROUNDS }, () => round(trigger)).sort((a, b) => a - b)
  const median = rates[Math.floor(ROUNDS / 2)]
  return { name, perSecond: Math.round(median), target, ok: median >= target }
})

if (process.argv.includes('--json')) console.log(JSON.stringify(results))
else {
  for (const r of results) {
    console.log(
      `${r.name.padEnd(30)} ${r.perSecond.toLocaleString('en-US').padStart(12)} /s  (target ${r.target.toLocaleString('en-US')}/s: ${r.ok ? 'met' : 'MISSED'})`,
    )
  }
}
process.exitCode = results.every((r) => r.ok) ? 0 : 1
