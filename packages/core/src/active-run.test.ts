import { describe, expect, it } from 'vitest'
import { outcome } from './active-run.js'

describe('outcome', () => {
  it.each([
    [null, 0, null, { status: 'succeeded', error: null }],
    [null, 3, null, { status: 'failed', error: 'exited with code 3' }],
    [null, null, 'SIGSEGV', { status: 'failed', error: 'ended by signal SIGSEGV' }],
    [
      { status: 'timed_out', error: 'ran longer than its timeout of 1s' },
      null,
      'SIGTERM',
      { status: 'timed_out', error: 'ran longer than its timeout of 1s' },
    ],
    [
      { status: 'cancelled', error: 'cancelled on request' },
      0,
      null,
      { status: 'cancelled', error: 'cancelled on request' },
    ],
  ] as const)('ended by %j, exit %j, signal %j: %j', (endedBy, code, signal, expected) => {
    expect(outcome(endedBy, code, signal)).toStrictEqual(expected)
  })
})
