/**
 * Times as the host shows them; the fire times themselves come from core's
 * `upcomingFireTimes`, as the scheduler computes them.
 */
import {
  type EpochMicros,
  formatMillis,
  type TaskInfo,
  type Trigger,
  timeZone,
  transitionNote,
  upcomingFireTimes,
} from '@tasse/core'

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
  const from = options.now ?? Date.now() * 1000
  const first = options.first !== undefined ? { first: options.first } : {}
  return upcomingFireTimes(trigger, from, options.count, first).map((at) => ({
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
