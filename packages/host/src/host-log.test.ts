import { describe, expect, it } from 'vitest'
import { hostLogger } from './host-log.js'

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
    logger.info('[tasse] serving')
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
    logger.error('[tasse] a\nb', new Error('why'))
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
