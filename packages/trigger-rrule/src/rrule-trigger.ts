/**
 * `trigger: rrule`: an RFC 5545 recurrence rule, for what APScheduler's cron cannot say (the
 * last working day of each quarter, every other Tuesday). The `rrule` package expands the rule
 * in wall time; Tasse maps each wall time to an instant with the first-occurrence policy of
 * APSCHEDULER.md §7.2 (RFC 5545's own rule: a time in a gap moves forward by the gap's length).
 */
import { createRequire } from 'node:module'
import type { EpochMicros, TimeZone, Trigger, TriggerContext, TriggerFactory } from '@tasse/core'
import {
  ceilToSecond,
  civilFromDays,
  dateTimeOptionSchema,
  daysFromCivil,
  daysInMonth,
  firstInstantAtOrAfter,
  JITTER_OPTION_SCHEMA,
  jitterDelay,
  MICROS_PER_SECOND,
  type OptionSource,
  optionError,
  parseDateTime,
  readDateTimeOption,
  readJitterOption,
  readTimeZoneOption,
  rejectUnknownOptions,
  SECONDS_PER_DAY,
  secondAfter,
  show,
  TIME_ZONE_OPTION_SCHEMA,
  weekdayOfDays,
} from '@tasse/core/plugin-kit'
import type * as RRulePackage from 'rrule'
import { FREQUENCIES, parseRecurrenceRule, type RecurrenceRule } from './recurrence-rule.js'

type RRuleModule = typeof RRulePackage
type RRuleInstance = InstanceType<RRuleModule['RRule']>
type RRuleOptions = NonNullable<ConstructorParameters<RRuleModule['RRule']>[0]>

let rruleModule: RRuleModule | undefined

/**
 * The rrule package (its CommonJS build), required by the first rrule trigger made: a host whose
 * tasks use none never loads it, ~15 ms of start-up and ~1 MB less (issue #19).
 */
function loadRRule(): RRuleModule {
  rruleModule ??= createRequire(import.meta.url)('rrule') as RRuleModule
  return rruleModule
}

/** The `trigger:` value, and the tag in every message of this plugin. */
export const TRIGGER_TYPE = 'rrule'
const TAG = 'trigger-rrule'

/** The options of `trigger: rrule`. */
export interface RruleTriggerOptions {
  /** One RFC 5545 RRULE, e.g. `FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1;BYHOUR=18`. */
  rrule: string
  /**
   * The rule's DTSTART, a wall time in `timezone` (`YYYY-MM-DD[ HH:MM:SS]`, whole seconds): the
   * anchor of INTERVAL and COUNT and the source of every BYxxx the rule leaves out (time of day,
   * weekday, day of month).
   */
  dtstart: string
  /** IANA zone of the rule's wall times. @default the host's zone (UTC unless set) */
  timezone?: string
  /** The last possible fire time (inclusive); UNTIL in the rule works too. */
  end_date?: string
  /** Delay each fire by up to this many seconds, at random (capped at end_date). @default 0 */
  jitter?: number
}

/** Every option key `trigger: rrule` accepts. */
export const RRULE_OPTION_KEYS: readonly string[] = [
  'rrule',
  'dtstart',
  'timezone',
  'end_date',
  'jitter',
]

/** Wall times after this end the sequence, as for the APScheduler triggers. */
const LAST_LOCAL = daysFromCivil(10_000, 1, 1) * SECONDS_PER_DAY - 1

/**
 * Builds a recurrence-rule trigger. The rule, `dtstart` and the rest are validated up front.
 * Each computation is independent of how far `now` is from `dtstart` (the rule is re-anchored
 * near `now`), except with COUNT, whose occurrences are expanded once and kept.
 *
 * @example
 * const lastWorkingDayOfQuarter = rruleTrigger(
 *   {
 *     rrule: 'FREQ=MONTHLY;BYMONTH=3,6,9,12;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1',
 *     dtstart: '2024-01-01 18:00:00',
 *     timezone: 'Europe/Paris',
 *   },
 *   { at: { file: 'tasks/close/task.yaml', field: 'scheduler' }, defaultTimezone: 'UTC', random: Math.random },
 * )
 * lastWorkingDayOfQuarter.nextFireTime(null, Date.parse('2024-04-01T00:00:00Z') * 1000)
 * // → 2024-06-28T18:00:00+02:00, as µs since the epoch
 */
