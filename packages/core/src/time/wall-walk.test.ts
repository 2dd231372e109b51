import { describe, expect, it } from 'vitest'
import { formatInstant } from './iso.js'
import { firstInstantAtOrAfter } from './wall-walk.js'
import { timeZone } from './zone.js'

const paris = timeZone('Europe/Paris')
const seconds = (iso: string) => Date.parse(iso) / 1000
const show = (instant: number | null) =>
  instant === null ? null : formatInstant(instant * 1_000_000, paris)

/** Wall times every `step` seconds from the wall midnight, e.g. 02:00, 02:15, … for 900. */
const everyStep =
  (step: number) =>
  (local: number): number =>
    Math.ceil(local / step) * step
/** One wall time a day, at `second` past midnight. */
const daily =
  (second: number) =>
  (local: number): number =>
    Math.ceil((local - second) / 86_400) * 86_400 + second

describe('firstInstantAtOrAfter', () => {
  it('maps walls one to one away from transitions', () => {
    const start = seconds('2024-07-01T10:07:00+02:00')
    expect(show(firstInstantAtOrAfter(paris, start, everyStep(900), false))).toBe(
      '2024-07-01T10:15:00+02:00',
    )
  })

  it('moves a wall time in a gap forward by the gap, and keeps the order of what follows', () => {
    const start = seconds('2024-03-31T01:50:00+01:00')
    const walk = (from: number) => show(firstInstantAtOrAfter(paris, from, everyStep(900), false))
    // 02:00 and 02:15 do not exist that night: they land at 03:00 and 03:15 (+02:00), where
    // the walls 03:00 and 03:15 land too; each instant comes once.
    expect(walk(start)).toBe('2024-03-31T03:00:00+02:00')
    expect(walk(seconds('2024-03-31T03:00:01+02:00'))).toBe('2024-03-31T03:15:00+02:00')
    expect(show(firstInstantAtOrAfter(paris, start, daily(9000), false))).toBe(
      '2024-03-31T03:30:00+02:00',
    )
  })

  it('fires a repeated wall time in its first pass, or in both passes when asked', () => {
    const start = seconds('2024-10-27T02:40:00+02:00')
    const halfPast = daily(9000) // 02:30
    expect(show(firstInstantAtOrAfter(paris, start, halfPast, false))).toBe(
      '2024-10-28T02:30:00+01:00',
    )
    expect(show(firstInstantAtOrAfter(paris, start, halfPast, true))).toBe(
      '2024-10-27T02:30:00+01:00',
    )
    const before = seconds('2024-10-27T02:00:00+02:00')
    expect(show(firstInstantAtOrAfter(paris, before, halfPast, false))).toBe(
      '2024-10-27T02:30:00+02:00',
    )
  })

  it('answers null when the schedule has no wall time left', () => {
    expect(firstInstantAtOrAfter(paris, 0, () => null, false)).toBeNull()
  })
})
