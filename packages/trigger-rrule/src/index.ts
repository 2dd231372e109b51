/**
 * @tasse/trigger-rrule: RFC 5545 recurrence rules (`trigger: rrule`) for Tasse.
 */
import { type TassePlugin, TOKENS } from '@tasse/core'
import { rruleTriggerFactory } from './rrule-trigger.js'

export { parseRecurrenceRule, type RecurrenceRule } from './recurrence-rule.js'
export {
  RRULE_OPTION_KEYS,
  type RruleTriggerOptions,
  rruleTrigger,
  rruleTriggerFactory,
  TRIGGER_TYPE,
} from './rrule-trigger.js'

/** Registers the `rrule` trigger factory. */
export const plugin: TassePlugin = {
  name: '@tasse/trigger-rrule',
  register(container) {
    container.register(TOKENS.TriggerFactory, { useValue: rruleTriggerFactory })
  },
}

export default plugin