export function rruleTrigger(
  options: Readonly<Record<string, unknown>>,
  context: TriggerContext,
): Trigger {
  const source: OptionSource = { context, tag: TAG }
  rejectUnknownOptions(options, RRULE_OPTION_KEYS, source)
  const zone = readTimeZoneOption(options, source)
  const rule = readRule(options, source)
  const dtstart = readDtstart(options, zone, source)
  const endDate = readDateTimeOption(options, 'end_date', zone, source)
  const jitter = readJitterOption(options, source)
  const untilInstant = rule.until
    ? (rule.until.utc ? rule.until.seconds : zone.wallToInstant(rule.until.seconds)) *
      MICROS_PER_SECOND
    : null
  const end = Math.min(
    endDate ?? Number.POSITIVE_INFINITY,
    untilInstant ?? Number.POSITIVE_INFINITY,
  )
  const walls = new RuleWalls(rule, dtstart)
  const description = `rrule[${String(options.rrule).trim()}, dtstart='${String(options.dtstart).trim()}']`

  return {
    type: TRIGGER_TYPE,
    timezone: zone.name,
    describe: () => description,
    nextFireTime: function rruleTrigger(previous: EpochMicros | null, now: EpochMicros) {
      const from = previous === null ? ceilToSecond(now) : secondAfter(previous)
      const second = nextInstant(walls, zone, from, end)
      if (second === null) return null
      const fire = second * MICROS_PER_SECOND
      if (jitter === 0) return fire
      const jittered = fire + jitterDelay(jitter, context.random)
      return Math.min(jittered, end)
    },
  }
}

/** The `TriggerFactory` registered for `trigger: rrule`. */
export const rruleTriggerFactory: TriggerFactory = {
  type: TRIGGER_TYPE,
  options: RRULE_OPTION_KEYS,
  schema: {
    description: 'An RFC 5545 recurrence rule, e.g. the last working day of each quarter.',
    properties: {
      rrule: {
        type: 'string',
        description: 'One RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=9',
        examples: ['FREQ=MONTHLY;BYMONTH=3,6,9,12;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1'],
      },
      dtstart: {
        ...dateTimeOptionSchema(
          "The rule's start, a wall time in timezone (whole seconds): the anchor of INTERVAL and COUNT and the default time of day.",
        ),
        type: 'string',
      },
      timezone: TIME_ZONE_OPTION_SCHEMA,
      end_date: dateTimeOptionSchema('The last possible fire time (inclusive).'),
      jitter: JITTER_OPTION_SCHEMA,
    },
    required: ['rrule', 'dtstart'],
  },
  create: rruleTrigger,
}

// ---------------------------------------------------------------------------------------------

/**
 * The first instant ≥ `start` (epoch seconds) of the rule's wall times, and ≤ `end` (µs): core's
 * `firstInstantAtOrAfter` walks the walls across daylight-saving transitions, each wall time in
 * its first occurrence (RFC 5545: a time in a gap moves forward by the gap's length).
 */
function nextInstant(walls: RuleWalls, zone: TimeZone, start: number, end: number): number | null {
  const instant = firstInstantAtOrAfter(zone, start, (local) => walls.next(local), false)
  return instant === null || instant * MICROS_PER_SECOND > end ? null : instant
}

/**
 * The rule's wall times (local seconds) at or after a given one. Without COUNT the rule is
 * re-anchored at the start of the period that holds the query (aligned with dtstart's periods,
 * every BYxxx made explicit), so `rrule` never walks from a distant dtstart. With COUNT every
 * occurrence depends on all before it: they are expanded once and searched.
 */
class RuleWalls {
  private readonly rule: RecurrenceRule
  private readonly dtstart: number
  private readonly explicit: RRuleOptions
  private readonly original: RRuleInstance
  private counted: Float64Array | undefined
  private anchored: { anchor: number; rrule: RRuleInstance } | undefined

