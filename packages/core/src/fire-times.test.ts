import { describe, expect, it } from 'vitest'
import { upcomingFireTimes } from './fire-times.js'
import type { EpochMicros, Trigger } from './types.js'

/** Fires at 10, 20, … 50 s, then no more; records what it was asked. */
function tenSeconds(): Trigger & { asked: [EpochMicros | null, EpochMicros][] } {
  const asked: [EpochMicros | null, EpochMicros][] = []
  return {
    type: 'test',
    timezone: 'UTC',
    asked,
    describe: () => 'every 10 s until 50 s',
    nextFireTime(previous, now) {
      asked.push([previous, now])
      const next = previous === null ? Math.ceil(now / 10e6) * 10e6 : previous + 10e6
      return next > 50e6 ? null : next
    },
  }
}

describe('upcomingFireTimes', () => {
  it('chains from the first fire time at or after `from`, each from the one before', () => {
    const trigger = tenSeconds()
    expect(upcomingFireTimes(trigger, 15e6, 3)).toEqual([20e6, 30e6, 40e6])
    expect(trigger.asked).toEqual([
      [null, 15e6],
      [20e6, 20e6],
      [30e6, 30e6],
    ])
  })

  it('stops where the schedule ends, and gives nothing for a count of 0', () => {
    expect(upcomingFireTimes(tenSeconds(), 35e6, 10)).toEqual([40e6, 50e6])
    expect(upcomingFireTimes(tenSeconds(), 0, 0)).toEqual([])
  })

  it('starts from a given first fire time (the scheduler’s), or from none', () => {
    expect(upcomingFireTimes(tenSeconds(), 45e6, 3, { first: 10e6 })).toEqual([10e6, 20e6, 30e6])
    expect(upcomingFireTimes(tenSeconds(), 0, 3, { first: null })).toEqual([])
  })
})

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

describe('upcomingFireTimes with a trigger that searches as APScheduler’s cron', () => {
  it('chains each fire time from the one before it', () => {
    expect(upcomingFireTimes(tens, 5, 3)).toEqual([10, 20, 30])
    // Chaining with the real `now` instead would repeat the first fire time:
    expect(tens.nextFireTime(10, 5)).toBe(10)
  })

  it('starts from the scheduler’s own next fire time when given', () => {
    expect(upcomingFireTimes(tens, 0, 2, { first: 30 })).toEqual([30, 40])
    expect(upcomingFireTimes(tens, 0, 2, { first: null })).toEqual([])
  })

  it('stops where the schedule ends, and at zero', () => {
    expect(upcomingFireTimes(tens, 31, 10)).toEqual([40, 50])
    expect(upcomingFireTimes(tens, 0, 0)).toEqual([])
  })
})
