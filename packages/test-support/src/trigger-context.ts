/**
 * What trigger tests build on: a seeded random source, a trigger context, instants from ISO text
 * and fire times chained as the scheduler chains them.
 */
import {
  type EpochMicros,
  formatInstant,
  type Trigger,
  type TriggerContext,
  timeZone,
  upcomingFireTimes,
} from '@tasse/core'

/** mulberry32: a small seeded generator, so that every run draws the same cases. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

export function context(overrides: Partial<TriggerContext> = {}): TriggerContext {
  return {
    at: { file: 'tasks/example/task.yaml', field: 'scheduler' },
    defaultTimezone: 'UTC',
    random: () => 0.5,
    ...overrides,
  }
}

/** µs since the epoch of an ISO string with an offset. */
export function micros(iso: string): EpochMicros {
  const match = /\.(\d{1,6})/.exec(iso)
  const fraction = match ? Number((match[1] as string).padEnd(6, '0')) : 0
  return Math.floor(Date.parse(iso) / 1000) * 1_000_000 + fraction
}

/** The first `count` fire times from `now`, chained as the scheduler chains them (core's chainer). */
export function chain(trigger: Trigger, now: EpochMicros, count: number): EpochMicros[] {
  return upcomingFireTimes(trigger, now, count)
}

/** The same, formatted in the trigger's zone with the real offset. */
export function chainIso(trigger: Trigger, fromIso: string, count: number): string[] {
  const zone = timeZone(trigger.timezone)
  return chain(trigger, micros(fromIso), count).map((fire) => formatInstant(fire, zone))
}
