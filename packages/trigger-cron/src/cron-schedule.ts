/**
 * The cron search: first the matching **wall times** on a plain calendar (APSCHEDULER.md
 * §3.3), then the **instants** they map to in a zone with Tasse's daylight-saving policy (§7.1).
 *
 * Wall times are matched field by field, most significant first, over precomputed tables
 * (`next value ≥ v` per field, a 31-bit day mask per month), the way APScheduler increments a
 * `datetime` but without building one. Times are whole seconds: wall times as "local seconds"
 * (the wall clock read as if it were UTC), instants as epoch seconds.
 */
import type { TimeZone } from '@tasse/core'
import {
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  firstInstantAtOrAfter,
  isoWeekOfDays,
  SECONDS_PER_DAY,
  weekdayOfDays,
} from '@tasse/core/plugin-kit'
import type { CronField, CronFieldName, DayRule } from './cron-fields.js'

const FIRST_YEAR = 1970
const LAST_YEAR = 9999
const FIRST_LOCAL = daysFromCivil(FIRST_YEAR, 1, 1) * SECONDS_PER_DAY
const LAST_LOCAL = daysFromCivil(LAST_YEAR + 1, 1, 1) * SECONDS_PER_DAY - 1
/** The Gregorian calendar (weekdays and ISO weeks included) repeats every 400 years. */
const CALENDAR_CYCLE_YEARS = 400

/** `MONTH_LENGTH_MASK[n]`: days 1..n as bits 0..n-1. */
const MONTH_LENGTH_MASK = Array.from({ length: 32 }, (_, n) =>
  n === 31 ? 0x7fffffff : (1 << n) - 1,
)

/**
 * A compiled cron schedule in one zone. `nextFire(s)` is the whole algorithm; the rest are the
 * tables it reads.
 */
export class CronSchedule {
  private readonly zone: TimeZone
  /** Allowed years ascending, or `null` for every year. */
  private readonly years: Int32Array | null
  /** `nextMonth[m]`: smallest allowed month ≥ m, or -1 (index 13 is the sentinel -1). */
  private readonly nextMonth: Int8Array
  private readonly nextHour: Int8Array
  private readonly nextMinute: Int8Array
  private readonly nextSecond: Int8Array
  /** Days 1-31 of the plain `day` values, as bits 0-30. */
  private readonly staticDays: number
  private readonly dayRules: readonly DayRule[]
  /** `weekdayMasks[w]`: the days of a month starting on weekday w whose weekday is allowed. */
  private readonly weekdayMasks: Int32Array
  /** `weeks[w]` = 1 when ISO week w is allowed; `null` when every week is. */
  private readonly weeks: Uint8Array | null
  /** The `hour` field is `*`: a repeated hour fires in both passes (§7.1). */
  private readonly hourIsStar: boolean
  /** True when no allowed month can hold an allowed day: the schedule never fires. */
  private readonly neverFires: boolean

  // One-month cache of the day mask: consecutive searches stay in the same month.
  private cachedMonthKey = -1
  private cachedMonthMask = 0
  /** Years (mod 400) already seen to hold no matching day at all; see `nextWall`. */
  private readonly deadResidues = new Uint8Array(CALENDAR_CYCLE_YEARS)
  private deadResidueCount = 0

  constructor(fields: readonly CronField[], zone: TimeZone) {
    const field = (name: CronFieldName) => fields.find((f) => f.name === name) as CronField
    this.zone = zone
    const year = field('year')
    this.years =
      year.expression === '*' ? null : Int32Array.from(valuesOf(year.matches, FIRST_YEAR))
    this.nextMonth = nextTable(field('month').matches, 1, 12)
    this.nextHour = nextTable(field('hour').matches, 0, 23)
    this.nextMinute = nextTable(field('minute').matches, 0, 59)
    this.nextSecond = nextTable(field('second').matches, 0, 59)
    const day = field('day')
    let staticDays = 0
    for (let d = 1; d <= 31; d++) if (day.matches[d]) staticDays |= 1 << (d - 1)
    this.staticDays = staticDays
    this.dayRules = day.dayRules
    const weekdays = field('day_of_week').matches
    this.weekdayMasks = new Int32Array(7)
    for (let first = 0; first < 7; first++) {
      let mask = 0
      for (let d = 0; d < 31; d++) if (weekdays[(first + d) % 7]) mask |= 1 << d
      this.weekdayMasks[first] = mask
    }
    const week = field('week')
    this.weeks = week.matches.subarray(1).every((v) => v === 1) ? null : week.matches
    this.hourIsStar = field('hour').expression === '*'
    this.neverFires = this.weeks === null && this.dayRules.length === 0 && !this.anyMonthHoldsADay()
  }

