/**
 * `trigger: date`: APScheduler 3's `DateTrigger` (APSCHEDULER.md §5): one fire, at `run_date`,
 * even if it is in the past. A `scheduler:` mapping without `trigger` is a date trigger.
 */
import {
  type EpochMicros,
  formatInstant,
  type Trigger,
  type TriggerContext,
  type TriggerFactory,
} from '@tasse/core'
import {
  dateTimeOptionSchema,
  type OptionSource,
  optionError,
  readDateTimeOption,
  readTimeZoneOption,
  TIME_ZONE_OPTION_SCHEMA,
  unknownKeyProblem,
} from '@tasse/core/plugin-kit'

/** The `trigger:` value, and the tag in every message of this plugin. */
export const TRIGGER_TYPE = 'date'
const TAG = 'trigger-date'

/** The options of `trigger: date`. */
export interface DateTriggerOptions {
  /**
   * When to fire: `YYYY-MM-DD[ HH:MM:SS[.ffffff]][Z|±HH:MM]`, kept to the microsecond. A naive
   * time in a daylight-saving gap moves forward by the gap; a repeated one is its first pass.
   * @default now (the moment the schedule is first computed)
   */
  run_date?: string
  /** IANA zone of a naive `run_date` and of the fire time shown. @default the host's zone (UTC unless set) */
  timezone?: string
}

/** Every option key `trigger: date` accepts. */
export const DATE_OPTION_KEYS: readonly string[] = ['run_date', 'timezone']

/** Keys of the other triggers that people put on a date trigger, and why they do not apply. */
const NOT_FOR_DATE: Record<string, string> = {
  start_date:
    'a date trigger fires once, at run_date; use run_date, or an interval or cron trigger',
  end_date:
    'a date trigger fires once, at run_date; end_date belongs to interval and cron triggers',
  jitter: 'APScheduler has no jitter on date triggers; write the delay into run_date',
}

/**
 * Builds an APScheduler-3 date trigger: a single fire time, `run_date` (or now, without one).
 *
 * @example
 * const trigger = dateTrigger(
 *   { run_date: '2024-03-31T02:30:00', timezone: 'Europe/Paris' },
 *   { at: { file: 'tasks/once/task.yaml', field: 'scheduler' }, defaultTimezone: 'UTC', random: Math.random },
 * )
 * trigger.nextFireTime(null, 0) // → 2024-03-31T03:30:00+02:00 (moved out of the gap), in µs
 * trigger.nextFireTime(1_711_848_600_000_000, 0) // → null: it fires once
 */
export function dateTrigger(
  options: Readonly<Record<string, unknown>>,
  context: TriggerContext,
): Trigger {
  const source: OptionSource = { context, tag: TAG }
  for (const key of Object.keys(options)) {
    const reason = NOT_FOR_DATE[key]
    if (reason) optionError(source, key, `is not an option of a date trigger: ${reason}`)
    if (!DATE_OPTION_KEYS.includes(key))
      optionError(source, key, unknownKeyProblem(key, DATE_OPTION_KEYS))
  }
  const zone = readTimeZoneOption(options, source)
  const runDate = readDateTimeOption(options, 'run_date', zone, source)
  const description = runDate === null ? 'date[now]' : `date[${formatInstant(runDate, zone)}]`

  return {
    type: TRIGGER_TYPE,
    timezone: zone.name,
    describe: () => description,
    nextFireTime: function dateTrigger(previous: EpochMicros | null, now: EpochMicros) {
      if (previous !== null) return null
      return runDate ?? now
    },
  }
}

/** The `TriggerFactory` registered for `trigger: date` (and for a `scheduler:` without `trigger`). */
export const dateTriggerFactory: TriggerFactory = {
  type: TRIGGER_TYPE,
  options: DATE_OPTION_KEYS,
  schema: {
    description: "Once, at run_date, even if it is past (APScheduler 3's DateTrigger).",
    properties: {
      run_date: dateTimeOptionSchema('When to fire, to the microsecond. Default: now.'),
      timezone: TIME_ZONE_OPTION_SCHEMA,
    },
  },
  create: dateTrigger,
}
