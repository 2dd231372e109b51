/**
 * @tasse/trigger-date: APScheduler 3's date trigger (`trigger: date`, or no `trigger` at all).
 */
import { type TassePlugin, TOKENS } from '@tasse/core'
import { dateTriggerFactory } from './date-trigger.js'

export {
  DATE_OPTION_KEYS,
  type DateTriggerOptions,
  dateTrigger,
  dateTriggerFactory,
  TRIGGER_TYPE,
} from './date-trigger.js'

/** Registers the `date` trigger factory. */
export const plugin: TassePlugin = {
  name: '@tasse/trigger-date',
  register(container) {
    container.register(TOKENS.TriggerFactory, { useValue: dateTriggerFactory })
  },
}

export default plugin
