import type { Trigger } from '@tasse/core'
import { describe, expect, it } from 'vitest'
import { scheduleInWords } from './schedule-words.js'

const trigger = (type: string): Trigger => ({
  type,
  timezone: 'UTC',
  describe: () => `${type}[exact]`,
  nextFireTime: () => null,
})

describe('scheduleInWords', () => {
  it.each([
    [{ seconds: 10 }, 'every 10 seconds'],
    [{ hours: 1 }, 'every hour'],
    [{ hours: 1, minutes: 30 }, 'every 1 hour 30 minutes'],
    [{ days: 2 }, 'every 2 days'],
  ])('interval %o is "%s"', (options, words) =>
    expect(scheduleInWords(trigger('interval'), { trigger: 'interval', ...options })).toBe(words),
  )

  it.each([
    [{ hour: 17, day_of_week: 'mon-fri' }, 'at 17:00:00 on mon-fri'],
    [{ hour: 5 }, 'at 05:00:00'],
    [{ hour: 2, minute: 30, day: 13, month: 7 }, 'at 02:30:00 on day 13 of the month in month 7'],
    [{ minute: '*/15' }, 'every 15 minutes'],
    [{ second: '*/5' }, 'every 5 seconds'],
    [{ minute: 45 }, 'every hour at minute 45'],
    [{ hour: '*/6' }, 'every 6 hours'],
  ])('cron %o is "%s"', (options, words) =>
    expect(scheduleInWords(trigger('cron'), { trigger: 'cron', ...options })).toBe(words),
  )

  it("falls back to the trigger's exact description for what it does not phrase", () => {
    expect(scheduleInWords(trigger('cron'), { hour: '2-4', minute: '*/15' })).toBe('cron[exact]')
    expect(scheduleInWords(trigger('cron'), { year: 2030 })).toBe('cron[exact]')
    expect(scheduleInWords(trigger('rrule'), { rrule: 'FREQ=DAILY' })).toBe('rrule[exact]')
    expect(scheduleInWords(trigger('interval'), { seconds: 'x' })).toBe('interval[exact]')
    expect(scheduleInWords(null, undefined)).toBe('when triggered')
  })
})
