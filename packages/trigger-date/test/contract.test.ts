/**
 * The trigger contract of `@tasse/core/testing`, run on the date trigger. It fires once, so each
 * chain ends after one step. APScheduler's DateTrigger hands back a run_date in the past as it is
 * (the scheduler then records the fire as missed): "at or after now" holds for a run_date still
 * to come, so the factory suite asks only from instants before every run_date given here.
 */
import { testTrigger, testTriggerFactory } from '@tasse/core/testing'
import { dateTriggerFactory } from '@tasse/trigger-date'
import { describe, expect, it } from 'vitest'

testTriggerFactory({
  factory: dateTriggerFactory,
  valid: [
    {},
    { timezone: 'Europe/Paris' },
    { run_date: '2024-03-31 02:30:00', timezone: 'Europe/Paris' },
    { run_date: '2024-06-01 12:00:00.000001Z', timezone: 'Asia/Tokyo' },
    { run_date: '2100-12-31' },
  ],
  // Before the earliest run_date above (2024-03-31T01:00:00Z, moved out of the gap).
  from: [
    '1970-01-01T00:00:00Z',
    '1999-12-31T23:59:59.999999Z',
    '2000-02-29T12:34:56.789012Z',
    '2024-03-10T06:30:00Z',
    '2024-03-31T00:59:59.999999Z',
  ],
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

// Without a run_date it fires at now, whenever now is: asked from the suite's whole range.
testTrigger({
  name: 'date without run_date',
  create: () =>
    dateTriggerFactory.create(
      {},
      {
        at: { file: 'tasks/once/task.yaml', field: 'scheduler' },
        defaultTimezone: 'UTC',
        random: Math.random,
      },
    ),
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