  /** BYMONTH and BYMONTHDAY leave no day at all (`BYMONTH=2;BYMONTHDAY=30`): never fires. */
  private readonly impossible: boolean

  constructor(rule: RecurrenceRule, dtstart: number) {
    this.rule = rule
    this.dtstart = dtstart
    this.explicit = explicitOptions(rule, dtstart)
    this.original = new (loadRRule().RRule)({
      ...this.explicit,
      dtstart: dateOf(dtstart),
      count: rule.count ?? null,
    })
    this.impossible = !monthDaysExist(this.explicit)
  }

  /** The first wall time ≥ `local`, or `null`. */
  next(local: number): number | null {
    // `rrule` would walk to the year 9999 before saying so (15 s for a daily rule).
    if (this.impossible || local > LAST_LOCAL) return null
    if (this.rule.count !== undefined) return this.nextCounted(local)
    const anchor = this.anchorFor(local)
    let rrule = this.original
    if (anchor > this.dtstart) {
      if (this.anchored?.anchor !== anchor) {
        this.anchored = {
          anchor,
          rrule: new (loadRRule().RRule)({ ...this.explicit, dtstart: dateOf(anchor) }),
        }
      }
      rrule = this.anchored.rrule
    }
    const found = rrule.after(dateOf(local), true)
    if (!found) return null
    const seconds = found.getTime() / 1000
    return seconds > LAST_LOCAL ? null : seconds
  }

  private nextCounted(local: number): number | null {
    this.counted ??= Float64Array.from(this.original.all(), (date) => date.getTime() / 1000)
    const all = this.counted
    let low = 0
    let high = all.length
    while (low < high) {
      const middle = (low + high) >> 1
      if ((all[middle] as number) < local) low = middle + 1
      else high = middle
    }
    return low < all.length ? (all[low] as number) : null
  }

  /** The first second of the rule's period (year, month, week, …) that holds `local`, aligned with dtstart's. */
  private anchorFor(local: number): number {
    const { freq, interval } = this.rule
    const name = FREQUENCIES[freq]
    const startDays = Math.floor(this.dtstart / SECONDS_PER_DAY)
    const days = Math.floor(local / SECONDS_PER_DAY)
    const aligned = (value: number, origin: number) =>
      origin + Math.floor((value - origin) / interval) * interval
    switch (name) {
      case 'YEARLY': {
        const year = aligned(civilFromDays(days).year, civilFromDays(startDays).year)
        return daysFromCivil(year, 1, 1) * SECONDS_PER_DAY
      }
      case 'MONTHLY': {
        const at = civilFromDays(days)
        const origin = civilFromDays(startDays)
        const month = aligned(at.year * 12 + at.month - 1, origin.year * 12 + origin.month - 1)
        return daysFromCivil(Math.floor(month / 12), (month % 12) + 1, 1) * SECONDS_PER_DAY
      }
      case 'WEEKLY': {
        const wkst = this.rule.wkst ?? 0
        const weekStart = (d: number) => d - ((weekdayOfDays(d) - wkst + 7) % 7)
        const origin = weekStart(startDays)
        return (
          (origin + Math.floor((weekStart(days) - origin) / (7 * interval)) * 7 * interval) *
          SECONDS_PER_DAY
        )
      }
      case 'DAILY':
        return aligned(days, startDays) * SECONDS_PER_DAY
      case 'HOURLY':
        return aligned(Math.floor(local / 3600), Math.floor(this.dtstart / 3600)) * 3600
      case 'MINUTELY':
        return aligned(Math.floor(local / 60), Math.floor(this.dtstart / 60)) * 60
      default:
        return aligned(local, this.dtstart)
    }
  }
}

/**
 * The rule as `rrule` options with every default taken from dtstart written out (RFC 5545
 * §3.3.10, as python-dateutil and `rrule` derive them), so that moving dtstart changes nothing.
 */
