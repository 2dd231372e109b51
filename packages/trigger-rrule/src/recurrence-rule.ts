/**
 * A strict reader for RFC 5545 `RRULE` values (§3.3.10). The `rrule` package parses leniently
 * (`FREQ=FOO` or `BYHOUR=25` pass silently), so Tasse checks every part first and only hands
 * `rrule` options it has already validated.
 */

/** RFC 5545 frequencies, in `rrule`'s numbering (YEARLY = 0 … SECONDLY = 6). */
export const FREQUENCIES = [
  'YEARLY',
  'MONTHLY',
  'WEEKLY',
  'DAILY',
  'HOURLY',
  'MINUTELY',
  'SECONDLY',
] as const
export type FrequencyName = (typeof FREQUENCIES)[number]

/** `MO`..`SU` → 0..6 (Monday first, as `rrule` numbers them). */
export const WEEKDAY_CODES = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const

/** A weekday in `BYDAY`, optionally with its position (`-1FR`: the last Friday). */
export interface ByDay {
  weekday: number
  nth?: number
}

/** A validated recurrence rule. `until` is kept apart: Tasse applies it as an end bound. */
export interface RecurrenceRule {
  freq: number
  interval: number
  count?: number
  /** `UNTIL` as written: a wall time (local seconds), or an instant if it ended in `Z`. */
  until?: { seconds: number; utc: boolean }
  wkst?: number
  bysetpos?: number[]
  bymonth?: number[]
  bymonthday?: number[]
  byyearday?: number[]
  byweekno?: number[]
  byweekday?: ByDay[]
  byhour?: number[]
  byminute?: number[]
  bysecond?: number[]
}

/** COUNT rules are expanded once and kept in memory; this bounds that. */
const MAX_COUNT = 100_000

type ListKey =
  | 'bysetpos'
  | 'bymonth'
  | 'bymonthday'
  | 'byyearday'
  | 'byweekno'
  | 'byhour'
  | 'byminute'
  | 'bysecond'

const NUMBER_LISTS: Record<string, { key: ListKey; min: number; max: number; signed: boolean }> = {
  BYSECOND: { key: 'bysecond', min: 0, max: 59, signed: false },
  BYMINUTE: { key: 'byminute', min: 0, max: 59, signed: false },
  BYHOUR: { key: 'byhour', min: 0, max: 23, signed: false },
  BYMONTHDAY: { key: 'bymonthday', min: 1, max: 31, signed: true },
  BYYEARDAY: { key: 'byyearday', min: 1, max: 366, signed: true },
  BYWEEKNO: { key: 'byweekno', min: 1, max: 53, signed: true },
  BYMONTH: { key: 'bymonth', min: 1, max: 12, signed: false },
  BYSETPOS: { key: 'bysetpos', min: 1, max: 366, signed: true },
}

/**
 * Parses `FREQ=…;…` (optionally after `RRULE:`), or says what is wrong in words that fit after
 * "scheduler.rrule must be …" style messages.
 *
 * @example
 * parseRecurrenceRule('FREQ=MONTHLY;BYMONTH=3,6,9,12;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1')
 * // { freq: 1, interval: 1, bymonth: [3, 6, 9, 12], byweekday: [...], bysetpos: [-1] }
 */
