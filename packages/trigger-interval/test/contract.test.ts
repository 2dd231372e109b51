/**
 * The trigger contract of `@tasse/core/testing`, run on the interval trigger: the factory with
 * option sets that cover every key, and a few triggers made by hand.
 */
import { TRIGGER_CONTRACT_FROM, testTrigger, testTriggerFactory } from '@tasse/core/testing'
import { intervalTrigger, intervalTriggerFactory } from '@tasse/trigger-interval'

const context = {
  at: { file: 'tasks/poll/task.yaml', field: 'scheduler' },
  defaultTimezone: 'UTC',
  random: () => 0.5,
}

testTriggerFactory({
  factory: intervalTriggerFactory,
  valid: [
    { seconds: 10 },
    { minutes: 20, start_date: '2024-10-27 02:30:00', timezone: 'Europe/Paris' },
    { days: 1, start_date: '2024-03-30 09:00:00', timezone: 'America/New_York' },
    { weeks: 1, days: 1.5, hours: 0.25, minutes: 2, seconds: 1.000001 },
    { hours: 1, start_date: '2000-01-01 00:00:00.123456', end_date: '2030-01-01 00:00:00' },
    { seconds: 30, jitter: 120 },
    { minutes: 1, start_date: '2099-01-01T00:00:00Z', end_date: '2100-01-01 00:00:00' },
  ],
  invalid: [
    { options: { weeks: '1' }, field: 'scheduler.weeks', message: 'got "1"' },
    { options: { seconds: true }, field: 'scheduler.seconds', message: 'must be a number' },
    { options: { days: 1_000_000_000 }, field: 'scheduler.days', message: '999,999,999 days' },
    { options: { hours: -1 }, field: 'scheduler.hours', message: 'must make a positive interval' },
    // Issue #12: an interval under a second filled the history with thousands of rows a second.
    { options: { seconds: 0.000001 }, field: 'scheduler.seconds', message: 'at least 1 second' },
    { options: { minutes: 0.01 }, field: 'scheduler.minutes', message: 'at least 1 second' },
    // Issue #18: APScheduler 3 runs a zero interval every second, silently.
    { options: { seconds: 0 }, field: 'scheduler.seconds', message: 'not zero' },
    { options: { hours: 0, minutes: 0 }, field: 'scheduler.hours', message: 'not zero' },
    { options: { seconds: 1e-7 }, field: 'scheduler.seconds', message: 'not zero' },
    { options: { minutes: 1, seconds: -60 }, field: 'scheduler.minutes', message: 'not zero' },
    { options: {}, field: 'scheduler', message: 'needs an interval' },
    { options: { timezone: 'UTC' }, field: 'scheduler', message: 'needs an interval' },
    { options: { minute: 5 }, field: 'scheduler.minute', message: 'did you mean "minutes"?' },
    { options: { seconds: 5, jitter: 'x' }, field: 'scheduler.jitter' },
    { options: { seconds: 5, start_date: '2024-01-01T10:00' }, field: 'scheduler.start_date' },
    { options: { seconds: 5, end_date: 'soon' }, field: 'scheduler.end_date' },
    { options: { seconds: 5, timezone: 'UTC+2' }, field: 'scheduler.timezone', message: 'IANA' },
  ],
})

testTrigger({
  name: 'interval of one second and one microsecond',
  create: () => intervalTrigger({ seconds: 1.000001 }, context),
  // Past 2^53 µs (2255-06-05) a double cannot hold every microsecond: `previous + 1.000001 s`
  // is rounded. Whole-second intervals are exact up to 9999 (the factory suite above
  // asks them there); a microsecond grid in year 9999 is not a schedule anyone writes.
  from: TRIGGER_CONTRACT_FROM.filter((iso) => !iso.startsWith('9999')),
})

testTrigger({
  name: 'interval with jitter and Math.random',
  create: () => intervalTrigger({ minutes: 5, jitter: 30 }, { ...context, random: Math.random }),
  jitter: true,
})
