import { chain, chainIso, context, micros } from '@tasse/test-support'
import { describe, expect, it } from 'vitest'
import { intervalTrigger } from './interval-trigger.js'

const fires = (options: Record<string, unknown>, from: string, count: number, random = () => 0) =>
  chainIso(intervalTrigger(options, context({ random })), from, count)

describe('intervalTrigger: elapsed time (APSCHEDULER.md §4, §7.2)', () => {
  it('without start_date, fires first at now + interval, keeping the microseconds of now', () => {
    expect(fires({ seconds: 10 }, '2024-01-01T00:00:00.123456Z', 2)).toEqual([
      '2024-01-01T00:00:10.123456+00:00',
      '2024-01-01T00:00:20.123456+00:00',
    ])
  })

  it('a start_date in the future is the first fire; in the past it anchors the grid (now on it included)', () => {
    expect(
      fires({ hours: 1, start_date: '2024-01-02 00:00:00.5' }, '2024-01-01T00:00:00Z', 1),
    ).toEqual(['2024-01-02T00:00:00.000005+00:00'])
    expect(
      fires({ minutes: 15, start_date: '2024-01-01 00:00:00' }, '2024-01-01T10:07:00Z', 1),
    ).toEqual(['2024-01-01T10:15:00+00:00'])
    expect(
      fires({ minutes: 15, start_date: '2024-01-01 00:00:00' }, '2024-01-01T10:15:00Z', 1),
    ).toEqual(['2024-01-01T10:15:00+00:00'])
  })

  it('days: 1 is 24 h: a daily 09:00 becomes 10:00 after the spring forward', () => {
    const options = { days: 1, start_date: '2024-03-30 09:00:00', timezone: 'Europe/Paris' }
    expect(fires(options, '2024-03-29T00:00:00Z', 2)).toEqual([
      '2024-03-30T09:00:00+01:00',
      '2024-03-31T10:00:00+02:00',
    ])
  })

  it('§7.3: a naive start_date in the gap moves forward by the gap', () => {
    const options = { minutes: 20, start_date: '2024-03-31 02:30:00', timezone: 'Europe/Paris' }
    expect(fires(options, '2024-03-30T00:00:00Z', 2)).toEqual([
      '2024-03-31T03:30:00+02:00',
      '2024-03-31T03:50:00+02:00',
    ])
  })

  it('§7.3: an ambiguous start_date is its first pass, and the steps run through the repeated hour', () => {
    const options = { minutes: 20, start_date: '2024-10-27 02:30:00', timezone: 'Europe/Paris' }
    expect(fires(options, '2024-10-26T00:00:00Z', 4)).toEqual([
      '2024-10-27T02:30:00+02:00',
      '2024-10-27T02:50:00+02:00',
      '2024-10-27T02:10:00+01:00',
      '2024-10-27T02:30:00+01:00',
    ])
  })

  it('§7.3: hours: 1 from 00:30+02 on fall-back night', () => {
    expect(fires({ hours: 1, timezone: 'Europe/Paris' }, '2024-10-27T00:30:00+02:00', 4)).toEqual([
      '2024-10-27T01:30:00+02:00',
      '2024-10-27T02:30:00+02:00',
      '2024-10-27T02:30:00+01:00',
      '2024-10-27T03:30:00+01:00',
    ])
  })

  it('adds the amounts up, floats included, to the microsecond', () => {
    const trigger = intervalTrigger(
      { weeks: 1, days: 1.5, hours: 0.25, minutes: 2, seconds: 1.000001 },
      context(),
    )
    expect(trigger.describe()).toBe('interval[8 days, 12:17:01.000001]')
  })

  it('end_date is inclusive; past it the sequence ends', () => {
    const options = {
      minutes: 30,
      start_date: '2024-01-01 00:00:00',
      end_date: '2024-01-01 01:00:00',
    }
    expect(fires(options, '2024-01-01T00:00:00Z', 5)).toEqual([
      '2024-01-01T00:00:00+00:00',
      '2024-01-01T00:30:00+00:00',
      '2024-01-01T01:00:00+00:00',
    ])
  })
})

describe('intervalTrigger: jitter (§6)', () => {
  it('accumulates: fire k lies in [exact_k, exact_k + (k+1)·J], and end_date sees the jittered time', () => {
    const options = { seconds: 10, start_date: '2024-01-01 00:00:00', jitter: 2 }
    const trigger = intervalTrigger(options, context({ random: () => 1 }))
    const start = micros('2024-01-01T00:00:00Z')
    expect(chain(trigger, start, 3)).toEqual([start + 2e6, start + 14e6, start + 26e6])
    const ended = intervalTrigger(
      { ...options, end_date: '2024-01-01 00:00:13' },
      context({ random: () => 1 }),
    )
    expect(chain(ended, start, 3)).toEqual([start + 2e6])
  })
})

describe('intervalTrigger: validation', () => {
  it.each([
    [{ weeks: '1' }, 'scheduler.weeks must be a number (int or float, e.g. weeks: 1.5), got "1"'],
    [{ seconds: true }, 'scheduler.seconds must be a number'],
    [{ days: 1_000_000_000 }, 'scheduler.days must keep the interval under 999,999,999 days'],
    [{ hours: -1 }, 'scheduler.hours must make a positive interval'],
    // Issue #12: an interval under a second filled the history with thousands of rows a second.
    [{ seconds: 0.000001 }, 'scheduler.seconds must make an interval of at least 1 second'],
    [{ seconds: 0.999999 }, 'scheduler.seconds must make an interval of at least 1 second'],
    // Issue #18: APScheduler 3 turns these into one second, silently.
    [{ seconds: 0 }, 'scheduler.seconds must make an interval of at least 1 second, not zero'],
    [{ minutes: 0, seconds: 0.0 }, 'scheduler.minutes must make an interval'],
    [{}, 'scheduler needs an interval for trigger "interval": weeks, days, hours, minutes or'],
    [{ minute: 5 }, 'scheduler.minute is not a known option (did you mean "minutes"?)'],
    [{ hour: 5 }, 'did you mean "hours"?'],
    [{ seconds: 5, jitter: 'x' }, 'scheduler.jitter must be a number of seconds'],
    [{ seconds: 5, start_date: '2024-01-01T10:00' }, 'scheduler.start_date must be a date-time'],
    [{ seconds: 5, timezone: 'UTC+2' }, 'scheduler.timezone must be an IANA time zone name'],
  ])('rejects %j', (options, message) => {
    expect(() => intervalTrigger(options, context())).toThrow(message)
  })
})
