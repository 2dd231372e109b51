/**
 * The trigger contract of `@tasse/core/testing`, run on the cron trigger: the factory with option
 * sets that cover every field, the zones people use and the schedules that trip them up.
 */
import { testTriggerFactory } from '@tasse/core/testing'
import { cronTriggerFactory } from '@tasse/trigger-cron'
import { describe, expect, it } from 'vitest'

testTriggerFactory({
  factory: cronTriggerFactory,
  valid: [
    {},
    { second: '*' },
    { minute: '*/5' },
    { hour: 12, minute: 0, timezone: 'UTC' },
    { day_of_week: 'mon-fri', hour: 17, minute: 30, timezone: 'Europe/Paris' },
    { hour: '2', minute: 30, timezone: 'America/New_York' },
    { hour: '1-3', minute: '*/20', timezone: 'Australia/Lord_Howe' },
    { day: 'last', hour: 23, minute: 59, second: 59 },
    { day: '3rd fri', month: 'jan,jul', year: '2024-2040' },
    { year: 2030, month: 6, day: 15, hour: 8 },
    { minute: 0, start_date: '2024-01-01 00:00:00', end_date: '2024-01-02 00:00:00' },
    { second: '*/10', jitter: 30, timezone: 'Asia/Kolkata' },
    { month: 2, day: 30 },
  ],
  invalid: [
    { options: { hour: '6am' }, field: 'scheduler.hour', message: 'must be an hour 0-23' },
    { options: { hour: 25 }, field: 'scheduler.hour' },
    { options: { minute: '*/0' }, field: 'scheduler.minute' },
    { options: { day_of_week: 'funday' }, field: 'scheduler.day_of_week' },
    { options: { minutes: 5 }, field: 'scheduler.minutes', message: 'did you mean "minute"?' },
    { options: { timezone: '+02:00' }, field: 'scheduler.timezone', message: 'got "+02:00"' },
    { options: { start_date: 'not a date' }, field: 'scheduler.start_date' },
    { options: { end_date: '2024-01-01T10:00' }, field: 'scheduler.end_date' },
    { options: { jitter: '5' }, field: 'scheduler.jitter', message: 'number of seconds' },
  ],
})

// Regression (found by the contract suite): past 2^53 µs (2255-06-05) a double no longer holds
// every microsecond, so `previous + 1` in `cronTrigger`'s nextFireTime rounds back to `previous`
// and the fire time after a fire is that same fire. `tasse next` on `month: 2, day: 29` then
// prints 2256-02-29 over and over (it chains from 1972 in 70 steps), and the scheduler's
// catch-up loop would never end. Fixed by
// starting the search at `secondAfter(previous)`.
describe('cron trigger past 2255 (regression)', () => {
  const context = {
    at: { file: 'tasks/rare/task.yaml', field: 'scheduler' },
    defaultTimezone: 'UTC',
    random: () => 0.5,
  }
  const chainStrictlyIncreases = (options: Record<string, unknown>) => {
    const trigger = cronTriggerFactory.create(options, context)
    let previous = trigger.nextFireTime(null, Date.UTC(2024, 0, 1) * 1000)
    for (let i = 0; i < 100 && previous !== null; i++) {
      const next = trigger.nextFireTime(previous, previous)
      if (next !== null) expect(next).toBeGreaterThan(previous)
      previous = next
    }
  }
  it('{ month: 2, day: 29, hour: 12 }: the fire after 2256-02-29 is later', () =>
    chainStrictlyIncreases({ month: 2, day: 29, hour: 12 }))
  it('{ week: 53, day_of_week: 0 }: the fire after 2257-12-28 is later', () =>
    chainStrictlyIncreases({ week: 53, day_of_week: 0 }))
})
