import { registerPlugins, TasseConfigError } from '@tasse/core'
import { cpuMillis } from '@tasse/core/testing'
import { chainIso, context, micros } from '@tasse/test-support'
import { describe, expect, it } from 'vitest'
import { cronTrigger, cronTriggerFactory } from './cron-trigger.js'
import { plugin } from './index.js'

const fires = (options: Record<string, unknown>, from: string, count: number, random = () => 0.5) =>
  chainIso(cronTrigger(options, context({ random })), from, count)

describe('cronTrigger: the options', () => {
  it('names the file, the key, the expectation and the value in every error', () => {
    expect(() => cronTrigger({ hour: '6am' }, context())).toThrow(
      '[trigger-cron] tasks/example/task.yaml: scheduler.hour must be an hour 0-23 or a cron expression',
    )
    try {
      cronTrigger({ hour: 25 }, context())
    } catch (error) {
      expect(error).toBeInstanceOf(TasseConfigError)
      expect(error).toMatchObject({ file: 'tasks/example/task.yaml', field: 'scheduler.hour' })
    }
  })

  it.each([
    ['minutes', 'minute'],
    ['day_of_month', undefined],
    ['dow', undefined],
    ['Hour', 'hour'],
  ])('rejects the unknown key %s (suggesting %s)', (key, suggestion) => {
    const expected = suggestion ? `did you mean "${suggestion}"?` : 'expected one of: year, month'
    expect(() => cronTrigger({ [key]: 5 }, context())).toThrow(expected)
  })

  it.each([
    [{ timezone: '+02:00' }, /scheduler.timezone must be an IANA time zone name.*got "\+02:00"/],
    [{ timezone: 'Local' }, /scheduler.timezone must be an IANA/],
    [{ timezone: 2 }, /scheduler.timezone must be an IANA/],
    [{ start_date: 'not a date' }, /scheduler.start_date must be a date-time/],
    [{ end_date: '2024-01-01T10:00' }, /scheduler.end_date must be a date-time/],
    [{ start_date: 20240101 }, /scheduler.start_date must be a date-time string/],
    [{ jitter: '5' }, /scheduler.jitter must be a number of seconds/],
  ])('rejects %j', (options, message) => {
    expect(() => cronTrigger(options, context())).toThrow(message)
  })

  it('reports its type, zone and an APScheduler-style description', () => {
    const trigger = cronTrigger(
      { day_of_week: 'mon-fri', hour: 17, timezone: 'europe/paris' },
      context(),
    )
    expect(trigger).toMatchObject({ type: 'cron', timezone: 'Europe/Paris' })
    expect(trigger.describe()).toBe("cron[day_of_week='mon-fri', hour='17']")
  })

  it('uses the context default zone (UTC unless the host says otherwise)', () => {
    expect(cronTrigger({ hour: 1 }, context()).timezone).toBe('UTC')
    expect(cronTrigger({ hour: 1 }, context({ defaultTimezone: 'Asia/Tokyo' })).timezone).toBe(
      'Asia/Tokyo',
    )
  })

  it('adds its factory for `trigger: cron` to the instance it registers in', () => {
    expect(plugin.name).toBe('@tasse/trigger-cron')
    const factories = registerPlugins([plugin]).triggerFactories()
    expect(factories.get('cron')).toBe(cronTriggerFactory)
    expect(cronTriggerFactory.create).toBe(cronTrigger)
  })
})

describe('cronTrigger: the search window (§3.4)', () => {
  it('includes a now exactly on a slot, not a now 1 µs after it', () => {
    expect(fires({ minute: '*/5' }, '2024-01-01T10:05:00Z', 1)).toEqual([
      '2024-01-01T10:05:00+00:00',
    ])
    expect(fires({ minute: '*/5' }, '2024-01-01T10:05:00.000001Z', 1)).toEqual([
      '2024-01-01T10:10:00+00:00',
    ])
  })

  it('starts at start_date and stops after end_date, both inclusive', () => {
    const options = { hour: 9, start_date: '2024-01-03 09:00:00', end_date: '2024-01-05 09:00:00' }
    expect(fires(options, '2024-01-01T00:00:00Z', 5)).toEqual([
      '2024-01-03T09:00:00+00:00',
      '2024-01-04T09:00:00+00:00',
      '2024-01-05T09:00:00+00:00',
    ])
  })

  it('a later now does not skip slots: each fire follows the previous one', () => {
    const trigger = cronTrigger({ minute: 0 }, context())
    const first = trigger.nextFireTime(null, micros('2024-01-01T10:30:00Z')) as number
    expect(trigger.nextFireTime(first, micros('2024-01-02T00:00:00Z'))).toBe(
      micros('2024-01-01T12:00:00Z'),
    )
  })

  it('a year range ends the sequence; an end_date before start_date never fires', () => {
    expect(fires({ year: 2027 }, '2024-01-01T00:00:00Z', 3)).toEqual(['2027-01-01T00:00:00+00:00'])
    expect(
      fires(
        { hour: 1, start_date: '2025-01-01', end_date: '2024-01-01' },
        '2024-01-01T00:00:00Z',
        1,
      ),
    ).toEqual([])
  })
})

