/**
 * `@tasse/core`: what an embedder uses. Anything not exported here is internal; plugin authors
 * find their helpers in `@tasse/core/plugin-kit`, contract suites in `@tasse/core/testing`.
 */

export {
  DEFAULT_ALERT_EVENTS,
  DEFAULT_RATE_LIMIT_MS,
  ENV_REFERENCE,
  expandReferences,
  readNotify,
  readNotifyFile,
} from './alert-fields.js'
// Reading tasks without running anything: discovery, validation, fire times.
export {
  type CatalogChanges,
  type CatalogEntry,
  type LoadCatalogOptions,
  loadCatalog,
  type TaskCatalog,
  type TaskInfo,
} from './catalog.js'
// Errors callers branch on.
export {
  BadCursorError,
  HostConflictError,
  InvalidParamError,
  RunRefusedError,
  TaskNotFoundError,
  TasseConfigError,
  TasseError,
  type TasseErrorCode,
} from './errors.js'
export { type TasseEventMap, type TasseEventName, TasseEvents } from './events.js'
// What plugins provide, and core's own implementations.
export { type ExtensionPoints, registerPlugins } from './extensions.js'
export { releaseFreeMemory, spawnPath } from './fast-spawn.js'
export { type FileLogSinkOptions, fileLogSink, runLogPath } from './file-log-sink.js'
export { upcomingFireTimes } from './fire-times.js'
export { type FireStep, traceFire } from './fire-trace.js'
export { consoleLogger } from './logger.js'
export { MemoryRunStore, type MemoryRunStoreOptions } from './memory-store.js'
export { overdueReason } from './overdue.js'
export { unschedulableParams } from './params.js'
export { type PlainRunnerOptions, pickRunner, plainRunners } from './plain-runners.js'
export { taskUserProblem } from './run-access.js'
export type { CgroupChoice } from './run-cgroup.js'
export { describeLimits, formatBytes, OUT_OF_MEMORY } from './run-limits.js'
export { openRunLog, type RunLogReader } from './run-log.js'
export { type RunUser, resolveUser, switchUserProblem, userEnv } from './run-user.js'
export { readUser } from './task-access-fields.js'
export { checkTaskFile, type TaskFileCheck } from './task-files.js'
export type { TaskAlert, TaskHealthView } from './task-health.js'
export {
  effectiveLimits,
  LIMIT_KEYS,
  type LimitKey,
  NO_LIMITS,
  type RunLimits,
  readLimits,
} from './task-limits.js'
export {
  displayPath,
  inspectTask,
  isValidTaskName,
  type LoadTaskOptions,
  loadTask,
  loadTaskSchedule,
  type TaskInspection,
} from './task-loader.js'
export { JSON_SCHEMA_DIALECT, taskYamlSchema } from './task-schema.js'
export { parseTaskYaml } from './task-yaml.js'
// Running tasks: the instance, its options and events.
export { createTasse, Tasse } from './tasse.js'
export { DEFAULT_CONCURRENCY, DEFAULT_RETENTION, type TasseOptions } from './tasse-options.js'

// Instants as runs and schedules show them.
export { formatInstant, formatMillis } from './time/iso.js'
export { transitionNote } from './time/transition-note.js'
export { isTimeZoneName, type TimeZone, timeZone, timeZoneProblem } from './time/zone.js'

// Every contract: the task model, runs, triggers, runners, log sinks, run stores, plugins.
export * from './types.js'
