/**
 * `@tasse/core/plugin-kit`: what a plugin author needs, and nothing an embedder does.
 */
import type { TassePlugin, TriggerFactory } from './types.js'

export interface TriggerPluginOptions {
  /** The package name, e.g. `@tasse/trigger-cron`. */
  name: string
  version?: string
  /** The factory of the plugin's `trigger:` type. */
  factory: TriggerFactory
}

/**
 * The plugin of a trigger package: it adds one trigger factory.
 *
 * @example
 * import { triggerPlugin } from '@tasse/core/plugin-kit'
 * import type { TriggerFactory } from '@tasse/core'
 * declare const everyFactory: TriggerFactory
 * export const plugin = triggerPlugin({ name: '@acme/trigger-every', factory: everyFactory })
 */
export function triggerPlugin(options: TriggerPluginOptions): TassePlugin {
  return {
    name: options.name,
    ...(options.version !== undefined ? { version: options.version } : {}),
    register: function triggerPlugin(context) {
      context.addTrigger(options.factory)
    },
  }
}
