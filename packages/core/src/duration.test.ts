import { describe, expect, it } from 'vitest'
import { formatDuration, readDuration } from './duration.js'
import { TasseConfigError } from './errors.js'

const at = { file: 'tasks/report/task.yaml', field: 'timeout' }

describe('readDuration', () => {
  it.each([
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['500ms', 500],
    ['1h30m', 5_400_000],
    ['1h 30m 15s', 5_415_000],
    ['  2 m ', 120_000],
    ['1.5s', 1500],
    [90, 90_000],
    [0.25, 250],
    // Beyond one Node timer's 24.86 days (issue #12, item 4): accepted, and chained when run.
    ['30d', 30 * 86_400_000],
    ['366d', 366 * 86_400_000],
  ])('reads %j as %i ms', (value, ms) => {
    expect(readDuration(value, at)).toBe(ms)
  })

  it.each([
    ['367d', '"367d" (367d)'],
    [1e9, '1000000000 (11574d 1h 46m 40s)'],
    [`${'9'.repeat(400)}d`, ''],
  ])('refuses %j, longer than a year, naming the range', (value, shown) => {
    expect(() => readDuration(value, at)).toThrow(
      shown
        ? `tasks/report/task.yaml: timeout must be at most 366d (a year), got ${shown}`
        : 'tasks/report/task.yaml: timeout must be a duration',
    )
  })

  it.each([
    ['', '""'],
    ['soon', '"soon"'],
    ['10', '"10"'],
    ['5x', '"5x"'],
    ['1h30', '"1h30"'],
    ['0s', '"0s"'],
    [0, '0'],
    [-5, '-5'],
    [Number.POSITIVE_INFINITY, 'null'],
    [null, 'null'],
    [true, 'true'],
  ])('refuses %j, naming the file and key', (value, shown) => {
    expect(() => readDuration(value, at)).toThrow(TasseConfigError)
    expect(() => readDuration(value, at)).toThrow(
      `tasks/report/task.yaml: timeout must be a duration such as "90s", "15m", "2h" or "1h30m" (or a number of seconds), got ${shown}`,
    )
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [250, '250ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1499, '1s'],
    [90_000, '1m 30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h 30m'],
    [90_061_000, '1d 1h 1m 1s'],
  ])('writes %i ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })

  it('reads back what it writes', () => {
    for (const ms of [1000, 61_000, 3_661_000, 90_061_000])
      expect(readDuration(formatDuration(ms), at)).toBe(ms)
  })
})
