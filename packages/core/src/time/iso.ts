/**
 * Date-time strings: APScheduler 3's input format (APSCHEDULER.md §2) and Python-`isoformat`
 * output, both with microsecond precision.
 */
import type { EpochMicros } from '../types.js'
import { civilFromDays, daysFromCivil, daysInMonth, SECONDS_PER_DAY } from './civil.js'
import type { TimeZone } from './zone.js'

/** Microseconds per second. */
export const MICROS_PER_SECOND = 1_000_000

/** The whole second (as seconds since the epoch) at or after an instant in µs; exact up to 9999. */
export function ceilToSecond(micros: EpochMicros): number {
  const remainder = micros % MICROS_PER_SECOND
  return (micros - remainder) / MICROS_PER_SECOND + (remainder > 0 ? 1 : 0)
}

/**
 * The first whole second strictly after an instant in µs, as seconds: where the search for the
 * fire time after `previous` starts.
 *
 * NOTE: not `ceilToSecond(previous + 1)`: past 2^53 µs (the year 2255) a double no longer holds
 * every microsecond, `previous + 1` rounds back to `previous`, and a trigger would answer the
 * same fire time again and again.
 */
export function secondAfter(micros: EpochMicros): number {
  const remainder = micros % MICROS_PER_SECOND
  return (micros - remainder) / MICROS_PER_SECOND + 1
}

/** A parsed date-time string: a wall time, and the offset it was written with, if any. */
export interface ParsedDateTime {
  /** The wall time as microseconds, read as if it were UTC. */
  localMicros: number
  /** Seconds east of UTC from a `Z` or `±HH:MM` suffix; `null` for a naive string. */
  offsetSeconds: number | null
  /** True when the string had no time part (`2024-03-31`): local midnight. */
  dateOnly: boolean
}

/**
 * APScheduler 3's `_DATE_REGEX`: `YYYY-M-D[( |T)H:M:S[.ffffff][Z|±HH:MM]]`, matched whole.
 * The offset only follows a time; a time always has seconds.
 */
export const DATE_TIME =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?(Z|[+-]\d\d:\d\d)?)?$/

/**
 * Parses an APScheduler date-time string, or says what is wrong with it.
 *
 * NOTE: the fraction is an integer count of microseconds, as in APScheduler (`int("5")`):
 * `.5` is 5 µs, `.500` is 500 µs, and only `.500000` is half a second.
 *
 * @example
 * parseDateTime('2024-03-31 02:30:00.5+02:00')
 * // { localMicros: 1711852200000005, offsetSeconds: 7200, dateOnly: false }
 */
export function parseDateTime(text: string): ParsedDateTime | { problem: string } {
  const match = DATE_TIME.exec(text)
  if (!match) {
    return {
      problem:
        'must be a date-time "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS[.ffffff]" or with "T", optionally ending in "Z" or "±HH:MM"',
    }
  }
  const [, y, mo, d, h, mi, s, fraction, zone] = match
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h ?? 0)
  const minute = Number(mi ?? 0)
  const second = Number(s ?? 0)
  if (year < 1) return { problem: 'has year 0000; years start at 0001' }
  if (month < 1 || month > 12) return { problem: `has month ${month}; months are 1-12` }
  const monthLength = daysInMonth(year, month)
  if (day < 1 || day > monthLength) {
    return { problem: `has day ${day}; ${year}-${pad2(month)} has days 1-${monthLength}` }
  }
  if (hour > 23) return { problem: `has hour ${hour}; hours are 0-23` }
  if (minute > 59) return { problem: `has minute ${minute}; minutes are 0-59` }
  if (second > 59) return { problem: `has second ${second}; seconds are 0-59` }
  let offsetSeconds: number | null = null
  if (zone === 'Z') offsetSeconds = 0
  else if (zone) {
    const minutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))
    // Python's tzinfo allows any offset strictly within a day.
    if (minutes >= 1440)
      return { problem: `has offset ${zone}; offsets must be less than 24 hours` }
    offsetSeconds = (zone[0] === '-' ? -60 : 60) * minutes
  }
  const localSeconds =
    daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second
  return {
    localMicros: localSeconds * MICROS_PER_SECOND + Number(fraction ?? 0),
    offsetSeconds,
    dateOnly: h === undefined,
  }
}

