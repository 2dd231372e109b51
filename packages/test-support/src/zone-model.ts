/**
 * An independent model of a zone, straight from `Intl` (slow, simple): the yardstick for
 * `@tasse/core`'s cached transition tables and the triggers' daylight-saving policy.
 */

const formats = new Map<string, Intl.DateTimeFormat>()

/** UTC offset in seconds at an instant (epoch seconds), asked of Intl directly. */
export function intlOffset(zone: string, epochSeconds: number): number {
  let format = formats.get(zone)
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formats.set(zone, format)
  }
  const parts = /^(\d+)\/(\d+)\/(\d+),? (\d+):(\d+):(\d+)$/.exec(
    format.format(new Date(epochSeconds * 1000)),
  )
  if (!parts) throw new Error('unexpected Intl output')
  const [, mo, d, y, h, mi, s] = parts.map(Number) as number[]
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s) / 1000 - epochSeconds
}

/**
 * The instants of a wall time (local seconds) by PEP 495: fold 0 and fold 1 (equal unless the
 * wall time happens twice), and whether it falls in a gap (then fold 0 reads it with the offset
 * before the transition).
 */
export function pep495(
  zone: string,
  local: number,
): { fold0: number; fold1: number; gap: boolean } {
  const before = intlOffset(zone, local - 86_400)
  const after = intlOffset(zone, local + 86_400)
  const valid = [...new Set([before, after])]
    .map((offset) => local - offset)
    .filter((instant) => instant + intlOffset(zone, instant) === local)
    .sort((a, b) => a - b)
  if (valid.length === 0) return { fold0: local - before, fold1: local - after, gap: true }
  return { fold0: valid[0] as number, fold1: valid[valid.length - 1] as number, gap: false }
}
