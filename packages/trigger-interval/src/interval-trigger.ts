/**
 * `trigger: interval`: APScheduler 3's `IntervalTrigger` (APSCHEDULER.md §4, §6, §7.2): a grid
 * of elapsed time anchored at `start_date`, in whole microseconds.
 */
import type {
  EpochMicros,
  Trigger,
  TriggerContext,
  TriggerFactory,
  TriggerOptionsSchema,
} from '@tasse/core'
import {
  dateTimeOptionSchema,
  JITTER_OPTION_SCHEMA,
  jitterDelay,
  MICROS_PER_SECOND,
  type OptionSource,
  optionError,
  readDateTimeOption,
  readJitterOption,
  readTimeZoneOption,
  rejectUnknownOptions,
  show,
  TasseConfigError,
  TIME_ZONE_OPTION_SCHEMA,
} from '@tasse/core/plugin-kit'

/** The `trigger:` value, and the tag in every message of this plugin. */
export const TRIGGER_TYPE = 'interval'
const TAG = 'trigger-interval'

/** The options of `trigger: interval`, named and read as APScheduler 3 reads them. */
export interface IntervalTriggerOptions {
  /**
   * Amounts of elapsed time, ints or floats; they add up to at least one second. None, or all
   * zero, is refused (APScheduler 3 runs that every second, silently).
   */
  weeks?: number
  days?: number
  hours?: number
  minutes?: number
  seconds?: number
  /**
   * The first fire time if in the future, else the anchor of the grid. Keeps its microseconds.
   * @default now + interval (the first fire time; never now itself)
   */
  start_date?: string
  /** The last possible fire time (inclusive), checked against the jittered time. */
  end_date?: string
  /** IANA zone of naive dates and of the fire times shown. @default the host's zone (UTC unless set) */
  timezone?: string
  /** Delay each fire by up to this many seconds; the delays add up (APScheduler does so). @default 0 */
  jitter?: number
}

const AMOUNT_MICROS = {
  weeks: 7 * 86_400 * MICROS_PER_SECOND,
  days: 86_400 * MICROS_PER_SECOND,
  hours: 3600 * MICROS_PER_SECOND,
  minutes: 60 * MICROS_PER_SECOND,
  seconds: MICROS_PER_SECOND,
} as const
type Amount = keyof typeof AMOUNT_MICROS
const AMOUNTS = Object.keys(AMOUNT_MICROS) as Amount[]

/** Every option key `trigger: interval` accepts. */
export const INTERVAL_OPTION_KEYS: readonly string[] = [
  ...AMOUNTS,
  'start_date',
  'end_date',
  'timezone',
  'jitter',
]

/**
 * The shortest interval, 1 s: APScheduler allows less, but each fire here is a row in the run
 * history, a per-run log file and a process; `seconds: 0.000001` wrote thousands of rows a
 * second. One second is also the finest a cron schedule can go.
 */
export const MIN_INTERVAL = MICROS_PER_SECOND
/** Python's `timedelta` holds at most 999,999,999 days. */
const MAX_DAYS = 999_999_999
/** 10000-01-01T00:00:00Z: Python's `datetime` ends just before, and so do schedules. */
const END_OF_TIME = 253_402_300_800 * MICROS_PER_SECOND

/**
 * Builds an APScheduler-3 interval trigger: every `interval` of elapsed time (so `days: 1` is
 * 24 h, and a daily 09:00 becomes 10:00 after a spring-forward), anchored at `start_date`.
 * Validates every option up front.
 *
 * @example
 * const trigger = intervalTrigger(
 *   { minutes: 20, start_date: '2024-10-27 02:30:00', timezone: 'Europe/Paris' },
 *   { at: { file: 'tasks/poll/task.yaml', field: 'scheduler' }, defaultTimezone: 'UTC', random: Math.random },
 * )
 * trigger.nextFireTime(null, Date.parse('2024-10-27T00:00:00Z') * 1000)
 * // → 2024-10-27T02:30:00+02:00 (the first pass of the repeated hour), as µs since the epoch
 */
export function intervalTrigger(
  options: Readonly<Record<string, unknown>>,
  context: TriggerContext,
): Trigger {
  const source: OptionSource = { context, tag: TAG }
  rejectUnknownOptions(options, INTERVAL_OPTION_KEYS, source)
  const zone = readTimeZoneOption(options, source)
  const interval = readInterval(options, source)
  const startDate = readDateTimeOption(options, 'start_date', zone, source)
  const endDate = readDateTimeOption(options, 'end_date', zone, source)
  const jitter = readJitterOption(options, source)
  const description = `interval[${formatTimedelta(interval)}]`

  return {
    type: TRIGGER_TYPE,
    timezone: zone.name,
    describe: () => description,
    nextFireTime: function intervalTrigger(previous: EpochMicros | null, now: EpochMicros) {
      let next: number
      if (previous !== null) next = previous + interval
      else if (startDate === null) next = now + interval
      else if (startDate > now) next = startDate
      else next = firstGridPointAtOrAfter(startDate, interval, now)
      next += jitterDelay(jitter, context.random)
      if (next >= END_OF_TIME || (endDate !== null && next > endDate)) return null
      return next
    },
  }
}

