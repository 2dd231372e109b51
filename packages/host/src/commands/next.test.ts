import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TriggerFactory } from '@tasse/core'
import { cronTriggerFactory } from '@tasse/trigger-cron'
import { dateTriggerFactory } from '@tasse/trigger-date'
import { intervalTriggerFactory } from '@tasse/trigger-interval'
import { rruleTriggerFactory } from '@tasse/trigger-rrule'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { next, nextFireTimes } from './next.js'

const root = mkdtempSync(join(tmpdir(), 'tasse-next-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function task(name: string, yaml: string): string {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'task.yaml'), yaml)
  return dir
}

const factories = new Map<string, TriggerFactory>(
  [cronTriggerFactory, intervalTriggerFactory, dateTriggerFactory, rruleTriggerFactory].map((f) => [
    f.type,
    f,
  ]),
)
const options = (from: string, count = 5) => ({
  factories,
  defaultTimezone: 'UTC',
  from: Date.parse(from) * 1000,
  count,
})

describe('tasse next', () => {
  it('chains fire times as the scheduler does and notes the ones a DST transition touched', () => {
    const dir = task(
      'gap',
      'scheduler:\n  trigger: cron\n  hour: 2\n  minute: "*/15"\n  timezone: Europe/Paris\n',
    )
    const report = nextFireTimes(dir, options('2024-03-31T00:10:00+01:00'))
    expect(report.error).toBeNull()
    expect(report.fireTimes).toEqual([
      '2024-03-31T03:00:00.000+02:00',
      '2024-03-31T03:15:00.000+02:00',
      '2024-03-31T03:30:00.000+02:00',
      '2024-03-31T03:45:00.000+02:00',
      '2024-04-01T02:00:00.000+02:00',
    ])
    expect(report.notes[0]).toMatch(/clocks went forward at 02:00 on 2024-03-31/)
    expect(report.notes[4]).toBeUndefined()
  })

  it('reads a scheduler without trigger as a date trigger, and accepts the task.yaml path itself', () => {
    const dir = task(
      'date',
      'scheduler:\n  run_date: "2024-03-31T02:30:00"\n  timezone: Europe/Paris\n',
    )
    const report = nextFireTimes(join(dir, 'task.yaml'), options('2025-01-01T00:00:00Z'))
    expect(report).toMatchObject({
      task: join(dir, 'task.yaml'),
      fireTimes: ['2024-03-31T03:30:00.000+02:00'],
      error: null,
    })
  })

  it('answers with the error, naming the file and key, for an invalid schedule or a missing task.yaml', () => {
    const dir = task('typo', 'scheduler:\n  trigger: cron\n  minutes: 5\n')
    expect(nextFireTimes(dir, options('2024-01-01T00:00:00Z')).error).toMatch(
      /typo\/task\.yaml: scheduler\.minutes is not a known option \(did you mean "minute"\?\)/,
    )
    expect(nextFireTimes(join(root, 'nowhere'), options('2024-01-01T00:00:00Z')).error).toMatch(
      /is missing/,
    )
  })

  it('reads task.yaml as the host does: a key given twice is an error, not the last one wins', () => {
    // Regression (issue #13): `tasse next` had a reader of its own that accepted duplicates.
    const dir = task('twice', 'scheduler:\n  trigger: cron\n  hour: 1\n  hour: 2\n')
    expect(nextFireTimes(dir, options('2024-01-01T00:00:00Z'))).toMatchObject({
      fireTimes: [],
      error: expect.stringMatching(
        /twice\/task\.yaml is not valid YAML at line 4, column 3: Map keys must be unique/,
      ),
    })
  })

  it('gives no fire times, and no error, for a task without a schedule', () => {
    const dir = task('manual', 'entrypoint: task.py\n')
    expect(nextFireTimes(dir, options('2024-01-01T00:00:00Z'))).toMatchObject({
      fireTimes: [],
      error: null,
    })
  })

  it('prints one JSON line per PATH and exits 1 when one is invalid', async () => {
    const good = task(
      'json-good',
      'scheduler:\n  trigger: interval\n  hours: 1\n  start_date: "2024-01-01 00:00:00"\n',
    )
    const bad = task('json-bad', 'scheduler:\n  trigger: cron\n  hour: 25\n')
    const printed: string[] = []
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      printed.push(...String(chunk).trim().split('\n'))
      return true
    })
    try {
      const values = { json: true, count: '2', from: '2024-01-01T00:30:00Z' }
      expect(await next.run({ values, positionals: [good, bad] })).toBe(1)
    } finally {
      write.mockRestore()
    }
    const lines = printed.map((line) => JSON.parse(line))
    expect(lines[0]).toEqual({
      task: good,
      fireTimes: ['2024-01-01T01:00:00.000+00:00', '2024-01-01T02:00:00.000+00:00'],
      error: null,
    })
    expect(lines[1]).toMatchObject({
      task: bad,
      fireTimes: [],
      error: expect.stringMatching(/scheduler\.hour must be an hour 0-23/),
    })
  })

  it('reads --from as ISO-8601: a decimal fraction, Z, ±HH:MM or ±HHMM, or a wall time in --timezone', async () => {
    const dir = task('from', 'scheduler:\n  trigger: cron\n  second: "*"\n')
    const first = async (from: string, timezone?: string) => {
      const printed: string[] = []
      const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        printed.push(String(chunk))
        return true
      })
      try {
        const values = { json: true, count: '1', from, ...(timezone ? { timezone } : {}) }
        await next.run({ values, positionals: [dir] })
      } finally {
        write.mockRestore()
      }
      return JSON.parse(printed[0] as string).fireTimes[0]
    }
    expect(await first('2024-01-01T10:00:00.5Z')).toBe('2024-01-01T10:00:01.000+00:00')
    expect(await first('2024-01-01T10:00:00.000000Z')).toBe('2024-01-01T10:00:00.000+00:00')
    expect(await first('2024-01-01T11:00:00+0100')).toBe('2024-01-01T10:00:00.000+00:00')
    expect(await first('2024-01-01 12:00', 'Europe/Paris')).toBe('2024-01-01T12:00:00.000+01:00')
    await expect(next.run({ values: { from: 'yesterday' }, positionals: [dir] })).rejects.toThrow(
      '--from must be an ISO-8601 date-time',
    )
  })
})