  /**
   * The first fire instant at or after `start` (epoch seconds), or `null` when there is none
   * (before the year 10000).
   *
   * Every matching wall time W maps to one instant (twice in a repeated hour when `hour` is
   * `*`), and the answer is the smallest such instant ≥ start: core's `firstInstantAtOrAfter`
   * walks the walls across daylight-saving transitions.
   */
  nextFire(start: number): number | null {
    if (this.neverFires) return null
    return firstInstantAtOrAfter(this.zone, start, this.wallOrNull, this.hourIsStar)
  }

  private readonly wallOrNull = (local: number): number | null => {
    const wall = this.nextWall(local)
    return Number.isNaN(wall) ? null : wall
  }

  /**
   * The first matching wall time ≥ `local` (local seconds), or `NaN` when none is left before
   * the year 10000.
   */
  nextWall(local: number): number {
    if (local > LAST_LOCAL) return Number.NaN
    const from = Math.max(local, FIRST_LOCAL)
    const days = Math.floor(from / SECONDS_PER_DAY)
    const secondOfDay = from - days * SECONDS_PER_DAY
    let { year, month, day } = civilFromDays(days)
    let hour = Math.floor(secondOfDay / 3600)
    let minute = Math.floor(secondOfDay / 60) % 60
    let second = secondOfDay % 60
    // The year being scanned from its first second; if we leave it without a match, its
    // residue mod 400 can never match (the calendar repeats), which is how an impossible
    // schedule such as `week: 53, month: 6` ends without walking to the year 9999.
    let wholeYear = month === 1 && day === 1 && secondOfDay === 0 ? year : -1

    for (;;) {
      if (this.years !== null) {
        const allowed = nextAllowedYear(this.years, year)
        if (allowed !== year) {
          if (allowed < 0) return Number.NaN
          year = allowed
          month = 1
          day = 1
          hour = minute = second = 0
          wholeYear = year
        }
      }
      if (year > LAST_YEAR) return Number.NaN
      if (wholeYear === year && this.deadResidues[year % CALENDAR_CYCLE_YEARS]) {
        if (this.deadResidueCount === CALENDAR_CYCLE_YEARS) return Number.NaN
        year++
        wholeYear = year
        continue
      }

      const nextMonth = this.nextMonth[month] as number
      if (nextMonth < 0) {
        if (wholeYear === year) this.markDead(year)
        year++
        month = 1
        day = 1
        hour = minute = second = 0
        wholeYear = year
        continue
      }
      if (nextMonth !== month) {
        month = nextMonth
        day = 1
        hour = minute = second = 0
      }

      const days = this.dayMask(year, month) & (-1 << (day - 1))
      if (days === 0) {
        month++
        day = 1
        hour = minute = second = 0
        continue
      }
      const nextDay = 32 - Math.clz32(days & -days)
      if (nextDay !== day) {
        day = nextDay
        hour = minute = second = 0
      }

      const nextHour = this.nextHour[hour] as number
      if (nextHour < 0) {
        day++
        hour = minute = second = 0
        continue
      }
      if (nextHour !== hour) {
        hour = nextHour
        minute = second = 0
      }
      const nextMinute = this.nextMinute[minute] as number
      if (nextMinute < 0) {
        hour++
        minute = second = 0
        continue
      }
      if (nextMinute !== minute) {
        minute = nextMinute
        second = 0
      }
      const nextSecond = this.nextSecond[second] as number
      if (nextSecond < 0) {
        minute++
        second = 0
        continue
      }
      return (
        daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + nextSecond
      )
    }
  }

