/**
 * `trigger: business_days`: on business days (Monday to Friday unless `weekdays` says
 * otherwise), at each of `times`, in `timezone`, except on the dates a file lists (holidays)
 * and the plugin's own `holidays`.
 *
 * Everything a trigger plugin needs is here: options read and refused with the `scheduler.<key>`
 * at fault (`optionError`), fire times as epoch microseconds, `secondAfter(previous)` rather
 * than `previous + 1` (lost past 2255), and wall times turned into instants across
 * daylight-saving changes by `firstInstantAtOrAfter`, the one place core does it.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { EpochMicros, Trigger, TriggerContext, TriggerFactory } from '@tasse/core'
import {
  ceilToSecond,
  civilFromDays,
  daysFromCivil,
  firstInstantAtOrAfter,
  MICROS_PER_SECOND,
  type OptionSource,
  optionError,
  readTimeZoneOption,
  rejectUnknownOptions,
  SECONDS_PER_DAY,
  secondAfter,
  show,
  weekdayOfDays,
} from '@tasse/core/plugin-kit'

/** The `trigger:` value, and the tag in every message of this plugin. */
export const TRIGGER_TYPE = 'business_days'
const TAG = 'trigger-business-days'

/** Every option key of `trigger: business_days`. */
export const BUSINESS_DAYS_OPTION_KEYS: readonly string[] = [
  'times',
  'timezone',
  'weekdays',
  'skip_dates_file',
]

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
/** The last day a fire time may fall on: the calendar's end (9999-12-31). */
const LAST_DAY = daysFromCivil(9999, 12, 31)

/** What the plugin itself takes (from `plugins:` in the host's tasse.yaml). */
export interface BusinessDaysPluginOptions {
  /** Dates (`YYYY-MM-DD`) no task of this trigger fires on, e.g. company holidays. */
  holidays?: readonly string[]
}

/**
 * The factory of `trigger: business_days`; `holidays` are skipped by every task besides the
 * dates of each one's `skip_dates_file`.
 */
export function businessDaysFactory(plugin: BusinessDaysPluginOptions = {}): TriggerFactory {
  const holidays = readDateList(plugin.holidays ?? [], (problem) => {
    throw new Error(`[${TAG}] holidays ${problem}`)
  })
  return {
    type: TRIGGER_TYPE,
    options: BUSINESS_DAYS_OPTION_KEYS,
    create: (options, context) => businessDaysTrigger(options, context, holidays),
  }
}

/**
 * Builds the trigger from a task's `scheduler:` options.
 *
 * @example
 * const trigger = businessDaysTrigger(
 *   { times: ['09:00', '17:30'], timezone: 'Europe/Paris' },
 *   { at: { file: 'tasks/report/task.yaml', field: 'scheduler' }, defaultTimezone: 'UTC', random: Math.random },
 * )
 * trigger.nextFireTime(null, Date.parse('2026-12-05T12:00:00Z') * 1000) // a Saturday
 * // → Monday 2026-12-07 09:00 in Paris, as µs since the epoch
 */
export function businessDaysTrigger(
  options: Readonly<Record<string, unknown>>,
  context: TriggerContext,
  holidays: ReadonlySet<number> = new Set(),
): Trigger {
  const source: OptionSource = { context, tag: TAG }
  rejectUnknownOptions(options, BUSINESS_DAYS_OPTION_KEYS, source)
  const zone = readTimeZoneOption(options, source)
  const times = readTimes(options.times, source)
  const weekdays = readWeekdays(options.weekdays, source)
  const skipped = new Set([...holidays, ...readSkipFile(options.skip_dates_file, source)])

  const isFireDay = (day: number) => weekdays.has(weekdayOfDays(day)) && !skipped.has(day)
  // The first wall time ≥ `local` (seconds, wall clock read as UTC) that the schedule has.
  const nextWall = (local: number): number | null => {
    let day = Math.floor(local / SECONDS_PER_DAY)
    let second = local - day * SECONDS_PER_DAY
    // At most 7 days of the week plus the skipped dates in a row: the loop ends.
    for (let tries = 0; tries <= 7 + skipped.size; tries++, day++, second = 0) {
      if (day > LAST_DAY) return null
      const time = isFireDay(day) ? times.find((t) => t >= second) : undefined
      if (time !== undefined) return day * SECONDS_PER_DAY + time
    }
    return null
  }

  const description = `business days (${[...weekdays].map((d) => WEEKDAYS[d]).join(',')}) at ${times
    .map(formatTime)
    .join(', ')}${skipped.size ? `, skipping ${skipped.size} date(s)` : ''}`
  return {
    type: TRIGGER_TYPE,
    timezone: zone.name,
    describe: () => description,
    nextFireTime(previous: EpochMicros | null, now: EpochMicros): EpochMicros | null {
      // Whole seconds from here on. NOTE: secondAfter(previous), not ceilToSecond(previous + 1):
      // past 2^53 µs (the year 2255) `previous + 1` rounds back to `previous`.
      const start = previous === null ? ceilToSecond(now) : secondAfter(previous)
      const instant = firstInstantAtOrAfter(zone, start, nextWall, false)
      return instant === null ? null : instant * MICROS_PER_SECOND
    },
  }
}

