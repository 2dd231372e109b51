/**
 * @tasse/trigger-interval: APScheduler 3's interval trigger (`trigger: interval`) for Tasse.
 */
import { triggerPlugin } from '@tasse/core/plugin-kit'
import { intervalTriggerFactory } from './interval-trigger.js'

export {
  INTERVAL_OPTION_KEYS,
  INTERVAL_OPTIONS_SCHEMA,
  type IntervalTriggerOptions,
  intervalTrigger,
  intervalTriggerFactory,
  TRIGGER_TYPE,
} from './interval-trigger.js'

/** Adds the `interval` trigger factory. */
export const plugin = triggerPlugin({
  name: '@tasse/trigger-interval',
  factory: intervalTriggerFactory,
})

export default plugin
