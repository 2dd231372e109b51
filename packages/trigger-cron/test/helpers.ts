/**
 * Shared test helpers for the trigger packages: a seeded random source, a trigger context,
 * fire-time chaining as the scheduler does it, the APScheduler oracle, and a zone model that
 * asks `Intl` directly (independent of `@tasse/core`'s cached transition tables).
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  type EpochMicros,
  formatInstant,
  type Trigger,
  type TriggerContext,
  timeZone,
} from '@tasse/core'

export const PYTHON = '/usr/bin/python3'
export const ORACLE = fileURLToPath(new URL('./apscheduler-oracle.py', import.meta.url))

/** True when /usr/bin/python3 exists (its standard zoneinfo is an oracle of PEP 495). */
export const hasPython = existsSync(PYTHON)

/** True when Debian's python3-apscheduler is importable by /usr/bin/python3. */
export const hasApscheduler =
  existsSync(PYTHON) &&
  spawnSync(PYTHON, ['-c', 'import apscheduler, pytz'], { stdio: 'ignore' }).status === 0

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

/** The first `count` fire times, chained as the scheduler chains them. */
export function chain(trigger: Trigger, now: EpochMicros, count: number): EpochMicros[] {
  const fires: EpochMicros[] = []
  let previous: EpochMicros | null = null
  for (let i = 0; i < count; i++) {
    const fire = trigger.nextFireTime(previous, now)
    if (fire === null) break
    fires.push(fire)
    previous = fire
  }
  return fires
}

/** The same, formatted in the trigger's zone with the real offset. */
export function chainIso(trigger: Trigger, fromIso: string, count: number): string[] {
  const zone = timeZone(trigger.timezone)
  return chain(trigger, micros(fromIso), count).map((fire) => formatInstant(fire, zone))
}

export interface OracleCase {
  trigger: 'cron' | 'interval' | 'date'
  options: Record<string, unknown>
  now: EpochMicros
  count: number
}

export interface OracleAnswer {
  fires: EpochMicros[]
  error: string | null
}

/** Runs every case through APScheduler 3.9.1 in one Python process. */
export function runOracle(cases: readonly OracleCase[]): OracleAnswer[] {
  const result = spawnSync(PYTHON, [ORACLE], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  if (result.status !== 0) throw new Error(`oracle failed: ${result.stderr}`)
  return JSON.parse(result.stdout) as OracleAnswer[]
}

// ---------------------------------------------------------------------------------------------
// An independent model of a zone, straight from Intl (slow, simple).

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