  /** The days of `year`-`month` matching `day`, `week` and `day_of_week` together (ANDed). */
  private dayMask(year: number, month: number): number {
    const key = year * 16 + month
    if (key === this.cachedMonthKey) return this.cachedMonthMask
    const first = daysFromCivil(year, month, 1)
    const length = daysInMonth(year, month)
    const firstWeekday = weekdayOfDays(first)
    let mask = this.staticDays
    for (const rule of this.dayRules) mask |= dayRuleBit(rule, length, firstWeekday)
    mask &= (MONTH_LENGTH_MASK[length] as number) & (this.weekdayMasks[firstWeekday] as number)
    if (mask !== 0 && this.weeks !== null) mask &= weekMask(this.weeks, first, firstWeekday, length)
    this.cachedMonthKey = key
    this.cachedMonthMask = mask
    return mask
  }

  private markDead(year: number): void {
    const residue = year % CALENDAR_CYCLE_YEARS
    if (!this.deadResidues[residue]) {
      this.deadResidues[residue] = 1
      this.deadResidueCount++
    }
  }

  /** Whether some allowed month has an allowed day in some year (Feb counted with 29 days). */
  private anyMonthHoldsADay(): boolean {
    for (let month = 1; month <= 12; month++) {
      if (this.nextMonth[month] !== month) continue
      const longest = month === 2 ? 29 : daysInMonth(2001, month)
      if (this.staticDays & (MONTH_LENGTH_MASK[longest] as number)) return true
    }
    return false
  }
}

// ---------------------------------------------------------------------------------------------

/** The bit of the day a month-dependent rule picks (0 when the month has no such day). */
function dayRuleBit(rule: DayRule, length: number, firstWeekday: number): number {
  if (rule.kind === 'last-day') return 1 << (length - 1)
  // APScheduler's WeekdayPositionExpression: the first such weekday, then whole weeks on.
  let firstHit = rule.weekday - firstWeekday + 1
  if (firstHit <= 0) firstHit += 7
  const day =
    rule.kind === 'nth-weekday'
      ? firstHit + rule.nth * 7
      : firstHit + Math.floor((length - firstHit) / 7) * 7
  return day <= length ? 1 << (day - 1) : 0
}

/** The days of a month whose ISO week is allowed: one ISO week computation per Monday. */
function weekMask(weeks: Uint8Array, first: number, firstWeekday: number, length: number): number {
  let mask = 0
  let day = 1
  while (day <= length) {
    const weekday = (firstWeekday + day - 1) % 7
    const sunday = Math.min(length, day + 6 - weekday)
    if (weeks[isoWeekOfDays(first + day - 1)]) mask |= ((1 << (sunday - day + 1)) - 1) << (day - 1)
    day = sunday + 1
  }
  return mask
}

/** `table[v]` = the smallest matching value ≥ v, or -1; one sentinel -1 past `max`. */
function nextTable(matches: Uint8Array, min: number, max: number): Int8Array {
  const table = new Int8Array(max + 2).fill(-1)
  let next = -1
  for (let v = max; v >= min; v--) {
    if (matches[v]) next = v
    table[v] = next
  }
  return table
}

function valuesOf(matches: Uint8Array, min: number): number[] {
  const values: number[] = []
  for (let v = min; v < matches.length; v++) if (matches[v]) values.push(v)
  return values
}

/** The smallest allowed year ≥ `year`, or -1. */
function nextAllowedYear(years: Int32Array, year: number): number {
  let low = 0
  let high = years.length
  while (low < high) {
    const middle = (low + high) >> 1
    if ((years[middle] as number) < year) low = middle + 1
    else high = middle
  }
  return low < years.length ? (years[low] as number) : -1
}
