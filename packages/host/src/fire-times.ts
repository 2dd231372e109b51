/**
 * The next fire times of a trigger, computed as the scheduler computes them: the first one
 * (`nextFireTime(null, now)`, or the scheduler's own when it has one), then each from the one
 * before it.
 */
import {
  type EpochMicros,
  formatMillis,
  type TaskInfo,
  type Trigger,
  timeZone,
  transitionNote,
} from '@tasse/core'

/**
 * Up to `count` fire times from `first` (µs; `undefined`: ask the trigger for the first one
 * from `now`), fewer when the schedule ends.
 *
 * @example
 * upcomingFireTimes(task.trigger, { count: 3 }) // [1769792400000000, …]
 */
export function upcomingFireTimes(
  trigger: Trigger,
  options: { count: number; first?: EpochMicros | null; now?: EpochMicros },
): EpochMicros[] {
  const times: EpochMicros[] = []
  if (options.count <= 0) return times
  let next =
    options.first === undefined
      ? trigger.nextFireTime(null, options.now ?? Date.now() * 1000)
      : options.first
  while (next !== null && times.length < options.count) {
    times.push(next)
    // `now` is the previous fire time itself: APScheduler's cron starts its search at
    // min(now, previous + 1 µs), so a `now` before `previous` would find `previous` again.
    next = trigger.nextFireTime(next, next)
  }
  return times
}

/**
 * A fire time in the trigger's zone with its real offset then, in the host's one time format
 * (`2026-01-30T17:00:00.000+01:00`, see `formatMillis`).
 */
export function formatFireTime(trigger: Trigger, time: EpochMicros): string {
  return formatMillis(Math.floor(time / 1000), timeZone(trigger.timezone))
}

const UTC = timeZone('UTC')

/** An instant (epoch ms) in UTC, in the same format as fire times: `…T16:00:00.000+00:00`. */
export function formatUtc(ms: number): string {
  return formatMillis(ms, UTC)
}

/** A fire time as shown to people: ISO in the trigger's zone, and a daylight-saving note. */
export interface FireTime {
  at: EpochMicros
  iso: string
  /** Set when a daylight-saving transition touched it (as `tasse next` prints). */
  note: string | undefined
}

/**
 * The fire times of `trigger` with their daylight-saving notes, as `tasse next` prints them.
 *
 * @example
 * fireTimesWithNotes(task.trigger, { count: 10 })[0] // { at, iso: '2024-03-31T03:00:00+02:00', note: 'clocks went forward…' }
 */
export function fireTimesWithNotes(
  trigger: Trigger,
  options: { count: number; first?: EpochMicros | null; now?: EpochMicros },
): FireTime[] {
  const zone = timeZone(trigger.timezone)
  return upcomingFireTimes(trigger, options).map((at) => ({
    at,
    iso: formatFireTime(trigger, at),
    note: transitionNote(at, zone),
  }))
}

/**
 * A task's next `count` fire times as the scheduler will fire them: none unless it is `ok`
 * (paused and invalid tasks do not fire), chained from the scheduler's own next fire time (it
 * may be a catch-up). A trigger that throws has none: the scheduler reports it in the host log.
 */
export function taskFireTimes(
  info: TaskInfo,
  options: { count: number; now?: EpochMicros },
): FireTime[] {
  const trigger = info.task?.trigger
  if (!trigger || info.state !== 'ok') return []
  try {
    return fireTimesWithNotes(trigger, {
      count: options.count,
      ...(info.schedule ? { first: info.schedule.nextFireTime } : {}),
      ...(options.now !== undefined ? { now: options.now } : {}),
    })
  } catch {
    return []
  }
}
