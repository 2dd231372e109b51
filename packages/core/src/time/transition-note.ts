/**
 * Words for a fire time that a daylight-saving transition touched, for previews such as
 * `tasse next`: the jump it follows, or which pass of a repeated hour it is in.
 */
import type { EpochMicros } from '../types.js'
import { formatLocal, formatOffset, MICROS_PER_SECOND } from './iso.js'
import type { TimeZone } from './zone.js'

/**
 * A note when `instant` lies within one transition's length of a transition of `zone`:
 * - just after clocks went forward: slots of the skipped wall times land here, moved forward;
 * - in either pass of a repeated hour.
 * `undefined` otherwise.
 *
 * @example
 * transitionNote(Date.parse('2024-03-31T01:30:00Z') * 1000, timeZone('Europe/Paris'))
 * // 'clocks went forward at 02:00 on 2024-03-31 (+01:00 → +02:00): 02:00-03:00 never happened; times in it move forward by 1:00'
 */
export function transitionNote(instant: EpochMicros, zone: TimeZone): string | undefined {
  const seconds = Math.floor(instant / MICROS_PER_SECOND)
  // Shifts never exceed a day (Samoa 2011); look that far on either side.
  for (const transition of zone.transitionsBetween(seconds - 86_400, seconds + 86_400)) {
    const { at, offsetBefore, offsetAfter } = transition
    const shift = Math.abs(offsetAfter - offsetBefore)
    const wallBefore = at + offsetBefore
    const wallAfter = at + offsetAfter
    const date = formatLocal(Math.min(wallBefore, wallAfter)).slice(0, 10)
    const clock = (local: number) => formatLocal(local).slice(11, 16)
    const offsets = `(${formatOffset(offsetBefore)} → ${formatOffset(offsetAfter)})`
    if (offsetAfter > offsetBefore && seconds >= at && seconds < at + shift) {
      return `clocks went forward at ${clock(wallBefore)} on ${date} ${offsets}: ${clock(wallBefore)}-${clock(wallAfter)} never happened; times in it move forward by ${duration(shift)}`
    }
    if (offsetAfter < offsetBefore && seconds >= at - shift && seconds < at + shift) {
      const pass = seconds < at ? 'first' : 'second'
      return `${clock(wallAfter)}-${clock(wallBefore)} happens twice on ${date} ${offsets}; this is the ${pass} pass`
    }
  }
  return undefined
}

function duration(seconds: number): string {
  return `${Math.floor(seconds / 3600)}:${String(Math.floor(seconds / 60) % 60).padStart(2, '0')}`
}
