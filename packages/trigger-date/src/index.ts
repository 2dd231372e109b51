/**
 * @tasse/trigger-date: APScheduler 3's date trigger (`trigger: date`, or no `trigger` at all).
 */
import { triggerPlugin } from '@tasse/core/plugin-kit'
import { dateTriggerFactory } from './date-trigger.js'

export {
  DATE_OPTION_KEYS,
  type DateTriggerOptions,
  dateTrigger,
  dateTriggerFactory,
  TRIGGER_TYPE,
} from './date-trigger.js'

/** Adds the `date` trigger factory. */
export const plugin = triggerPlugin({ name: '@tasse/trigger-date', factory: dateTriggerFactory })

export default plugin
