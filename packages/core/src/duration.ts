/**
 * Durations as people write them in task.yaml (`90s`, `15m`, `1h30m`, `500ms`, or a number of
 * seconds) and as Tasse writes them back in messages (`1h 30m`, `90s`, `250ms`).
 */
import { TasseConfigError } from './errors.js'
import type { ConfigLocation } from './types.js'
import { show } from './wording.js'

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

/**
 * A duration as text: parts such as `1h` and `30m`, spaces allowed between them; task.yaml's
 * JSON Schema uses it too. Linear: each part needs a digit and a unit, so no input backtracks.
 */
export const DURATION_TEXT =
  /^\s*\d+(?:\.\d+)?\s*(?:ms|s|m|h|d)(?: *\d+(?:\.\d+)?\s*(?:ms|s|m|h|d))*\s*$/
const DURATION_PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/g

/**
 * The longest duration Tasse accepts (366 days): far beyond any task's timeout or retry delay,
 * and far inside what `Date` arithmetic holds. Timers of this length are chained
 * (`long-timer.ts`), since one Node timer holds 24.86 days at most.
 */
export const MAX_DURATION_MS = 366 * 86_400_000

/**
 * Parses `90s`, `15m`, `2h`, `1d`, `500ms`, combinations such as `1h30m` (spaces allowed
 * between parts), or a bare number of seconds, into milliseconds. Anything else, zero,
 * negative or longer than `MAX_DURATION_MS` (366 days) is a `TasseConfigError` at `at`.
 *
 * @example
 * readDuration('1h30m', { file: 'tasks/report/task.yaml', field: 'timeout' }) // 5_400_000
 */
export function readDuration(value: unknown, at: ConfigLocation): number {
  const ms = parseDuration(value)
  if (ms !== null && ms > MAX_DURATION_MS)
    throw new TasseConfigError(
      at,
      `must be at most 366d (a year), got ${show(value)} (${formatDuration(ms)})`,
    )
  if (ms !== null) return ms
  throw new TasseConfigError(
    at,
    `must be a duration such as "90s", "15m", "2h" or "1h30m" (or a number of seconds), got ${show(value)}`,
  )
}

/** Milliseconds, or `null` when `value` is no positive duration. */
function parseDuration(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0)
    return Math.round(value * 1000)
  if (typeof value === 'string' && DURATION_TEXT.test(value)) {
    let total = 0
    for (const [, amount, unit] of value.matchAll(DURATION_PART))
      total += Number(amount) * (UNIT_MS[unit as string] as number)
    if (total > 0 && Number.isFinite(total)) return Math.round(total)
  }
  return null
}

/**
 * `1h 30m`, `90s`, `250ms`: milliseconds as a person reads them (whole seconds from 1 s on).
 *
 * @example
 * formatDuration(5_400_000) // '1h 30m'
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  const parts: string[] = []
  let rest = Math.round(ms / 1000)
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`)
      rest %= size
    }
  }
  if (rest || !parts.length) parts.push(`${rest}s`)
  return parts.join(' ')
}
