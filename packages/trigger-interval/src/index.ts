/**
 * @tasse/trigger-interval: APScheduler 3's interval trigger (weeks, days, hours, minutes,
 * seconds), as elapsed time.
 *
 * NOTE: a first cut for the foundation (amounts only); start_date, end_date, timezone and
 * jitter arrive with the APScheduler-exact triggers (issue #3).
 */
import {
  type ConfigLocation,
  type EpochMicros,
  show,
  TasseConfigError,
  type TassePlugin,
  TOKENS,
  type Trigger,
  type TriggerFactory,
} from '@tasse/core'

export const TRIGGER_TYPE = 'interval'

const AMOUNTS = { weeks: 604_800, days: 86_400, hours: 3600, minutes: 60, seconds: 1 } as const

export type IntervalTriggerOptions = Partial<Record<keyof typeof AMOUNTS, number>>

/**
 * An interval trigger: the first fire is `now + interval`, then every `interval` of elapsed time.
 *
 * @example
 * intervalTrigger({ seconds: 10 }, { file: 'task.yaml', field: 'scheduler' })
 */
export function intervalTrigger(options: IntervalTriggerOptions, at: ConfigLocation): Trigger {
  let seconds = 0
  for (const [key, value] of Object.entries(options)) {
    const unit = AMOUNTS[key as keyof typeof AMOUNTS]
    if (unit === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new TasseConfigError(
        { ...at, field: `${at.field}.${key}` },
        `must be a number, got ${show(value)}`,
        {
          tag: `trigger-${TRIGGER_TYPE}`,
        },
      )
    seconds += value * unit
  }
  const everyMicros = Math.round((seconds || 1) * 1e6)
  return {
    type: TRIGGER_TYPE,
    timezone: 'UTC',
    describe: () => `every ${everyMicros / 1e6} seconds`,
    nextFireTime: function intervalTrigger(previous: EpochMicros | null, now: EpochMicros) {
      return previous === null ? now + everyMicros : previous + everyMicros
    },
  }
}

const factory: TriggerFactory = {
  type: TRIGGER_TYPE,
  options: Object.keys(AMOUNTS),
  create: (options, context) => intervalTrigger(options as IntervalTriggerOptions, context.at),
}

export const plugin: TassePlugin = {
  name: '@tasse/trigger-interval',
  register: (container) => container.register(TOKENS.TriggerFactory, { useValue: factory }),
}
