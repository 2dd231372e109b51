/**
 * `@tasse/core/plugin-kit`: what a plugin author needs besides the contracts (which
 * `@tasse/core` exports): the plugin makers, the readers of the options triggers share, the
 * time helpers, the error helpers, and the argument checks every run store shares.
 */
import type { TassePlugin, TriggerFactory } from './types.js'

export { LocalChangeFeed, runChange } from './change-feed.js'
export { formatDuration, MAX_DURATION_MS, readDuration } from './duration.js'
export {
  BadCursorError,
  HostConflictError,
  TasseConfigError,
  TasseError,
  type TasseErrorOptions,
} from './errors.js'
export { DEFAULT_FILE_MODE, directoryMode } from './file-modes.js'
export { lazyRunStore } from './lazy-run-store.js'
export { redactUrl } from './redact-url.js'
export { newRunId } from './run-id.js'
export {
  checkPruneOptions,
  checkRunLimit,
  DEFAULT_RUN_PAGE_SIZE,
  decodeRunCursor,
  encodeRunCursor,
  type PruneOptions,
} from './run-store-args.js'
// What every run store shares: argument checks, the rules of the cluster calls, SQL rows.
export {
  capChunk,
  changesFinalStatus,
  checkAdmissionWrites,
  checkClaim,
  checkHostRegistration,
  checkLease,
  checkOutputCap,
  checkOutputChunk,
  checkOutputRead,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_OUTPUT_PAGE_CHUNKS,
  finalStatusError,
  outputPage,
  takenOverError,
  UNFINISHED_RUN_STATUSES,
} from './run-store-cluster.js'
export {
  type CancelRequestRow,
  cancelRequestFromRow,
  cancelRequestsQuery,
  type HostRow,
  hostFromRow,
  type OutputRow,
  outputChunkFromRow,
  RUN_COLUMNS,
  type RunRow,
  runFromRow,
  runRowValues,
  type TaskStateRow,
  taskStateFromRow,
} from './run-store-rows.js'
export { checkMigrationOrder, NewerSchemaError } from './store-migrations.js'
export { runStorePlugin } from './store-plugin.js'
export { HOST_ONLY_ENV, taskBaseEnv } from './task-env.js'
export { parseYamlMapping } from './task-yaml.js'
// The calendar, zones, date-time strings, the daylight-saving walk and the option readers.
export * from './time/index.js'
export { show, suggest, unknownKeyProblem } from './wording.js'

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
 * import type { TriggerFactory } from '@tasse/core'
 * import { triggerPlugin } from '@tasse/core/plugin-kit'
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
