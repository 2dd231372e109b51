/**
 * The one fire-time chainer: a trigger's next fire times as the scheduler reaches them, the
 * first at or after a given instant, each next one from the one before. `tasse next`, the API's
 * `nextFireTimes` and the trigger tests all use it.
 */
import type { EpochMicros, Trigger } from './types.js'

/**
 * Up to `count` fire times of `trigger` from `from` (µs), fewer when the schedule ends.
 * `first`, when given, is where the chain starts instead of the trigger's first fire time at
 * `from` (the scheduler's own next fire time, which may be a catch-up; `null`: none).
 *
 * @example
 * import { type Trigger, upcomingFireTimes } from '@tasse/core'
 * declare const trigger: Trigger
 * upcomingFireTimes(trigger, Date.parse('2026-01-30T00:00:00Z') * 1000, 3)
 */
export function upcomingFireTimes(
  trigger: Trigger,
  from: EpochMicros,
  count: number,
  options: { first?: EpochMicros | null } = {},
): EpochMicros[] {
  const times: EpochMicros[] = []
  if (count <= 0) return times
  let next = options.first === undefined ? trigger.nextFireTime(null, from) : options.first
  while (next !== null) {
    times.push(next)
    if (times.length === count) break
    // `now` is the previous fire time itself: APScheduler's cron starts its search at
    // min(now, previous + 1 µs), so a `now` before `previous` would find `previous` again.
    next = trigger.nextFireTime(next, next)
  }
  return times
}
