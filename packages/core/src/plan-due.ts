/**
 * What to do with a task's fire times that have come due: run them, coalesce them into one, or
 * record them as missed. APScheduler 3's `_process_jobs` and `run_job` for one job, as a pure
 * function of the task's schedule state, the time and its job options: the scheduler applies the
 * plan, and every case is a row of a table test rather than a wait for a timer.
 *
 * Unlike APScheduler, every fire time dropped is reported (`missed`), never silent.
 */
import type { EpochMicros, JobOptions } from './types.js'

/**
 * More missed fires than this in one plan (an interval of 1 s after a day down) are not listed
 * one by one: the first ones are, then a count.
 */
export const MAX_LISTED_MISSES = 100

/** A task's place in its schedule. */
export interface DueState {
  /** Its next fire time (µs); `null` when the schedule has no more. */
  next: EpochMicros | null
  /** The last fire time it reached. */
  last: EpochMicros | null
  /** Fire times before this instant fell due while the host was down: they run as catch-ups. */
  catchUpBefore: EpochMicros
  /** A paused task's fire times are neither run nor reached. */
  paused: boolean
}

export interface PlanOptions {
  job: Pick<JobOptions, 'misfireGraceTime' | 'coalesce'>
  /** The trigger's fire time after `previous` (`null`: no more); its errors are the caller's. */
  nextFireTime: (previous: EpochMicros, now: EpochMicros) => EpochMicros | null
}

export interface DuePlan {
  /** Fire times to run now, in order; `catchUp` when it fell due while the host was down. */
  run: { at: EpochMicros; catchUp: boolean }[]
  /** Fire times not run: the first `MAX_LISTED_MISSES`, how many more, and why. */
  missed: { times: EpochMicros[]; more: number; why: string } | null
  /** The state after the plan: the last fire time reached, the next one. */
  last: EpochMicros | null
  next: EpochMicros | null
}

/**
 * The plan for the fire times of a task due at `now` (those ≤ now from `state.next` on).
 *
 * @example
 * const every10s = { job: { misfireGraceTime: 1, coalesce: true }, nextFireTime: (previous: number) => previous + 10_000_000 }
 * planDue({ next: 0, last: null, catchUpBefore: 0, paused: false }, 35_000_000, every10s)
 * // run nothing (30 s is more than 1 s late), missed [0, 10 s, 20 s, 30 s], next 40 s
 */
export function planDue(state: DueState, now: EpochMicros, options: PlanOptions): DuePlan {
  const unchanged: DuePlan = { run: [], missed: null, last: state.last, next: state.next }
  if (state.paused || state.next === null || state.next > now) return unchanged
  const { misfireGraceTime: grace, coalesce } = options.job
  // Collect what is due, keeping memory bounded: only the newest due times are kept, the
  // older ones are counted (`dropped`).
  const due: EpochMicros[] = []
  let dropped = 0
  let next: EpochMicros | null = state.next
  while (next !== null && next <= now) {
    if (due.length >= MAX_LISTED_MISSES * 2) {
      due.splice(0, MAX_LISTED_MISSES)
      dropped += MAX_LISTED_MISSES
    }
    due.push(next)
    next = options.nextFireTime(next, now)
  }
  const late = `more than ${grace}s late (misfire_grace_time: ${grace})`
  const run: DuePlan['run'] = []
  const missed: EpochMicros[] = coalesce ? due.slice(0, -1) : []
  let why = coalesce ? 'coalesced with a later fire time (coalesce: true)' : late
  for (const at of coalesce ? due.slice(-1) : due) {
    if (grace !== null && (now - at) / 1e6 > grace) {
      missed.push(at)
      why = late
    } else run.push({ at, catchUp: at < state.catchUpBefore })
  }
  // Without coalescing, the times counted but not kept were not run either.
  if (!coalesce && dropped && grace === null)
    why = `one of more than ${MAX_LISTED_MISSES * 2} fire times due at once (only the newest run)`
  const listed = missed.slice(0, MAX_LISTED_MISSES)
  const more = missed.length - listed.length + dropped
  return {
    run,
    missed: listed.length || more ? { times: listed, more, why } : null,
    last: due[due.length - 1] ?? state.last,
    next,
  }
}
