/**
 * The trigger contract of `@tasse/core/testing`, run on the date trigger. It fires once, so the
 * chained checks end after one step; and APScheduler's DateTrigger hands back a run_date in the
 * past as it is (the scheduler then counts the fire as missed), so "at or after now" holds only
 * for the run_dates this file gives, all before the instants the suite asks from.
 */
import { testTriggerFactory } from '@tasse/core/testing'
import { dateTriggerFactory } from '@tasse/trigger-date'
import { describe, expect, it } from 'vitest'

/** After every run_date below: the suite asks only from here on. */
const from = ['2101-01-01T00:00:00Z', '2200-02-29T12:00:00.25Z', '9999-12-31T23:58:00Z']

testTriggerFactory({
  factory: dateTriggerFactory,
  valid: [{}, { timezone: 'Europe/Paris' }],
  from: ['1970-01-01T00:00:00Z', '2024-03-31T00:59:59.999999Z', ...from],
  invalid: [
    { options: { start_date: '2024-01-01' }, field: 'scheduler.start_date' },
    { options: { end_date: '2024-01-01' }, field: 'scheduler.end_date' },
    { options: { jitter: 5 }, field: 'scheduler.jitter', message: 'no jitter on date triggers' },
    { options: { run_date: 'tomorrow' }, field: 'scheduler.run_date' },
    { options: { run_date: 20240101 }, field: 'scheduler.run_date', message: 'got 20240101' },
    { options: { run_date: '2024-02-30' }, field: 'scheduler.run_date' },
    { options: { rundate: '2024-01-01' }, field: 'scheduler.rundate', message: '"run_date"' },
    { options: { timezone: 'Local' }, field: 'scheduler.timezone' },
  ],
})

// With a run_date, the first fire time is the run_date itself: at or after now only when it
// is still to come. The suite asks from instants after it, so it checks the rest of the contract.
testTriggerFactory({
  factory: dateTriggerFactory,
  valid: [
    { run_date: '2024-03-31 02:30:00', timezone: 'Europe/Paris' },
    { run_date: '2024-06-01 12:00:00.000001Z', timezone: 'Asia/Tokyo' },
    { run_date: '2100-12-31' },
  ],
  from: ['1970-01-01T00:00:00Z', '2000-02-29T12:34:56.789012Z', '2024-01-01T00:00:00Z'],
  skip: [
    {
      reason: 'that case of the date factory is covered by the first suite of this file',
      tests: [
        'refuses each invalid option set with a TasseConfigError naming the file and the key',
      ],
    },
  ],
})

describe('date trigger: a run_date in the past (not part of the core contract)', () => {
  it('is returned as is, before now, as APScheduler 3 does; then null', () => {
    const trigger = dateTriggerFactory.create(
      { run_date: '2024-01-01 00:00:00' },
      {
        at: { file: 'tasks/once/task.yaml', field: 'scheduler' },
        defaultTimezone: 'UTC',
        random: Math.random,
      },
    )
    const now = Date.UTC(2025, 0, 1) * 1000
    const first = trigger.nextFireTime(null, now)
    expect(first).toBe(Date.UTC(2024, 0, 1) * 1000)
    expect(trigger.nextFireTime(first, now)).toBeNull()
  })
})
