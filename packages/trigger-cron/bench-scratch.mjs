import { cronTrigger } from './dist/index.js'

const ctx = {
  at: { file: 't.yaml', field: 'scheduler' },
  defaultTimezone: 'UTC',
  random: Math.random,
}
function bench(opts, n) {
  const t = cronTrigger(opts, ctx)
  let prev = t.nextFireTime(null, Date.parse('2024-01-01T00:00:00Z') * 1000)
  for (let i = 0; i < 50000; i++) prev = t.nextFireTime(prev, prev) // warm-up
  prev = t.nextFireTime(null, Date.parse('2024-01-01T00:00:00Z') * 1000)
  const t0 = performance.now()
  for (let i = 0; i < n; i++) prev = t.nextFireTime(prev, prev)
  const ms = performance.now() - t0
  console.log(
    JSON.stringify(opts),
    Math.round((n / ms) * 1000).toLocaleString(),
    '/s',
    new Date(prev / 1000).toISOString(),
  )
}
bench({ minute: '*/5' }, 2_000_000)
bench({ day_of_week: 'mon-fri', hour: 17, minute: 30, timezone: 'Europe/Paris' }, 300_000)
