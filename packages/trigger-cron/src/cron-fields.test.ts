import { describe, expect, it } from 'vitest'
import { type CronField, CronFieldError, parseCronField, parseCronFields } from './cron-fields.js'

const values = (field: CronField) => [...field.matches.keys()].filter((v) => field.matches[v])
const expressions = (given: Record<string, unknown>) =>
  Object.fromEntries(parseCronFields(given).map((f) => [f.name, f.expression]))

describe('defaults rule (APSCHEDULER.md §3.1)', () => {
  it('fields after the least significant given one take their minimum; week and day_of_week take *', () => {
    expect(expressions({ hour: 13 })).toEqual({
      year: '*',
      month: '*',
      day: '*',
      week: '*',
      day_of_week: '*',
      hour: '13',
      minute: '0',
      second: '0',
    })
  })

  it('month: 7 is July 1st at 00:00:00 only', () => {
    expect(expressions({ month: 7 })).toMatchObject({
      month: '7',
      day: '1',
      hour: '0',
      minute: '0',
      second: '0',
    })
  })

  it('missing fields between given ones are *', () => {
    expect(expressions({ day: 15, minute: 45 })).toMatchObject({
      day: '15',
      hour: '*',
      minute: '45',
      second: '0',
    })
  })

  it('an explicit "*" counts as given', () => {
    expect(expressions({ minute: '*' })).toMatchObject({ hour: '*', minute: '*', second: '0' })
  })

  it('an empty mapping is * everywhere (every second); null counts as not given', () => {
    expect(Object.values(expressions({}))).toEqual(Array(8).fill('*'))
    expect(expressions({ hour: null, minute: 5 })).toMatchObject({ hour: '*', minute: '5' })
  })
})

describe('expressions (§3.2)', () => {
  it.each([
    ['minute', 5, [5]],
    ['minute', '05', [5]],
    ['minute', ' 5 ', [5]],
    ['minute', '*/20', [0, 20, 40]],
    ['day', '*/10', [1, 11, 21, 31]],
    ['week', '*/26', [1, 27, 53]],
    ['day_of_week', '*/3', [0, 3, 6]],
    ['hour', '2-4', [2, 3, 4]],
    ['hour', '2-10/4', [2, 6, 10]],
    ['minute', '50/5', [50, 55]],
    ['minute', '1 , 2,3', [1, 2, 3]],
    ['month', 'jan-mar', [1, 2, 3]],
    ['month', 'DEC', [12]],
    ['day_of_week', 'mon-fri', [0, 1, 2, 3, 4]],
    ['day_of_week', 'sat,sun', [5, 6]],
    ['minute', '0-0/5', [0]],
    ['day_of_week', 'mon-fri/2', [0, 1, 2, 3, 4]],
  ])('%s %j matches %j', (field, value, expected) => {
    expect(values(parseCronField(field as never, value))).toEqual(expected)
  })

  it('reads month-dependent day rules: last, nth weekday, last weekday (as prefixes, like APScheduler)', () => {
    expect(parseCronField('day', 'last, 2nd fri, last sun').dayRules).toEqual([
      { kind: 'last-day' },
      { kind: 'nth-weekday', nth: 1, weekday: 4 },
      { kind: 'last-weekday', weekday: 6 },
    ])
    expect(parseCronField('day', 'lastx').dayRules).toEqual([{ kind: 'last-day' }])
    expect(parseCronField('day', '2nd fri extra').dayRules).toEqual([
      { kind: 'nth-weekday', nth: 1, weekday: 4 },
    ])
  })

  it.each([
    ['hour', 25, /must be an hour 0-23 in "25" \(out of range\), got "25"/],
    ['day', 0, /out of range/],
    ['minute', '*/0', /step of at least 1/],
    ['minute', '*/60', /step of at most 59/],
    ['day', '*/31', /step of at most 30/],
    ['month', '*/12', /step of at most 11/],
    ['week', '*/53', /step of at most 52/],
    ['day_of_week', '*/7', /step of at most 6/],
    ['minute', '50/10', /step of at most 9/],
    ['hour', '5-3', /a ≤ b/],
    ['hour', '22-2', /ranges do not wrap around/],
    ['day_of_week', 'fri-mon', /a ≤ b/],
    ['month', 'foo', /3-letter month names/],
    ['day_of_week', 'monday', /3-letter weekday names/],
    ['month', 'january', /3-letter month names/],
    ['day_of_week', 'jan', /weekday names/],
    ['day_of_week', 7, /out of range/],
    ['day_of_week', 'last', /weekday names/],
    ['day', '6th fri', /cron expression/],
    ['day', 'first mon', /cron expression/],
    ['day', '1st 5', /must name the weekday/],
    ['minute', '-1', /cron expression/],
    ['minute', '1-2-3', /cron expression/],
    ['minute', '*/5/2', /cron expression/],
    ['minute', '5.5', /cron expression/],
    ['hour', '12pm', /cron expression/],
    ['day', 'L', /cron expression/],
    ['day', '15W', /cron expression/],
    ['day', '?', /cron expression/],
    ['day', '5#3', /cron expression/],
    ['minute', '', /cron expression/],
    ['minute', '1,,2', /cron expression/],
    ['minute', '*/5,', /cron expression/],
    ['minute', 5.5, /not a whole number/],
    ['minute', true, /got true/],
    ['minute', [1, 2], /got a list \[1,2\]/],
  ])('rejects %s %j', (field, value, message) => {
    expect(() => parseCronField(field as never, value)).toThrow(CronFieldError)
    expect(() => parseCronField(field as never, value)).toThrow(message)
  })
})