describe('cronTrigger: matching (§3.3)', () => {
  it('ANDs day and day_of_week: Friday the 13th, the first Monday', () => {
    expect(fires({ day: 13, day_of_week: 'fri' }, '2024-01-01T00:00:00Z', 2)).toEqual([
      '2024-09-13T00:00:00+00:00',
      '2024-12-13T00:00:00+00:00',
    ])
    expect(fires({ day: '1-7', day_of_week: 'mon' }, '2024-01-02T00:00:00Z', 2)).toEqual([
      '2024-02-05T00:00:00+00:00',
      '2024-03-04T00:00:00+00:00',
    ])
  })

  it('skips short months for day 31, and fires on Feb 29 in leap years only', () => {
    expect(fires({ day: 31 }, '2024-04-01T00:00:00Z', 2)).toEqual([
      '2024-05-31T00:00:00+00:00',
      '2024-07-31T00:00:00+00:00',
    ])
    expect(fires({ month: 2, day: 29 }, '2024-03-01T00:00:00Z', 1)).toEqual([
      '2028-02-29T00:00:00+00:00',
    ])
  })

  it('reads week as the ISO week and year as the calendar year', () => {
    expect(fires({ year: 2024, week: 1 }, '2024-01-05T00:00:00Z', 4)).toEqual([
      '2024-01-05T00:00:00+00:00',
      '2024-01-06T00:00:00+00:00',
      '2024-01-07T00:00:00+00:00',
      '2024-12-30T00:00:00+00:00',
    ])
    expect(fires({ year: 2027, week: 53 }, '2024-01-01T00:00:00Z', 4)).toEqual([
      '2027-01-01T00:00:00+00:00',
      '2027-01-02T00:00:00+00:00',
      '2027-01-03T00:00:00+00:00',
    ])
  })

  it('finds nth and last weekdays; months without a 5th are skipped', () => {
    expect(fires({ day: '5th fri' }, '2024-01-01T00:00:00Z', 2)).toEqual([
      '2024-03-29T00:00:00+00:00',
      '2024-05-31T00:00:00+00:00',
    ])
    expect(fires({ day: 'last sun', month: 3 }, '2024-01-01T00:00:00Z', 1)).toEqual([
      '2024-03-31T00:00:00+00:00',
    ])
  })

  it.each([
    [{ month: 2, day: 30 }],
    [{ month: 'apr,jun', day: 31 }],
    [{ week: 53, month: 6 }],
    [{ week: 1, month: 6 }],
    [{ day: '1st mon', day_of_week: 'tue' }],
    [{ year: '1970/4', month: 2, day: 29 }],
  ])('answers null at once for the impossible schedule %j', (options) => {
    // Walking to the year 9999 as APScheduler does takes seconds; the bound allows a loaded CI.
    const trigger = cronTrigger(options, context())
    const { ms } = cpuMillis(() => {
      expect(trigger.nextFireTime(null, micros('2024-01-01T00:00:00Z'))).toBeNull()
      expect(trigger.nextFireTime(null, micros('2025-01-01T00:00:00Z'))).toBeNull()
    })
    expect(ms).toBeLessThan(500)
  })
})

describe('cronTrigger: jitter (§6)', () => {
  it('delays each fire by random·J, caps it at end_date, and searches after the jittered time', () => {
    const options = { second: '*/10', jitter: 4, end_date: '2024-01-01T00:00:21Z' }
    expect(fires(options, '2024-01-01T00:00:00Z', 5, () => 0.75)).toEqual([
      '2024-01-01T00:00:03+00:00',
      '2024-01-01T00:00:13+00:00',
      '2024-01-01T00:00:21+00:00',
    ])
  })
})
