/**
 * Reads the `scheduler:` mapping of a task.yaml: picks the trigger factory, splits off
 * APScheduler's job options (which never change fire times) and validates them.
 */
import { TasseConfigError } from './errors.js'
import type { ConfigLocation, JobOptions, Trigger, TriggerFactory } from './types.js'
import { show, suggest, unknownKeyProblem } from './wording.js'

/** APScheduler 3's job defaults, which the original service used unchanged. */
export const DEFAULT_JOB_OPTIONS: Readonly<JobOptions> = Object.freeze({
  misfireGraceTime: 1,
  coalesce: true,
  maxInstances: 1,
})

/** APScheduler's job options, accepted in `scheduler:` beside any trigger's options. */
export const JOB_OPTION_KEYS = ['misfire_grace_time', 'coalesce', 'max_instances'] as const

export interface SchedulerConfig {
  trigger: Trigger
  job: JobOptions
}

export interface ReadSchedulerOptions {
  file: string
  factories: ReadonlyMap<string, TriggerFactory>
  defaultTimezone: string
  random?: () => number
}

/**
 * Builds the trigger and job options from a `scheduler:` value. Without `trigger`, the mapping
 * is a `date` trigger, as in APScheduler.
 */
export function readSchedulerConfig(
  value: unknown,
  options: ReadSchedulerOptions,
): SchedulerConfig {
  const at: ConfigLocation = { file: options.file, field: 'scheduler' }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TasseConfigError(
      at,
      `must be a mapping of trigger options (e.g. "trigger: interval" and "seconds: 10"), got ${show(value)}`,
    )
  }
  const mapping = value as Record<string, unknown>
  const type = mapping.trigger ?? 'date'
  const known = [...options.factories.keys()]
  if (typeof type !== 'string') {
    throw new TasseConfigError(
      { ...at, field: 'scheduler.trigger' },
      `must be a trigger type (${known.join(', ')}), got ${show(type)}`,
    )
  }
  const factory = options.factories.get(type)
  if (!factory) {
    throw new TasseConfigError(
      { ...at, field: 'scheduler.trigger' },
      // A custom type most often means its plugin is not loaded: say so where it is no typo.
      `${show(type)} ${unknownKeyProblem(type, known, 'trigger type')}${suggest(type, known) ? '' : ' (a trigger type from a plugin package needs that plugin loaded)'}`,
    )
  }

  const triggerOptions: Record<string, unknown> = {}
  const jobOptions: Record<string, unknown> = {}
  for (const [key, option] of Object.entries(mapping)) {
    if (key === 'trigger') continue
    if ((JOB_OPTION_KEYS as readonly string[]).includes(key)) jobOptions[key] = option
    else if (factory.options.includes(key)) triggerOptions[key] = option
    else
      throw new TasseConfigError(
        { ...at, field: `scheduler.${key}` },
        unknownKeyProblem(key, [...factory.options, ...JOB_OPTION_KEYS]) + ` for trigger "${type}"`,
        { tag: `trigger-${type}` },
      )
  }

  const trigger = factory.create(triggerOptions, {
    at,
    defaultTimezone: options.defaultTimezone,
    random: options.random ?? Math.random,
  })
  return { trigger, job: readJobOptions(jobOptions, at) }
}

/** Job options alone; `max_instances` may also come from the task's top level. */
export function readJobOptions(values: Record<string, unknown>, at: ConfigLocation): JobOptions {
  const job: JobOptions = { ...DEFAULT_JOB_OPTIONS }
  const where = (key: string) => ({ ...at, field: `${at.field}.${key}` })

  if ('misfire_grace_time' in values) {
    const grace = values.misfire_grace_time
    if (grace === null) job.misfireGraceTime = null
    else if (typeof grace === 'number' && Number.isInteger(grace) && grace > 0)
      job.misfireGraceTime = grace
    else
      throw new TasseConfigError(
        where('misfire_grace_time'),
        `must be a positive whole number of seconds, or null for no limit, got ${show(grace)}`,
      )
  }
  if ('coalesce' in values) {
    const coalesce = values.coalesce
    if (typeof coalesce !== 'boolean')
      throw new TasseConfigError(where('coalesce'), `must be true or false, got ${show(coalesce)}`)
    job.coalesce = coalesce
  }
  if ('max_instances' in values)
    job.maxInstances = readMaxInstances(values.max_instances, where('max_instances'))
  return job
}

/** `max_instances`: a positive integer. */
export function readMaxInstances(value: unknown, at: ConfigLocation): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value
  throw new TasseConfigError(at, `must be a positive whole number, got ${show(value)}`)
}
