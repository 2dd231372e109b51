import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TriggerContext } from '@tasse/core'
import { describe, expect, it } from 'vitest'
import businessDaysPlugin, { businessDaysTrigger } from './index.js'

const context = (file = 'tasks/report/task.yaml'): TriggerContext => ({
  at: { file, field: 'scheduler' },
  defaultTimezone: 'UTC',
  random: () => 0.5,
})
const micros = (iso: string) => Date.parse(iso) * 1000
const iso = (us: number | null) => (us === null ? null : new Date(us / 1000).toISOString())

/** The first `count` fire times from `from`, each from the one before, as ISO strings. */
function chain(trigger: ReturnType<typeof businessDaysTrigger>, from: string, count: number) {
  const times: (string | null)[] = []
  let previous: number | null = null
  for (let i = 0; i < count; i++) {
    previous = trigger.nextFireTime(previous, micros(from))
    times.push(iso(previous))
  }
  return times
}

describe('trigger: business_days', () => {
  it('fires Monday to Friday at each time, in order, and skips the weekend', () => {
    const trigger = businessDaysTrigger({ times: ['17:30', '09:00'] }, context())
    // 2026-12-04 is a Friday.
    expect(chain(trigger, '2026-12-04T12:00:00Z', 4)).toEqual([
      '2026-12-04T17:30:00.000Z',
      '2026-12-07T09:00:00.000Z',
      '2026-12-07T17:30:00.000Z',
      '2026-12-08T09:00:00.000Z',
    ])
    expect(trigger.describe()).toBe('business days (mon,tue,wed,thu,fri) at 09:00, 17:30')
  })

  it('skips the dates of its file (relative to the task folder) and the plugin holidays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'business-days-'))
    writeFileSync(join(dir, 'closed.txt'), '2026-12-24 # eve\n2026-12-25\n')
    const trigger = businessDaysTrigger(
      { times: ['10:00'], skip_dates_file: 'closed.txt' },
      context(join(dir, 'task.yaml')),
      new Set([Date.parse('2026-12-28') / 86_400_000]),
    )
    expect(chain(trigger, '2026-12-23T11:00:00Z', 2)).toEqual([
      '2026-12-29T10:00:00.000Z',
      '2026-12-30T10:00:00.000Z',
    ])
    expect(trigger.describe()).toContain('skipping 3 date(s)')
  })

  it('moves a time that does not exist out of the daylight-saving gap (Paris 2026-03-29)', () => {
    const trigger = businessDaysTrigger(
      { times: ['02:30'], timezone: 'Europe/Paris', weekdays: 'sun' },
      context(),
    )
    expect(chain(trigger, '2026-03-28T00:00:00Z', 1)).toEqual(['2026-03-29T01:30:00.000Z'])
  })

  it('keeps going past 2255, where previous + 1 µs is lost', () => {
    const trigger = businessDaysTrigger({ times: ['09:00'] }, context())
    const times = chain(trigger, '2300-01-01T00:00:00Z', 3)
    expect(new Set(times).size).toBe(3)
  })

  it('refuses holidays that are not dates, naming the plugin', () => {
    expect(() => businessDaysPlugin({ holidays: ['25/12'] })).toThrow(
      '[trigger-business-days] holidays must be a date YYYY-MM-DD that exists, got "25/12"',
    )
  })
})