/**
 * The instant of a parsed date-time: its own offset if it has one, else its wall time in `zone`
 * by the first-occurrence rule (APSCHEDULER.md §7.2: an ambiguous time is its first pass, one in
 * a gap moves forward by the gap's length).
 */
export function instantOfDateTime(parsed: ParsedDateTime, zone: TimeZone): EpochMicros {
  const micros = ((parsed.localMicros % MICROS_PER_SECOND) + MICROS_PER_SECOND) % MICROS_PER_SECOND
  const localSeconds = (parsed.localMicros - micros) / MICROS_PER_SECOND
  const seconds =
    parsed.offsetSeconds === null
      ? zone.wallToInstant(localSeconds)
      : localSeconds - parsed.offsetSeconds
  return seconds * MICROS_PER_SECOND + micros
}

/**
 * An instant as Python's `datetime.isoformat()` prints it in `zone`, with the zone's real offset
 * at that instant: `2024-03-31T03:30:00+02:00`, with `.ffffff` only when the microseconds are
 * not zero (and `:SS` on the offset only for historic offsets with seconds).
 *
 * @example
 * formatInstant(1_711_848_600_000_000, timeZone('Europe/Paris')) // '2024-03-31T03:30:00+02:00'
 */
export function formatInstant(instant: EpochMicros, zone: TimeZone): string {
  const micros = ((instant % MICROS_PER_SECOND) + MICROS_PER_SECOND) % MICROS_PER_SECOND
  const seconds = (instant - micros) / MICROS_PER_SECOND
  const offset = zone.offsetAt(seconds)
  return formatLocal(seconds + offset, micros) + formatOffset(offset)
}

/**
 * An instant in epoch ms as `YYYY-MM-DDTHH:MM:SS.mmm±HH:MM` in `zone`: always milliseconds and
 * a numeric offset, the one format of log.txt lines, the HTTP API and the CLI.
 */
export function formatMillis(ms: number, zone: TimeZone): string {
  const seconds = Math.floor(ms / 1000)
  const offset = zone.offsetAt(seconds)
  const millis = String(Math.floor(ms - seconds * 1000)).padStart(3, '0')
  return `${formatLocal(seconds + offset)}.${millis}${formatOffset(offset)}`
}

/** A wall time (local seconds + µs) as `YYYY-MM-DDTHH:MM:SS[.ffffff]`. */
export function formatLocal(localSeconds: number, micros = 0): string {
  const days = Math.floor(localSeconds / SECONDS_PER_DAY)
  const secondOfDay = localSeconds - days * SECONDS_PER_DAY
  const { year, month, day } = civilFromDays(days)
  const time = `${pad2(Math.floor(secondOfDay / 3600))}:${pad2(Math.floor(secondOfDay / 60) % 60)}:${pad2(secondOfDay % 60)}`
  const fraction = micros === 0 ? '' : `.${String(micros).padStart(6, '0')}`
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}T${time}${fraction}`
}

/** An offset in seconds as `±HH:MM` (`±HH:MM:SS` when it has seconds), `+00:00` for UTC. */
export function formatOffset(offsetSeconds: number): string {
  const sign = offsetSeconds < 0 ? '-' : '+'
  const abs = Math.abs(offsetSeconds)
  const seconds = abs % 60
  const text = `${sign}${pad2(Math.floor(abs / 3600))}:${pad2(Math.floor(abs / 60) % 60)}`
  return seconds === 0 ? text : `${text}:${pad2(seconds)}`
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value)
}
