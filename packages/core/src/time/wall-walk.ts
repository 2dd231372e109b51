/**
 * From wall times to the first instant at or after a given one, with Tasse's daylight-saving
 * policy (APSCHEDULER.md §7): a wall time in a gap (clocks going forward) is read with the
 * offset in force before it, i.e. moved forward by the gap's length; a repeated wall time
 * (clocks going back) fires in its first pass, or in both passes when `bothPasses` (cron with
 * `hour: '*'`, which runs through the repeated hour on elapsed time).
 *
 * Schedules that produce wall times (cron's fields, an RFC 5545 rule) only say which wall
 * times match; this is the one place that turns them into instants.
 *
 * Units: whole seconds, instants since the epoch and wall times as "local seconds".
 */
import type { TimeZone, ZoneTransition } from './zone.js'

/** A wall time this close to a transition may map to an instant up to a day away (±14 h offsets, Samoa's 24 h jump). */
const NEAR_SECONDS = 2 * 86_400

/**
 * The smallest instant ≥ `start` that a wall time of the schedule maps to, or `null`.
 * `nextWall(local)` gives the schedule's first wall time ≥ `local` (`null` when none is left).
 *
 * Away from transitions the map is monotonic and the first matching wall time at or after
 * start's wall time is the answer. Near one, gap slots move forward and repeated slots come
 * back, so the walls are walked from the lowest one that could land at or after start, keeping
 * the best instant, until no later wall can beat it.
 *
 * @example
 * // Every day at 02:30 in Paris: on 2024-03-31 02:30 does not exist and fires at 03:30+02:00.
 * const halfPastTwo = (local: number) => Math.ceil((local - 9000) / 86_400) * 86_400 + 9000
 * firstInstantAtOrAfter(timeZone('Europe/Paris'), Date.parse('2024-03-31T00:00:00Z') / 1000, halfPastTwo, false)
 * // → Date.parse('2024-03-31T03:30:00+02:00') / 1000
 */
export function firstInstantAtOrAfter(
  zone: TimeZone,
  start: number,
  nextWall: (local: number) => number | null,
  bothPasses: boolean,
): number | null {
  const lowestOffset = Math.min(
    zone.offsetAt(start),
    zone.offsetAt(start - NEAR_SECONDS),
    zone.offsetAt(start + NEAR_SECONDS),
  )
  let best = Number.POSITIVE_INFINITY
  let wall = nextWall(start + lowestOffset)
  while (wall !== null) {
    const steady = zone.steadyOffsetAt(wall)
    if (!Number.isNaN(steady)) {
      // Far from any transition: a later wall cannot map to an earlier instant.
      const instant = wall - steady
      if (instant >= start) return Math.min(best, instant)
      wall = nextWall(Math.max(wall + 1, start + steady))
      continue
    }
    const resolved = zone.resolveWall(wall)
    let nextCandidate = wall + 1
    if (resolved.kind === 'unique') {
      if (resolved.earlier >= start) return Math.min(best, resolved.earlier)
    } else {
      const { earlier, later } = resolved
      const { at, offsetBefore, offsetAfter } = resolved.transition as ZoneTransition
      if (earlier >= start) best = Math.min(best, earlier)
      if (resolved.kind === 'overlap' && bothPasses && later >= start) best = Math.min(best, later)
      // The later walls fall into families, each with the lowest instant ≥ start it can still
      // give and the first wall of it worth trying. Stop when none can beat `best`.
      let bound = Number.POSITIVE_INFINITY
      let jump = Number.POSITIVE_INFINITY
      const consider = (lowestInstant: number, firstWall: number) => {
        const lowest = Math.max(lowestInstant, start)
        if (lowest < best) {
          bound = Math.min(bound, lowest)
          jump = Math.min(jump, firstWall)
        }
      }
      if (resolved.kind === 'gap') {
        // The rest of the gap (read with the old offset), then the walls after it.
        consider(earlier + 1, start + offsetBefore)
        consider(at, at + offsetAfter)
      } else {
        // First passes of the repeated walls, their second passes (both passes only), then
        // the walls after the repeat.
        if (start < at) consider(earlier + 1, start + offsetBefore)
        if (bothPasses) consider(later + 1, start + offsetAfter)
        consider(at + offsetBefore - offsetAfter, at + offsetBefore)
      }
      if (bound === Number.POSITIVE_INFINITY) return best
      nextCandidate = Math.max(nextCandidate, jump)
    }
    wall = nextWall(nextCandidate)
  }
  return best === Number.POSITIVE_INFINITY ? null : best
}
