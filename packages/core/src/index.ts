/**
 * @tasse/core: the public API. Anything not exported here is internal.
 */
export {
  Catalog,
  type CatalogChanges,
  type CatalogEntry,
  type LoadCatalogOptions,
  loadCatalog,
  type TaskCatalog,
  type TaskInfo,
} from './catalog.js'
export { LocalChangeFeed, runChange } from './change-feed.js'
export { formatDuration, readDuration } from './duration.js'
export {
  BadCursorError,
  HostConflictError,
  InvalidParamError,
  RunRefusedError,
  TaskNotFoundError,
  TasseConfigError,
  TasseError,
  type TasseErrorCode,
  type TasseErrorOptions,
} from './errors.js'
export { type TasseEventMap, type TasseEventName, TasseEvents } from './events.js'
export { type ExtensionPoints, Extensions, registerPlugins } from './extensions.js'
export { type FileLogSinkOptions, fileLogSink, runLogPath } from './file-log-sink.js'
export { DEFAULT_FILE_MODE, directoryMode } from './file-modes.js'
export { upcomingFireTimes } from './fire-times.js'
export { lazyRunStore } from './lazy-run-store.js'
export { consoleLogger } from './logger.js'
export { MemoryRunStore, type MemoryRunStoreOptions } from './memory-store.js'
export { validateParams } from './params.js'
export { type PlainRunnerOptions, pickRunner, plainRunners } from './plain-runners.js'
export { redactUrl } from './redact-url.js'
export { newRunId } from './run-id.js'
export { openRunLog, type RunLogReader } from './run-log.js'
export {
  checkPruneOptions,
  checkRunLimit,
  DEFAULT_RUN_PAGE_SIZE,
  decodeRunCursor,
  encodeRunCursor,
  type PruneOptions,
} from './run-store-args.js'
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
export { MAX_TIMER_DELAY_MS } from './scheduler.js'
export { DEFAULT_JOB_OPTIONS, readJobOptions, readSchedulerConfig } from './scheduler-config.js'
export { checkMigrationOrder, NewerSchemaError } from './store-migrations.js'
export { runStorePlugin } from './store-plugin.js'
export { checkTaskFile, type TaskFileCheck } from './task-files.js'
export { HOST_ONLY_ENV, taskBaseEnv } from './task-env.js'
export {
  DEFAULT_ENTRYPOINTS,
  displayPath,
  isValidTaskName,
  type LoadTaskOptions,
  loadTask,
  loadTaskSchedule,
  TASK_NAME_PATTERN,
} from './task-loader.js'
export { createTasse, Tasse } from './tasse.js'
export { DEFAULT_CONCURRENCY, DEFAULT_RETENTION, type TasseOptions } from './tasse-options.js'
export * from './time/index.js'
export * from './types.js'
export { show, suggest, unknownKeyProblem } from './wording.js'
