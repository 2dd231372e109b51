import { type Run, TasseEvents } from '@tasse/core'
import { makeRun } from '@tasse/core/testing'
import { describe, expect, it } from 'vitest'
import { hostLogger, logRunEnds } from './host-log.js'

const at = Date.parse('2026-01-30T16:00:00.250Z')

function capture(format: 'text' | 'json', timezone = 'UTC') {
  const lines: [string, string][] = []
  const logger = hostLogger({
    format,
    timezone,
    now: () => at,
    write: (line, level) => lines.push([level, line]),
  })
  return { logger, lines }
}

describe('hostLogger', () => {
  it('writes text lines with the time in the host zone and the level of what is not info', () => {
    const { logger, lines } = capture('text', 'Europe/Paris')
    logger.info('serving')
    logger.warn('slow')
    logger.error('could not record run r1', new Error('disk full'))
    expect(lines).toEqual([
      ['info', '2026-01-30T17:00:00.250+01:00 [tasse] serving'],
      ['warn', '2026-01-30T17:00:00.250+01:00 [tasse] warning: slow'],
      ['error', '2026-01-30T17:00:00.250+01:00 [tasse] error: could not record run r1: disk full'],
    ])
  })

  it('writes one JSON object a line, with the fields of an event, even for a multi-line message', () => {
    const { logger, lines } = capture('json')
    logger.event('error', 'run r1 failed', { task: 'report', exitCode: 3 })
    logger.error('a\nb', new Error('why'))
    expect(lines.map(([, line]) => JSON.parse(line))).toEqual([
      {
        time: '2026-01-30T16:00:00.250+00:00',
        level: 'error',
        message: 'run r1 failed',
        task: 'report',
        exitCode: 3,
      },
      { time: '2026-01-30T16:00:00.250+00:00', level: 'error', message: 'a\nb: why', cause: 'why' },
    ])
    expect(lines.every(([, line]) => !line.includes('\n'))).toBe(true)
  })
})

describe('logRunEnds', () => {
  it('logs one line per run end: a failure as an error, a run that never started without exit code', () => {
    const { logger, lines } = capture('text')
    const events = new TasseEvents()
    const stop = logRunEnds({ events }, logger)
    const ended = (run: Partial<Run>) =>
      events.emit('run:ended', makeRun({ task: 'report', ...run }))
    ended({
      id: 'r1',
      status: 'failed',
      startedAt: at,
      endedAt: at + 1500,
      exitCode: 3,
      error: 'exited with code 3',
    })
    ended({ id: 'r2', status: 'skipped', error: 'run r1 is still running' })
    ended({
      id: 'r3',
      status: 'timed_out',
      startedAt: at,
      endedAt: at + 60_000,
      signal: 'SIGTERM',
      error: 'timed out after 1m',
    })
    stop()
    ended({ id: 'r4', status: 'succeeded' })
    expect(lines.map(([level, line]) => `${level} ${line.slice(line.indexOf('[tasse]'))}`)).toEqual(
      [
        'error [tasse] error: run r1 of "report" failed in 2s (exit code 3)',
        'warn [tasse] warning: run r2 of "report" skipped: run r1 is still running',
        'error [tasse] error: run r3 of "report" timed_out in 1m (signal SIGTERM): timed out after 1m',
      ],
    )
  })
})
