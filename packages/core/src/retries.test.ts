import { describe, expect, it } from 'vitest'
import { retryDelay } from './retries.js'
import type { RunStatus } from './types.js'

const policy = { max: 2, delayMs: 100, backoff: 2 }

describe('retryDelay', () => {
  it.each([
    // status, attempt, delay before the next attempt
    ['failed', 1, 100],
    ['failed', 2, 200],
    ['failed', 3, null],
    ['timed_out', 1, 100],
    ['succeeded', 1, null],
    ['cancelled', 1, null],
    ['interrupted', 1, null],
    ['skipped', 1, null],
    ['missed', 1, null],
  ] as const)('%s, attempt %i: %j', (status: RunStatus, attempt, delay) => {
    expect(retryDelay(policy, { status, attempt })).toBe(delay)
  })

  it('never waits more than a year, however steep the backoff', () => {
    const steep = { max: 500, delayMs: 366 * 86_400_000, backoff: 10 }
    expect(retryDelay(steep, { status: 'failed', attempt: 400 })).toBe(366 * 86_400_000)
  })

  it('retries nothing without a policy, and at once with no delay', () => {
    expect(retryDelay(null, { status: 'failed', attempt: 1 })).toBeNull()
    expect(retryDelay({ max: 1, delayMs: 0, backoff: 1 }, { status: 'failed', attempt: 1 })).toBe(0)
  })
})
