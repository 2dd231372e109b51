import { describe, expect, it } from 'vitest'
import { formatInstant, instantOfDateTime, parseDateTime } from './iso.js'
import { timeZone } from './zone.js'

const micros = (iso: string) => Date.parse(iso) * 1000

describe('parseDateTime (APSCHEDULER.md §2)', () => {
  it('reads the fraction as an integer number of microseconds: .5 is 5 µs', () => {
    const base = micros('2024-01-01T10:00:00Z')
    const at = (text: string) => instantOfDateTime(parseDateTime(text) as never, timeZone('UTC'))
    expect(at('2024-01-01 10:00:00.5')).toBe(base + 5)
    expect(at('2024-01-01 10:00:00.500')).toBe(base + 500)
    expect(at('2024-01-01 10:00:00.500000')).toBe(base + 500_000)
  })

  it('accepts one-digit parts, T or space, Z and ±HH:MM; a date alone is local midnight', () => {
    expect(parseDateTime('2024-3-5 7:8:9')).toMatchObject({ offsetSeconds: null, dateOnly: false })
    expect(parseDateTime('2024-03-05T07:08:09Z')).toMatchObject({ offsetSeconds: 0 })
    expect(parseDateTime('2024-03-05T07:08:09-05:30')).toMatchObject({ offsetSeconds: -19_800 })
    const midnight = parseDateTime('2024-03-31')
    expect(instantOfDateTime(midnight as never, timeZone('Europe/Paris'))).toBe(
      micros('2024-03-31T00:00:00+01:00'),
    )
  })

  it.each([
    ['not a date', /must be a date-time/],
    ['2024-01-01T10:00', /must be a date-time/],
    ['2024-01-01 10:00:00+0100', /must be a date-time/],
    ['2024-01-01 10:00:00+01', /must be a date-time/],
    ['2024-01-01Z', /must be a date-time/],
    ['24-01-01', /must be a date-time/],
    ['2024-01-01 10:00:00.1234567', /must be a date-time/],
    ['2024-13-01', /month 13/],
    ['2023-02-29', /day 29; 2023-02 has days 1-28/],
    ['2024-01-01 24:00:00', /hour 24/],
    ['2024-01-01 10:60:00', /minute 60/],
  ])('rejects %j', (text, message) => {
    expect((parseDateTime(text) as { problem: string }).problem).toMatch(message)
  })

  it('resolves naive times by the first-occurrence rule (§7.2)', () => {
    const paris = timeZone('Europe/Paris')
    const at = (text: string) => instantOfDateTime(parseDateTime(text) as never, paris)
    expect(at('2024-03-31 02:30:00')).toBe(micros('2024-03-31T03:30:00+02:00'))
    expect(at('2024-10-27 02:30:00')).toBe(micros('2024-10-27T02:30:00+02:00'))
    expect(at('2024-10-27 02:30:00+01:00')).toBe(micros('2024-10-27T02:30:00+01:00'))
  })
})

describe('formatInstant', () => {
  it('prints Python isoformat with the real offset, and .ffffff only when µs ≠ 0', () => {
    const paris = timeZone('Europe/Paris')
    expect(formatInstant(micros('2024-03-31T01:30:00Z'), paris)).toBe('2024-03-31T03:30:00+02:00')
    expect(formatInstant(micros('2024-03-31T01:30:00Z') + 5, paris)).toBe(
      '2024-03-31T03:30:00.000005+02:00',
    )
    expect(formatInstant(micros('2024-01-01T00:00:00Z'), timeZone('UTC'))).toBe(
      '2024-01-01T00:00:00+00:00',
    )
    expect(formatInstant(micros('1986-01-01T00:00:00+05:30') - 1, timeZone('Asia/Kathmandu'))).toBe(
      '1985-12-31T23:59:59.999999+05:30',
    )
    expect(formatInstant(micros('1986-01-01T00:00:00+05:30'), timeZone('Asia/Kathmandu'))).toBe(
      '1986-01-01T00:15:00+05:45',
    )
  })

  it('prints historic offsets with seconds (Paris LMT +00:09:21)', () => {
    expect(formatInstant(micros('1890-01-01T00:00:00Z'), timeZone('Europe/Paris'))).toBe(
      '1890-01-01T00:09:21+00:09:21',
    )
  })
})
