/**
 * `trigger: cron`: APScheduler 3's `CronTrigger`, option for option, with Tasse's
 * daylight-saving policy (APSCHEDULER.md §3, §6, §7.1).
 */
import type {
  EpochMicros,
  Trigger,
  TriggerContext,
  TriggerFactory,
  TriggerOptionsSchema,
} from '@tasse/core'
import {
  ceilToSecond,
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
  secondAfter,
  TIME_ZONE_OPTION_SCHEMA,
} from '@tasse/core/plugin-kit'
import {
  CRON_FIELD_NAMES,
  CronFieldError,
  type CronFieldName,
  FIELD_SPECS,
  parseCronFields,
} from './cron-fields.js'
import { CronSchedule } from './cron-schedule.js'

/** The `trigger:` value, and the tag in every message of this plugin. */
export const TRIGGER_TYPE = 'cron'
const TAG = 'trigger-cron'

/** A cron field: an integer or an expression string (`"*​/5"`, `"mon-fri"`, `"last sun"`). */
export type CronFieldValue = number | string

/** The options of `trigger: cron`, named and read as APScheduler 3 reads them. */
export interface CronTriggerOptions {
  /** 4-digit year, 1970-9999. */
  year?: CronFieldValue
  /** Month 1-12 or `jan`-`dec`. */
  month?: CronFieldValue
  /** Day of the month 1-31, `last`, `1st`..`5th <wd>`, `last <wd>`. */
  day?: CronFieldValue
  /** ISO 8601 week 1-53. */
  week?: CronFieldValue
  /** Weekday 0-6 with **0 = Monday**, or `mon`-`sun`. ANDed with `day`. */
  day_of_week?: CronFieldValue
  hour?: CronFieldValue
  minute?: CronFieldValue
  second?: CronFieldValue
  /** First possible fire time (inclusive): `YYYY-MM-DD[ HH:MM:SS[.ffffff]][Z|±HH:MM]`. */
  start_date?: string
  /** Last possible fire time (inclusive); a date alone means midnight at its start. */
  end_date?: string
  /** IANA zone of the fields and of naive dates. @default the host's zone (UTC unless set) */
  timezone?: string
  /** Delay each fire by up to this many seconds, at random. @default 0 */
  jitter?: number
}

/** Every option key `trigger: cron` accepts. */
export const CRON_OPTION_KEYS: readonly string[] = [
  ...CRON_FIELD_NAMES,
  'start_date',
  'end_date',
  'timezone',
  'jitter',
]

/**
 * Builds an APScheduler-3 cron trigger. Validates every option up front and throws a
 * `TasseConfigError` naming the file, `scheduler.<key>`, what is expected and what was found.
 *
 * @example
 * const trigger = cronTrigger(
 *   { day_of_week: 'mon-fri', hour: 17, minute: 30, timezone: 'Europe/Paris' },
 *   { at: { file: 'tasks/report/task.yaml', field: 'scheduler' }, defaultTimezone: 'UTC', random: Math.random },
 * )
 * trigger.nextFireTime(null, Date.parse('2024-03-29T12:00:00Z') * 1000)
 * // → 2024-03-29T17:30:00+01:00, as µs since the epoch
 */
export function cronTrigger(
  options: Readonly<Record<string, unknown>>,
  context: TriggerContext,
): Trigger {
  const source: OptionSource = { context, tag: TAG }
  rejectUnknownOptions(options, CRON_OPTION_KEYS, source)
  const zone = readTimeZoneOption(options, source)
  const startDate = readDateTimeOption(options, 'start_date', zone, source)
  const endDate = readDateTimeOption(options, 'end_date', zone, source)
  const jitter = readJitterOption(options, source)
  const fields = readFields(options, source)
  const schedule = new CronSchedule(fields, zone)
  const description = `cron[${fields
    .filter((field) => !field.isDefault)
    .map((field) => `${field.name}='${field.expression}'`)
    .join(', ')}]`

  return {
    type: TRIGGER_TYPE,
    timezone: zone.name,
    describe: () => description,
    nextFireTime: function cronTrigger(previous: EpochMicros | null, now: EpochMicros) {
      // The first fire time is at or after max(now, start_date); later ones strictly after the
      // previous (jittered) one, whatever `now` says: catching up is the scheduler's business.
      let from = previous === null ? ceilToSecond(now) : secondAfter(previous)
      if (startDate !== null) from = Math.max(from, ceilToSecond(startDate))
      const second = schedule.nextFire(from)
      if (second === null) return null
      const fire = second * MICROS_PER_SECOND
      if (endDate !== null && fire > endDate) return null
      if (jitter === 0) return fire
      const jittered = fire + jitterDelay(jitter, context.random)
      return endDate !== null && jittered > endDate ? endDate : jittered
    },
  }
}

/**
 * The options as JSON Schema (task.yaml's schema has it under `trigger: cron`): a field is an
 * integer in its range or an expression, which only the trigger reads.
 */
export const CRON_OPTIONS_SCHEMA: TriggerOptionsSchema = {
  description: "When every field matches (APScheduler 3's CronTrigger; day_of_week 0 is Monday).",
  properties: {
    ...Object.fromEntries(
      CRON_FIELD_NAMES.map((name) => {
        const { min, max, label } = FIELD_SPECS[name]
        return [
          name,
          {
            anyOf: [
              { type: 'null' },
              { type: 'integer', minimum: min, maximum: max },
              { type: 'string', pattern: '\\S' },
            ],
            description: `${label}, or a cron expression such as "*/5", "1-5" or "mon-fri"`,
          },
        ]
      }),
    ),
    start_date: dateTimeOptionSchema('The first possible fire time (inclusive).'),
    end_date: dateTimeOptionSchema(
      'The last possible fire time (inclusive); a date alone means midnight at its start.',
    ),
    timezone: TIME_ZONE_OPTION_SCHEMA,
    jitter: JITTER_OPTION_SCHEMA,
  },
}

/** The `TriggerFactory` registered for `trigger: cron`. */
export const cronTriggerFactory: TriggerFactory = {
  type: TRIGGER_TYPE,
  options: CRON_OPTION_KEYS,
  schema: CRON_OPTIONS_SCHEMA,
  create: cronTrigger,
}

function readFields(options: Readonly<Record<string, unknown>>, source: OptionSource) {
  const values: Partial<Record<CronFieldName, unknown>> = {}
  for (const name of CRON_FIELD_NAMES) values[name] = options[name]
  try {
    return parseCronFields(values)
  } catch (error) {
    if (error instanceof CronFieldError) optionError(source, error.field, error.problem)
    throw error
  }
}
