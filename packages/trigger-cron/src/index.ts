/**
 * @tasse/trigger-cron: APScheduler 3's cron trigger (`trigger: cron`) for Tasse.
 */
import { type TassePlugin, TOKENS } from '@tasse/core'
import { cronTriggerFactory } from './cron-trigger.js'

export { CRON_FIELD_NAMES, type CronFieldName } from './cron-fields.js'
export {
  CRON_OPTION_KEYS,
  type CronFieldValue,
  type CronTriggerOptions,
  cronTrigger,
  cronTriggerFactory,
  TRIGGER_TYPE,
} from './cron-trigger.js'

/** Registers the `cron` trigger factory. */
export const plugin: TassePlugin = {
  name: '@tasse/trigger-cron',
  register(container) {
    container.register(TOKENS.TriggerFactory, { useValue: cronTriggerFactory })
  },
}

export default plugin
