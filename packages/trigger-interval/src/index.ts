/**
 * @tasse/trigger-interval: APScheduler 3's interval trigger (`trigger: interval`) for Tasse.
 */
import { type TassePlugin, TOKENS } from '@tasse/core'
import { intervalTriggerFactory } from './interval-trigger.js'

export {
  INTERVAL_OPTION_KEYS,
  type IntervalTriggerOptions,
  intervalTrigger,
  intervalTriggerFactory,
  TRIGGER_TYPE,
} from './interval-trigger.js'

/** Registers the `interval` trigger factory. */
export const plugin: TassePlugin = {
  name: '@tasse/trigger-interval',
  register(container) {
    container.register(TOKENS.TriggerFactory, { useValue: intervalTriggerFactory })
  },
}

export default plugin
