import type { Trigger } from '@tasse/core'
import { describe, expect, it } from 'vitest'
import { upcomingFireTimes } from './fire-times.js'

/**
 * Fires at every multiple of 10 (µs) up to 50, searching as APScheduler's cron does: from
 * min(now, previous + 1), moved past `previous` if equal to it; so a `now` earlier than
 * `previous` would find the same fire time again.
 */
const tens: Trigger = {
  type: 'test',
  timezone: 'UTC',
  describe: () => 'every 10 µs',
  nextFireTime(previous, now) {
    let start = previous === null ? now : Math.min(now, previous + 1)
    if (start === previous) start++
    const next = Math.ceil(start / 10) * 10
    return next <= 50 ? next : null
  },
}

describe('upcomingFireTimes', () => {
  it('chains each fire time from the one before it', () => {
    expect(upcomingFireTimes(tens, { count: 3, now: 5 })).toEqual([10, 20, 30])
    // Chaining with the real `now` instead would repeat the first fire time:
    expect(tens.nextFireTime(10, 5)).toBe(10)
  })

  it('starts from the scheduler’s own next fire time when given', () => {
    expect(upcomingFireTimes(tens, { count: 2, first: 30, now: 0 })).toEqual([30, 40])
    expect(upcomingFireTimes(tens, { count: 2, first: null })).toEqual([])
  })

  it('stops where the schedule ends, and at zero', () => {
    expect(upcomingFireTimes(tens, { count: 10, now: 31 })).toEqual([40, 50])
    expect(upcomingFireTimes(tens, { count: 0, now: 0 })).toEqual([])
  })
})