function explicitOptions(rule: RecurrenceRule, dtstart: number): RRuleOptions {
  const days = Math.floor(dtstart / SECONDS_PER_DAY)
  const secondOfDay = dtstart - days * SECONDS_PER_DAY
  const { month, day } = civilFromDays(days)
  const name = FREQUENCIES[rule.freq]
  const options: RRuleOptions = {
    freq: rule.freq,
    interval: rule.interval,
    wkst: rule.wkst ?? 0,
    bysetpos: rule.bysetpos ?? null,
    bymonth: rule.bymonth ?? null,
    bymonthday: rule.bymonthday ?? null,
    byyearday: rule.byyearday ?? null,
    byweekno: rule.byweekno ?? null,
    byweekday: rule.byweekday?.map((d) => new (loadRRule().Weekday)(d.weekday, d.nth)) ?? null,
    byhour: rule.byhour ?? null,
    byminute: rule.byminute ?? null,
    bysecond: rule.bysecond ?? null,
  }
  if (!(rule.byweekno || rule.byyearday || rule.bymonthday || rule.byweekday)) {
    if (name === 'YEARLY') {
      options.bymonth ??= [month]
      options.bymonthday = [day]
    } else if (name === 'MONTHLY') options.bymonthday = [day]
    else if (name === 'WEEKLY') options.byweekday = [new (loadRRule().Weekday)(weekdayOfDays(days))]
  }
  if (rule.freq < 4) options.byhour ??= [Math.floor(secondOfDay / 3600)]
  if (rule.freq < 5) options.byminute ??= [Math.floor(secondOfDay / 60) % 60]
  if (rule.freq < 6) options.bysecond ??= [secondOfDay % 60]
  return options
}

/** Whether some month of BYMONTH (every month without it) has a day of BYMONTHDAY. */
function monthDaysExist(options: RRuleOptions): boolean {
  const list = (value: number | number[] | null | undefined) =>
    value === null || value === undefined ? [] : Array.isArray(value) ? value : [value]
  const days = list(options.bymonthday)
  if (days.length === 0) return true
  const months = list(options.bymonth)
  return (months.length ? months : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]).some((month) =>
    days.some((day) => Math.abs(day) <= (month === 2 ? 29 : daysInMonth(2001, month))),
  )
}

function readRule(
  options: Readonly<Record<string, unknown>>,
  source: OptionSource,
): RecurrenceRule {
  const value = options.rrule
  if (typeof value !== 'string') {
    optionError(
      source,
      'rrule',
      `must be an RFC 5545 RRULE string such as "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9", got ${show(value)}`,
    )
  }
  const rule = parseRecurrenceRule(value)
  if ('problem' in rule) optionError(source, 'rrule', `${rule.problem}, got ${show(value)}`)
  return rule
}

/** dtstart as a wall time in the trigger's zone (local seconds). */
function readDtstart(
  options: Readonly<Record<string, unknown>>,
  zone: TimeZone,
  source: OptionSource,
): number {
  const value = options.dtstart
  if (typeof value !== 'string') {
    optionError(
      source,
      'dtstart',
      `must be the rule's start as a date-time string such as "2024-01-01 09:00:00" (the anchor of INTERVAL and COUNT and the default time of day), got ${show(value)}`,
    )
  }
  const parsed = parseDateTime(value)
  if ('problem' in parsed) optionError(source, 'dtstart', `${parsed.problem}, got ${show(value)}`)
  if (parsed.localMicros % MICROS_PER_SECOND !== 0) {
    optionError(
      source,
      'dtstart',
      `must be whole seconds (RRULE times have no fraction), got ${show(value)}`,
    )
  }
  const local = parsed.localMicros / MICROS_PER_SECOND
  if (parsed.offsetSeconds === null) return local
  // An explicit offset pins an instant; the rule runs on the zone's wall clock from there.
  const instant = local - parsed.offsetSeconds
  return instant + zone.offsetAt(instant)
}

/** A wall time as the floating `Date` `rrule` works with (its UTC fields are the wall clock). */
function dateOf(local: number): Date {
  return new Date(local * 1000)
}
