/**
 * The trigger contract of `@tasse/core/testing`, run on the rrule trigger: rules of every
 * frequency, COUNT and UNTIL, zones with daylight saving, and a rule that never fires.
 */
import { testTriggerFactory } from '@tasse/core/testing'
import { rruleTriggerFactory } from '@tasse/trigger-rrule'
import { describe, expect, it } from 'vitest'

testTriggerFactory({
  factory: rruleTriggerFactory,
  valid: [
    { rrule: 'FREQ=DAILY', dtstart: '2024-01-01 09:00:00' },
    { rrule: 'FREQ=WEEKLY;BYDAY=MO', dtstart: '2024-01-01 08:00:00', timezone: 'UTC' },
    {
      rrule: 'FREQ=MONTHLY;BYMONTH=3,6,9,12;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1',
      dtstart: '2024-01-01 18:00:00',
      timezone: 'Europe/Paris',
    },
    {
      rrule: 'FREQ=HOURLY;INTERVAL=5',
      dtstart: '2001-01-01 00:30:00',
      timezone: 'America/New_York',
    },
    {
      rrule: 'FREQ=MINUTELY;INTERVAL=7;BYHOUR=1,2,3',
      dtstart: '2020-01-01',
      timezone: 'Europe/London',
    },
    { rrule: 'FREQ=SECONDLY;INTERVAL=7', dtstart: '2001-01-01 00:00:00' },
    {
      rrule: 'FREQ=WEEKLY;BYDAY=SA,SU;BYHOUR=2;BYMINUTE=30',
      dtstart: '2024-01-06',
      timezone: 'Europe/Paris',
    },
    { rrule: 'FREQ=DAILY;COUNT=500', dtstart: '2024-01-01 06:00:00' },
    { rrule: 'FREQ=DAILY;UNTIL=20250101T000000Z', dtstart: '2024-01-01' },
    { rrule: 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', dtstart: '2024-01-01' },
    { rrule: 'FREQ=HOURLY', dtstart: '2024-01-01', end_date: '2030-01-01', jitter: 600 },
  ],
  invalid: [
    {
      options: { rrule: 'FREQ=FOO', dtstart: '2024-01-01' },
      field: 'scheduler.rrule',
      message: 'FREQ=FOO',
    },
    { options: { rrule: 'FREQ=DAILY;BYHOUR=25', dtstart: '2024-01-01' }, field: 'scheduler.rrule' },
    {
      options: { rrule: 'BYDAY=MO', dtstart: '2024-01-01' },
      field: 'scheduler.rrule',
      message: 'must have FREQ',
    },
    { options: { rrule: 5, dtstart: '2024-01-01' }, field: 'scheduler.rrule' },
    { options: { rrule: 'FREQ=DAILY' }, field: 'scheduler.dtstart' },
    {
      options: { rrule: 'FREQ=DAILY', dtstart: '2024-01-01 10:00:00.5' },
      field: 'scheduler.dtstart',
    },
    {
      options: { rrule: 'FREQ=DAILY', dtstart: '2024-01-01', start_date: '2024-01-01' },
      field: 'scheduler.start_date',
    },
    {
      options: { rrule: 'FREQ=DAILY', dtstart: '2024-01-01', timezone: 'Mars/Olympus' },
      field: 'scheduler.timezone',
    },
    {
      options: { rrule: 'FREQ=DAILY', dtstart: '2024-01-01', jitter: -1 },
      field: 'scheduler.jitter',
    },
  ],
})

// Regression (found by the contract suite): past 2^53 µs (2255-06-05) `previous + 1` in
// `rruleTrigger`'s nextFireTime rounds back to `previous`, so the fire time after a fire is that
// same fire (`tasse next` on a yearly 29 February rule repeats 2256-02-29; every rule repeats
// its last fire of 9999). Fixed by starting the search at `secondAfter(previous)`.
describe('rrule trigger past 2255 (regression)', () => {
  const context = {
    at: { file: 'tasks/rare/task.yaml', field: 'scheduler' },
    defaultTimezone: 'UTC',
    random: () => 0.5,
  }
  const chainStrictlyIncreases = (options: Record<string, unknown>, fromMs: number) => {
    const trigger = rruleTriggerFactory.create(options, context)
    let previous = trigger.nextFireTime(null, fromMs * 1000)
    for (let i = 0; i < 100 && previous !== null; i++) {
      const next = trigger.nextFireTime(previous, previous)
      if (next !== null) expect(next).toBeGreaterThan(previous)
      previous = next
    }
  }
  it('a yearly 29 February: the fire after 2256-02-29 is later', () =>
    chainStrictlyIncreases(
      { rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', dtstart: '2000-02-29 12:00:00' },
      Date.UTC(2024, 0, 1),
    ))
  it('hourly: the fire after 9999-12-31T20:00Z is later', () =>
    chainStrictlyIncreases(
      { rrule: 'FREQ=HOURLY', dtstart: '2001-01-01' },
      Date.UTC(9999, 11, 31, 19, 30),
    ))
})
