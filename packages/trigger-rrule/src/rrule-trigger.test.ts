import { cpuMillis } from '@tasse/core/testing'
import { chainIso, context, micros, seededRandom } from '@tasse/test-support'
import * as rrulePackage from 'rrule'
import { describe, expect, it } from 'vitest'
import { parseRecurrenceRule } from './recurrence-rule.js'
import { rruleTrigger } from './rrule-trigger.js'

const { RRule } = ((rrulePackage as unknown as { default?: typeof rrulePackage }).default ??
  rrulePackage) as typeof rrulePackage

const fires = (options: Record<string, unknown>, from: string, count: number) =>
  chainIso(rruleTrigger(options, context()), from, count)

describe('rruleTrigger', () => {
  it('says what cron cannot: the last working day of each quarter', () => {
    const options = {
      rrule: 'FREQ=MONTHLY;BYMONTH=3,6,9,12;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1',
      dtstart: '2024-01-01 18:00:00',
      timezone: 'Europe/Paris',
    }
    expect(fires(options, '2024-04-01T00:00:00Z', 4)).toEqual([
      '2024-06-28T18:00:00+02:00',
      '2024-09-30T18:00:00+02:00',
      '2024-12-31T18:00:00+01:00',
      '2025-03-31T18:00:00+02:00',
    ])
  })

  it('takes the time of day, weekday and interval phase from dtstart', () => {
    const options = { rrule: 'RRULE:FREQ=WEEKLY;INTERVAL=2', dtstart: '2024-01-02 09:15:00' }
    expect(fires(options, '2024-01-10T00:00:00Z', 3)).toEqual([
      '2024-01-16T09:15:00+00:00',
      '2024-01-30T09:15:00+00:00',
      '2024-02-13T09:15:00+00:00',
    ])
  })

  it('maps wall times with the first-occurrence rule: a gap moves forward, a repeat fires once', () => {
    const options = {
      rrule: 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30',
      dtstart: '2024-03-01 00:00:00',
      timezone: 'Europe/Paris',
    }
    expect(fires(options, '2024-03-30T12:00:00Z', 2)).toEqual([
      '2024-03-31T03:30:00+02:00',
      '2024-04-01T02:30:00+02:00',
    ])
    expect(fires(options, '2024-10-26T12:00:00Z', 2)).toEqual([
      '2024-10-27T02:30:00+02:00',
      '2024-10-28T02:30:00+01:00',
    ])
  })

  it('honours COUNT and UNTIL (inclusive) and end_date', () => {
    expect(
      fires(
        { rrule: 'FREQ=DAILY;COUNT=2', dtstart: '2024-03-01 10:00:00' },
        '2020-01-01T00:00:00Z',
        5,
      ),
    ).toEqual(['2024-03-01T10:00:00+00:00', '2024-03-02T10:00:00+00:00'])
    const until = { rrule: 'FREQ=DAILY;UNTIL=20240303T100000Z', dtstart: '2024-03-01 10:00:00' }
    expect(fires(until, '2024-03-02T00:00:00Z', 5)).toEqual([
      '2024-03-02T10:00:00+00:00',
      '2024-03-03T10:00:00+00:00',
    ])
    const ended = {
      rrule: 'FREQ=HOURLY',
      dtstart: '2024-03-01 10:00:00',
      end_date: '2024-03-01 11:30:00',
    }
    expect(fires(ended, '2024-03-01T00:00:00Z', 5)).toEqual([
      '2024-03-01T10:00:00+00:00',
      '2024-03-01T11:00:00+00:00',
    ])
  })

  it('re-anchors the rule near now: the same answers as rrule from dtstart, in about the same time', () => {
    const random = seededRandom(5545)
    const rules = [
      'FREQ=YEARLY;INTERVAL=3;BYMONTH=2;BYMONTHDAY=29',
      'FREQ=MONTHLY;INTERVAL=5;BYDAY=-1FR',
      'FREQ=MONTHLY;BYMONTHDAY=31',
      'FREQ=WEEKLY;INTERVAL=3;BYDAY=SU,WE;WKST=SU',
      'FREQ=DAILY;INTERVAL=9;BYHOUR=7,19',
      'FREQ=HOURLY;INTERVAL=17;BYMINUTE=5',
      'FREQ=MINUTELY;INTERVAL=97',
      'FREQ=YEARLY;BYWEEKNO=1,53;BYDAY=MO',
    ]
    for (const text of rules) {
      const trigger = rruleTrigger({ rrule: text, dtstart: '2001-02-03 04:05:06' }, context())
      const rule = new RRule({
        ...RRule.parseString(text),
        dtstart: new Date(Date.UTC(2001, 1, 3, 4, 5, 6)),
      })
      for (let i = 0; i < 5; i++) {
        const now = Math.floor(Date.UTC(2001, 1, 3) + random() * 40 * 365.25 * 86_400_000)
        const expected = rule.after(new Date(now), true)
        expect(
          trigger.nextFireTime(null, now * 1000),
          `${text} after ${new Date(now).toISOString()}`,
        ).toBe(expected ? expected.getTime() * 1000 : null)
      }
    }
    const daily = rruleTrigger(
      { rrule: 'FREQ=SECONDLY;INTERVAL=7', dtstart: '2001-01-01 00:00:00' },
      context(),
    )
    const { ms } = cpuMillis(() => daily.nextFireTime(null, micros('2090-06-01T00:00:00Z')))
    expect(ms).toBeLessThan(1000)
  })

  it('answers null at once for a rule whose months never hold its days', () => {
    const trigger = rruleTrigger(
      { rrule: 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', dtstart: '2024-01-01' },
      context(),
    )
    const { result, ms } = cpuMillis(() =>
      trigger.nextFireTime(null, micros('2024-06-01T00:00:00Z')),
    )
    expect(result).toBeNull()
    expect(ms).toBeLessThan(500)
  })

  it.each([
    [{ rrule: 'FREQ=DAILY;COUNT=1000000', dtstart: '2024-01-01' }, 'COUNT=1000000; at most 100000'],
    [
      { rrule: 'FREQ=FOO', dtstart: '2024-01-01' },
      'scheduler.rrule has FREQ=FOO; expected one of YEARLY',
    ],
    [{ rrule: 'FREQ=DAILY;BYHOUR=25', dtstart: '2024-01-01' }, 'BYHOUR=25: 25 is outside 0..23'],
    [{ rrule: 'BYDAY=MO', dtstart: '2024-01-01' }, 'must have FREQ'],
    [{ rrule: 'FREQ=DAILY;COUNT=2;UNTIL=20250101', dtstart: '2024-01-01' }, 'both COUNT and UNTIL'],
    [{ rrule: 'FREQ=WEEKLY;BYDAY=1MO', dtstart: '2024-01-01' }, 'numbered BYDAY'],
    [{ rrule: 'FREQ=DAILY;FOO=1', dtstart: '2024-01-01' }, 'has FOO, which is not an RRULE part'],
    [
      { rrule: 'DTSTART:20240101T000000Z\nRRULE:FREQ=DAILY', dtstart: '2024-01-01' },
      'give the start as the dtstart option',
    ],
    [{ rrule: 5, dtstart: '2024-01-01' }, 'scheduler.rrule must be an RFC 5545 RRULE string'],
    [{ rrule: 'FREQ=DAILY' }, 'scheduler.dtstart must be the rule'],
    [{ rrule: 'FREQ=DAILY', dtstart: '2024-01-01 10:00:00.5' }, 'must be whole seconds'],
    [
      { rrule: 'FREQ=DAILY', dtstart: '2024-01-01', start_date: '2024-01-01' },
      'scheduler.start_date is not a known option',
    ],
  ])('rejects %j', (options, message) => {
    expect(() => rruleTrigger(options, context())).toThrow(message)
  })

  it('reads numbered weekdays and signed lists', () => {
    expect(parseRecurrenceRule('FREQ=MONTHLY;BYDAY=-1FR,+2MO;BYMONTHDAY=-1,15')).toMatchObject({
      freq: 1,
      byweekday: [
        { weekday: 4, nth: -1 },
        { weekday: 0, nth: 2 },
      ],
      bymonthday: [-1, 15],
    })
  })
})