export function parseRecurrenceRule(text: string): RecurrenceRule | { problem: string } {
  const body = text.trim().replace(/^RRULE:/i, '')
  if (/[\r\n]/.test(body) || /^(DTSTART|EXDATE|RDATE)/i.test(body)) {
    return {
      problem:
        'must be one RRULE ("FREQ=…;…"); give the start as the dtstart option and the zone as timezone, not DTSTART/TZID lines',
    }
  }
  const rule: Partial<RecurrenceRule> = { interval: 1 }
  const seen = new Set<string>()
  for (const part of body.split(';')) {
    const match = /^([A-Za-z]+)=(.+)$/.exec(part)
    if (!match) return { problem: `has "${part}", which is not NAME=VALUE` }
    const name = (match[1] as string).toUpperCase()
    const value = (match[2] as string).toUpperCase()
    if (seen.has(name)) return { problem: `has ${name} twice` }
    seen.add(name)
    const list = NUMBER_LISTS[name]
    if (list) {
      const values = parseNumberList(value, list.min, list.max, list.signed)
      if (typeof values === 'string') return { problem: `has ${name}=${match[2]}: ${values}` }
      rule[list.key] = values
      continue
    }
    switch (name) {
      case 'FREQ': {
        const freq = FREQUENCIES.indexOf(value as FrequencyName)
        if (freq < 0)
          return { problem: `has FREQ=${match[2]}; expected one of ${FREQUENCIES.join(', ')}` }
        rule.freq = freq
        break
      }
      case 'INTERVAL':
      case 'COUNT': {
        if (!/^\d+$/.test(value) || Number(value) < 1) {
          return { problem: `has ${name}=${match[2]}; expected a whole number ≥ 1` }
        }
        if (name === 'INTERVAL') rule.interval = Number(value)
        else if (Number(value) > MAX_COUNT) {
          return {
            problem: `has COUNT=${value}; at most ${MAX_COUNT} (use UNTIL or end_date for longer runs)`,
          }
        } else rule.count = Number(value)
        break
      }
      case 'UNTIL': {
        const until = /^(\d{4})(\d\d)(\d\d)(?:T(\d\d)(\d\d)(\d\d)(Z?))?$/.exec(value)
        if (!until)
          return { problem: `has UNTIL=${match[2]}; expected YYYYMMDD or YYYYMMDDTHHMMSS[Z]` }
        const [, y, mo, d, h, mi, s, z] = until
        const seconds =
          Date.UTC(
            Number(y),
            Number(mo) - 1,
            Number(d),
            Number(h ?? 0),
            Number(mi ?? 0),
            Number(s ?? 0),
          ) / 1000
        if (Number.isNaN(seconds) || new Date(seconds * 1000).getUTCDate() !== Number(d)) {
          return { problem: `has UNTIL=${match[2]}, which is not a valid date` }
        }
        rule.until = { seconds: h === undefined ? seconds + 86_399 : seconds, utc: z === 'Z' }
        break
      }
      case 'WKST': {
        const weekday = WEEKDAY_CODES.indexOf(value as (typeof WEEKDAY_CODES)[number])
        if (weekday < 0)
          return { problem: `has WKST=${match[2]}; expected one of ${WEEKDAY_CODES.join(', ')}` }
        rule.wkst = weekday
        break
      }
      case 'BYDAY': {
        const days: ByDay[] = []
        for (const item of value.split(',')) {
          const day = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(item)
          const nth = day?.[1] === undefined ? undefined : Number(day[1])
          if (!day || (nth !== undefined && (nth === 0 || Math.abs(nth) > 53))) {
            return {
              problem: `has BYDAY item "${item}"; expected MO..SU, optionally after ±1..53 (e.g. -1FR)`,
            }
          }
          days.push({
            weekday: WEEKDAY_CODES.indexOf(day[2] as (typeof WEEKDAY_CODES)[number]),
            nth,
          })
        }
        rule.byweekday = days
        break
      }
      default:
        return {
          problem: `has ${name}, which is not an RRULE part (FREQ, INTERVAL, COUNT, UNTIL, WKST, BYxxx)`,
        }
    }
  }
  if (rule.freq === undefined) return { problem: 'must have FREQ (e.g. "FREQ=DAILY;BYHOUR=9")' }
  if (rule.count !== undefined && rule.until !== undefined)
    return { problem: 'must not have both COUNT and UNTIL' }
  const freq = FREQUENCIES[rule.freq] as FrequencyName
  // RFC 5545 §3.3.10 restrictions on which BYxxx parts fit which FREQ.
  if (rule.byweekno && freq !== 'YEARLY')
    return { problem: 'has BYWEEKNO, which only fits FREQ=YEARLY' }
  if (rule.byyearday && (freq === 'DAILY' || freq === 'WEEKLY' || freq === 'MONTHLY')) {
    return { problem: `has BYYEARDAY, which does not fit FREQ=${freq}` }
  }
  if (rule.bymonthday && freq === 'WEEKLY')
    return { problem: 'has BYMONTHDAY, which does not fit FREQ=WEEKLY' }
  if (
    rule.byweekday?.some((day) => day.nth !== undefined) &&
    freq !== 'MONTHLY' &&
    freq !== 'YEARLY'
  ) {
    return {
      problem: `has a numbered BYDAY (e.g. 1MO), which only fits FREQ=MONTHLY or YEARLY, not ${freq}`,
    }
  }
  if (rule.byweekday?.some((day) => day.nth !== undefined) && freq === 'YEARLY' && rule.byweekno) {
    return { problem: 'has a numbered BYDAY together with BYWEEKNO, which RFC 5545 forbids' }
  }
  if (
    rule.bysetpos &&
    Object.keys(rule).every((key) => !key.startsWith('by') || key === 'bysetpos')
  ) {
    return { problem: 'has BYSETPOS without another BYxxx part to pick from' }
  }
  return rule as RecurrenceRule
}

function parseNumberList(
  value: string,
  min: number,
  max: number,
  signed: boolean,
): number[] | string {
  const values: number[] = []
  for (const item of value.split(',')) {
    if (!(signed ? /^[+-]?\d+$/ : /^\d+$/).test(item)) {
      return `"${item}" is not ${signed ? 'a whole number (a minus counts from the end)' : 'a whole number'}`
    }
    const number = Number(item)
    if (Math.abs(number) < min || Math.abs(number) > max) {
      return `${item} is outside ${signed ? `±${min}..${max}` : `${min}..${max}`}`
    }
    values.push(number)
  }
  return values
}
