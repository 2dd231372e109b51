/**
 * @tasse/trigger-rrule: RFC 5545 recurrence rules (`trigger: rrule`) for Tasse.
 */
import { triggerPlugin } from '@tasse/core/plugin-kit'
import { rruleTriggerFactory } from './rrule-trigger.js'

export { parseRecurrenceRule, type RecurrenceRule } from './recurrence-rule.js'
export {
  RRULE_OPTION_KEYS,
  type RruleTriggerOptions,
  rruleTrigger,
  rruleTriggerFactory,
  TRIGGER_TYPE,
} from './rrule-trigger.js'

/** Adds the `rrule` trigger factory. */
export const plugin = triggerPlugin({ name: '@tasse/trigger-rrule', factory: rruleTriggerFactory })

export default plugin
