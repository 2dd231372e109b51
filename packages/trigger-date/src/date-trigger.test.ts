import { chainIso, context, micros } from '@tasse/test-support'
import { describe, expect, it } from 'vitest'
import { dateTrigger } from './date-trigger.js'

describe('dateTrigger (APSCHEDULER.md §5)', () => {
  it('fires once at run_date, even in the past, keeping its microseconds', () => {
    const trigger = dateTrigger({ run_date: '2020-05-01 12:00:00.25' }, context())
    expect(chainIso(trigger, '2024-01-01T00:00:00Z', 3)).toEqual([
      '2020-05-01T12:00:00.000025+00:00',
    ])
  })

  it('without run_date fires once, at now', () => {
    expect(chainIso(dateTrigger({}, context()), '2024-01-01T10:00:00.5Z', 2)).toEqual([
      '2024-01-01T10:00:00.500000+00:00',
    ])
  })

  it('§7.3: a naive run_date in a gap moves forward by the gap', () => {
    const trigger = dateTrigger(
      { run_date: '2024-03-31T02:30:00', timezone: 'Europe/Paris' },
      context(),
    )
    expect(chainIso(trigger, '2024-01-01T00:00:00Z', 1)).toEqual(['2024-03-31T03:30:00+02:00'])
    expect(trigger.describe()).toBe('date[2024-03-31T03:30:00+02:00]')
  })

  it('§7.3: a date alone at a midnight that does not exist is 01:00 (Sao Paulo 2018-11-04)', () => {
    const trigger = dateTrigger(
      { run_date: '2018-11-04', timezone: 'America/Sao_Paulo' },
      context(),
    )
    expect(chainIso(trigger, '2018-01-01T00:00:00Z', 1)).toEqual(['2018-11-04T01:00:00-02:00'])
  })

  it('an explicit offset overrides the zone for that value; the zone still shows the fire time', () => {
    const trigger = dateTrigger(
      { run_date: '2024-06-01 12:00:00Z', timezone: 'Asia/Tokyo' },
      context(),
    )
    expect(trigger.nextFireTime(null, 0)).toBe(micros('2024-06-01T12:00:00Z'))
    expect(chainIso(trigger, '2024-01-01T00:00:00Z', 1)).toEqual(['2024-06-01T21:00:00+09:00'])
  })

  it.each([
    [{ start_date: '2024-01-01' }, 'scheduler.start_date is not an option of a date trigger'],
    [{ end_date: '2024-01-01' }, 'scheduler.end_date is not an option of a date trigger'],
    [{ jitter: 5 }, 'scheduler.jitter is not an option of a date trigger'],
    [{ run_date: 'tomorrow' }, 'scheduler.run_date must be a date-time'],
    [{ run_date: 20240101 }, 'scheduler.run_date must be a date-time string'],
    [{ run_date: '2024-02-30' }, 'has day 30; 2024-02 has days 1-29'],
    [{ rundate: '2024-01-01' }, 'did you mean "run_date"?'],
  ])('rejects %j', (options, message) => {
    expect(() => dateTrigger(options, context())).toThrow(message)
  })
})