/** `times`: a list of `HH:MM` or `HH:MM:SS`, as seconds of the day, sorted, once each. */
function readTimes(value: unknown, source: OptionSource): number[] {
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0)
    optionError(
      source,
      'times',
      `must be a list of times such as ["09:00", "17:30"], got ${show(value)}`,
    )
  const seconds = list.map((item) => {
    const match = typeof item === 'string' ? /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(item) : null
    const [h, m, s] = match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : []
    if (h === undefined || m === undefined || s === undefined || h > 23 || m > 59 || s > 59)
      optionError(
        source,
        'times',
        `must hold times HH:MM or HH:MM:SS (00:00 to 23:59:59), got ${show(item)}`,
      )
    return h * 3600 + m * 60 + s
  })
  return [...new Set(seconds)].sort((a, b) => a - b)
}

/** `weekdays`: names (`mon`…`sun`) or a range (`mon-fri`), as `weekdayOfDays` numbers (0 = Monday). */
function readWeekdays(value: unknown, source: OptionSource): Set<number> {
  if (value === undefined || value === null) return new Set([0, 1, 2, 3, 4])
  const items = typeof value === 'string' ? value.split(',') : value
  const days = new Set<number>()
  const refuse = (item: unknown): never =>
    optionError(
      source,
      'weekdays',
      `must list days mon … sun or a range such as "mon-fri", got ${show(item)}`,
    )
  if (!Array.isArray(items) || items.length === 0) refuse(value)
  for (const item of items as unknown[]) {
    if (typeof item !== 'string') refuse(item)
    const [from, to = from] = (item as string).trim().toLowerCase().split('-')
    const first = WEEKDAYS.indexOf(from as (typeof WEEKDAYS)[number])
    const last = WEEKDAYS.indexOf(to as (typeof WEEKDAYS)[number])
    if (first < 0 || last < first) refuse(item)
    for (let day = first; day <= last; day++) days.add(day)
  }
  return new Set([...days].sort())
}

/**
 * `skip_dates_file`: a file (relative to the task's folder) of dates `YYYY-MM-DD`, one a line;
 * blank lines and `#` comments are ignored. Read when the task is loaded: a trigger never reads
 * files or clocks when asked for a fire time.
 */
function readSkipFile(value: unknown, source: OptionSource): number[] {
  if (value === undefined || value === null) return []
  if (typeof value !== 'string' || value === '')
    optionError(source, 'skip_dates_file', `must be a file name, got ${show(value)}`)
  const file = resolve(dirname(source.context.at.file), value)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    optionError(
      source,
      'skip_dates_file',
      `names ${file}, which cannot be read: ${(cause as Error).message}`,
      cause,
    )
  }
  const lines = text.split('\n').map((line) => line.replace(/#.*/, '').trim())
  return [
    ...readDateList(lines, (problem, index) =>
      optionError(source, 'skip_dates_file', `${file} line ${(index ?? 0) + 1}: ${problem}`),
    ),
  ]
}

/** Dates `YYYY-MM-DD` (blank ones skipped) as days since the epoch. */
function readDateList(
  items: readonly unknown[],
  refuse: (problem: string, index?: number) => never,
): Set<number> {
  const days = new Set<number>()
  items.forEach((item, index) => {
    if (item === '') return
    const match = typeof item === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(item) : null
    const day = match ? daysFromCivil(Number(match[1]), Number(match[2]), Number(match[3])) : NaN
    const civil = Number.isNaN(day) ? null : civilFromDays(day)
    // A date that does not exist (2026-02-30) comes back as another one.
    if (!civil || civil.month !== Number(match?.[2]) || civil.day !== Number(match?.[3]))
      refuse(`must be a date YYYY-MM-DD that exists, got ${show(item)}`, index)
    days.add(day)
  })
  return days
}

function formatTime(seconds: number): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  const hms = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60]
  return (hms[2] ? hms : hms.slice(0, 2)).map(pad).join(':')
}
