/**
 * @tasse/trigger-cron: APScheduler 3's cron trigger (`trigger: cron`) for Tasse.
 */
import { triggerPlugin } from '@tasse/core/plugin-kit'
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

/** Adds the `cron` trigger factory. */
export const plugin = triggerPlugin({ name: '@tasse/trigger-cron', factory: cronTriggerFactory })

export default plugin
