/**
 * tasse-trigger-business-days: `trigger: business_days` for Tasse, the example plugin of
 * docs/writing-a-plugin.md. The default export is a factory (the host calls it with the
 * `options:` of its `plugins:` entry); `plugin` is the plugin without options.
 */
import type { TassePlugin } from '@tasse/core'
import { triggerPlugin } from '@tasse/core/plugin-kit'
import { type BusinessDaysPluginOptions, businessDaysFactory } from './business-days.js'

export {
  BUSINESS_DAYS_OPTION_KEYS,
  type BusinessDaysPluginOptions,
  businessDaysFactory,
  businessDaysTrigger,
  TRIGGER_TYPE,
} from './business-days.js'

/** The plugin, with `options.holidays` skipped by every task of this trigger. */
export default function businessDaysPlugin(options: BusinessDaysPluginOptions = {}): TassePlugin {
  return triggerPlugin({
    name: 'tasse-trigger-business-days',
    factory: businessDaysFactory(options),
  })
}

/** The plugin without options. */
export const plugin: TassePlugin = businessDaysPlugin()
