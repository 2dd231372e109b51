/**
 * The proleptic Gregorian calendar as integer arithmetic: days since 1970-01-01 ⇄ year, month,
 * day, plus weekdays and ISO weeks. No `Date`, no time zones: these are the "wall" calendar in
 * which cron fields are matched (APSCHEDULER.md §7.1, step 1).
 */

/** Seconds in a civil day (the wall calendar has no leap seconds and no transitions). */
export const SECONDS_PER_DAY = 86_400

/** A calendar date. `month` is 1-12, `day` 1-31. */
export interface CivilDate {
  year: number
  month: number
  day: number
}

/** Days from 1970-01-01 to the given date (negative before), for any year, month 1-12. */
export function daysFromCivil(year: number, month: number, day: number): number {
  // Howard Hinnant's days_from_civil: years start in March, so February's leap day comes last.
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}

/** The date `days` days after 1970-01-01. */
export function civilFromDays(days: number): CivilDate {
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const dayOfEra = z - era * 146_097
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  )
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const mp = Math.floor((5 * dayOfYear + 2) / 153)
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day }
}

export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
}

const MONTH_LENGTHS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Days in `month` (1-12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : (MONTH_LENGTHS[month - 1] as number)
}

/** Weekday of a day number, **0 = Monday** … 6 = Sunday (Python's `date.weekday()`). */
export function weekdayOfDays(days: number): number {
  // 1970-01-01 was a Thursday (3).
  return (((days + 3) % 7) + 7) % 7
}

/**
 * ISO 8601 week number (1-53) of a day number: the week belongs to the year of its Thursday.
 */
export function isoWeekOfDays(days: number): number {
  const thursday = days - weekdayOfDays(days) + 3
  const { year } = civilFromDays(thursday)
  return Math.floor((thursday - daysFromCivil(year, 1, 1)) / 7) + 1
}