/** The options as JSON Schema (task.yaml's schema has it under `trigger: interval`). */
export const INTERVAL_OPTIONS_SCHEMA: TriggerOptionsSchema = {
  description:
    "Every interval of elapsed time, anchored at start_date (APScheduler 3's IntervalTrigger).",
  properties: {
    ...Object.fromEntries(
      AMOUNTS.map((key) => [
        key,
        { type: ['number', 'null'], description: `${key} of elapsed time (int or float)` },
      ]),
    ),
    start_date: dateTimeOptionSchema(
      'The first fire time if in the future, else the anchor of the grid. Default: now + interval.',
    ),
    end_date: dateTimeOptionSchema('The last possible fire time (inclusive).'),
    timezone: TIME_ZONE_OPTION_SCHEMA,
    jitter: JITTER_OPTION_SCHEMA,
  },
  // At least one amount, and not zero (whether they add up to a second, only the trigger knows).
  anyOf: AMOUNTS.map((key) => ({
    required: [key],
    properties: { [key]: { type: 'number', not: { const: 0 } } },
  })),
}

/** The `TriggerFactory` registered for `trigger: interval`. */
export const intervalTriggerFactory: TriggerFactory = {
  type: TRIGGER_TYPE,
  options: INTERVAL_OPTION_KEYS,
  schema: INTERVAL_OPTIONS_SCHEMA,
  create: intervalTrigger,
}

// ---------------------------------------------------------------------------------------------

/** The interval in µs: the amounts added up as Python's `timedelta` does, rounded half to even. */
function readInterval(options: Readonly<Record<string, unknown>>, source: OptionSource): number {
  let total = 0
  let given: Amount | undefined
  let largest: Amount | undefined
  let largestMicros = 0
  for (const key of AMOUNTS) {
    const value = options[key]
    if (value === undefined || value === null) continue
    given ??= key
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      optionError(
        source,
        key,
        `must be a number (int or float, e.g. ${key}: 1.5), got ${show(value)}`,
      )
    }
    const micros = value * AMOUNT_MICROS[key]
    if (Math.abs(micros) > Math.abs(largestMicros)) {
      largest = key
      largestMicros = micros
    }
    total += micros
  }
  if (largest !== undefined && Math.abs(total) >= (MAX_DAYS + 1) * AMOUNT_MICROS.days) {
    optionError(
      source,
      largest,
      `must keep the interval under ${MAX_DAYS.toLocaleString('en-US')} days, got ${show(options[largest])}`,
    )
  }
  if (total < 0 && largest !== undefined) {
    optionError(
      source,
      largest,
      `must make a positive interval (the amounts add up to ${formatTimedelta(roundHalfEven(total))}), got ${show(options[largest])}`,
    )
  }
  const interval = roundHalfEven(total)
  // APScheduler 3 turns a zero interval into one second without a word (IntervalTrigger's
  // __init__); here it is a mistake to report: `seconds: 0` is most likely not "every second".
  if (interval === 0) {
    const everySecond = 'APScheduler 3 would run it every second: write seconds: 1 if that is meant'
    const key = largest ?? given
    if (key === undefined)
      throw new TasseConfigError(
        source.context.at,
        `needs an interval for trigger "interval": weeks, days, hours, minutes or seconds, e.g. "minutes: 5" (${everySecond})`,
        { tag: TAG },
      )
    optionError(
      source,
      key,
      `must make an interval of at least 1 second, not zero (${everySecond}), got ${show(options[key])}`,
    )
  }
  if (interval < MIN_INTERVAL && largest !== undefined) {
    optionError(
      source,
      largest,
      `must make an interval of at least 1 second (each fire is a run in the history and a log file; for more often, loop inside the task), got ${show(options[largest])}`,
    )
  }
  return interval
}

/** The first `start + k·interval` (k ≥ 0) at or after `now`, in exact integer arithmetic. */
function firstGridPointAtOrAfter(start: number, interval: number, now: number): number {
  const elapsed = BigInt(now) - BigInt(start)
  const step = BigInt(interval)
  const periods = (elapsed + step - 1n) / step
  return Number(BigInt(start) + periods * step)
}

function roundHalfEven(value: number): number {
  const rounded = Math.round(value)
  return Math.abs(value % 1) === 0.5 ? 2 * Math.round(value / 2) : rounded
}

/** Python's `str(timedelta)`: `1 day, 2:03:04.000005`. */
function formatTimedelta(micros: number): string {
  const days = Math.floor(micros / AMOUNT_MICROS.days)
  const rest = micros - days * AMOUNT_MICROS.days
  const seconds = Math.floor(rest / MICROS_PER_SECOND)
  const fraction = rest - seconds * MICROS_PER_SECOND
  const clock = `${Math.floor(seconds / 3600)}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}`
  const time = fraction ? `${clock}.${String(fraction).padStart(6, '0')}` : clock
  return days ? `${days} day${Math.abs(days) === 1 ? '' : 's'}, ${time}` : time
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value)
}
