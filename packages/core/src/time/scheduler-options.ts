/**
 * Readers for the options that several triggers share (`timezone`, `start_date`, `end_date`,
 * `run_date`, `jitter`) and the unknown-key check. Each one throws a `TasseConfigError` that
 * names the file, the key (`scheduler.<key>`), what is expected and what was found.
 */
import { TasseConfigError } from '../errors.js'
import type { ConfigLocation, EpochMicros, JsonSchema, TriggerContext } from '../types.js'
import { show, unknownKeyProblem } from '../wording.js'
import { DATE_TIME, instantOfDateTime, MICROS_PER_SECOND, parseDateTime } from './iso.js'
import { type TimeZone, timeZone, timeZoneProblem } from './zone.js'

/** What the readers need from a `TriggerContext`, plus the plugin's tag for messages. */
export interface OptionSource {
  context: Pick<TriggerContext, 'at' | 'defaultTimezone'>
  /** The plugin's tag in messages, e.g. `trigger-cron`. */
  tag: string
}

/** Where `scheduler.<key>` is, for error messages. */
export function optionLocation(context: Pick<TriggerContext, 'at'>, key: string): ConfigLocation {
  const parent = context.at.field || 'scheduler'
  return { file: context.at.file, field: `${parent}.${key}` }
}

/** Throws the `TasseConfigError` for `scheduler.<key>`: `problem` should read "must be …, got …". */
export function optionError(
  source: OptionSource,
  key: string,
  problem: string,
  cause?: unknown,
): never {
  throw new TasseConfigError(optionLocation(source.context, key), problem, {
    tag: source.tag,
    cause,
  })
}

/** Rejects every key of `options` not in `known`, suggesting the near miss (`minutes` → `minute`). */
export function rejectUnknownOptions(
  options: Readonly<Record<string, unknown>>,
  known: readonly string[],
  source: OptionSource,
): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) optionError(source, key, unknownKeyProblem(key, known))
  }
}

/** `timezone`: an IANA name or link; without it, the context's default (UTC unless configured). */
export function readTimeZoneOption(
  options: Readonly<Record<string, unknown>>,
  source: OptionSource,
): TimeZone {
  const value = options.timezone
  if (value === undefined || value === null) return timeZone(source.context.defaultTimezone)
  const problem = timeZoneProblem(value)
  if (problem) optionError(source, 'timezone', `${problem}, got ${show(value)}`)
  return timeZone(value as string)
}

/**
 * A date-time option (`start_date`, `end_date`, `run_date`) as an instant, or `null` when absent.
 * Strings follow APSCHEDULER.md §2; a naive one is a wall time in `zone`.
 */
export function readDateTimeOption(
  options: Readonly<Record<string, unknown>>,
  key: string,
  zone: TimeZone,
  source: OptionSource,
): EpochMicros | null {
  const value = options[key]
  if (value === undefined || value === null) return null
  // A YAML loader with a timestamp type hands over a Date: an instant already.
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime() * 1000
  if (typeof value !== 'string') {
    optionError(
      source,
      key,
      `must be a date-time string such as "2024-03-31 09:00:00", got ${show(value)}`,
    )
  }
  const parsed = parseDateTime(value)
  if ('problem' in parsed) optionError(source, key, `${parsed.problem}, got ${show(value)}`)
  return instantOfDateTime(parsed, zone)
}

/** `jitter`: seconds (int or float) ≥ 0, as microseconds; 0 when absent. */
export function readJitterOption(
  options: Readonly<Record<string, unknown>>,
  source: OptionSource,
): number {
  const value = options.jitter
  if (value === undefined || value === null) return 0
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    optionError(
      source,
      'jitter',
      `must be a number of seconds ≥ 0 (int or float), got ${show(value)}`,
    )
  }
  return Math.round(value * MICROS_PER_SECOND)
}

/** A uniformly random delay in [0, jitter] microseconds, as APScheduler's `random.uniform(0, J)`. */
export function jitterDelay(jitterMicros: number, random: () => number): number {
  return jitterMicros === 0 ? 0 : Math.round(random() * jitterMicros)
}

// The same options as JSON Schema, for `TriggerFactory.schema` (null is absence, as above).

/** `timezone` as JSON Schema: a name (which names exist, only the reader knows). */
export const TIME_ZONE_OPTION_SCHEMA: JsonSchema = {
  type: ['string', 'null'],
  pattern: '\\S',
  description:
    "IANA time zone of naive dates and of the fire times shown, e.g. Europe/Paris. Default: the host's zone (TASSE_TIMEZONE, UTC unless set).",
  examples: ['Europe/Paris', 'America/New_York', 'UTC'],
}

/** A date-time option (`start_date`, `end_date`, `run_date`) as JSON Schema. */
export function dateTimeOptionSchema(description: string): JsonSchema {
  return {
    type: ['string', 'null'],
    pattern: DATE_TIME.source,
    description: `${description} YYYY-MM-DD[ HH:MM:SS[.ffffff]], optionally with "T", "Z" or ±HH:MM.`,
    examples: ['2024-03-31 09:00:00'],
  }
}

/** `jitter` as JSON Schema. */
export const JITTER_OPTION_SCHEMA: JsonSchema = {
  type: ['number', 'null'],
  minimum: 0,
  description: 'Delay each fire by up to this many seconds, at random. Default: 0.',
}
