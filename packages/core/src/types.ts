/**
 * Every contract of Tasse in one file: the task model, runs, and the four extension points
 * (Trigger, Runner, LogSink, RunStore). Plugins implement these; core depends on nothing else.
 */
import type { DependencyContainer } from 'tsyringe'

/**
 * An instant as whole microseconds since the Unix epoch.
 *
 * NOTE: not a `Date`: APScheduler keeps microseconds (an interval keeps those of `start_date`,
 * a date trigger those of `run_date`), and a millisecond type cannot. A double holds every whole
 * microsecond exactly up to the year 2255 and every whole second up to beyond 9999, which covers
 * cron (whole seconds) over its full range.
 */
export type EpochMicros = number

/** Where a value came from, for error messages: the file and the dotted key inside it. */
export interface ConfigLocation {
  /** Path of the file, as shown to the user (relative to the working directory when shorter). */
  file: string
  /** Dotted key path inside the file, e.g. `scheduler.hour`. Empty for the file as a whole. */
  field: string
}

// ---------------------------------------------------------------------------------------------
// Triggers

/** A schedule: pure maths, no timers (core owns the one timer of the whole schedule). */
export interface Trigger {
  /** The `trigger:` type that made it, e.g. `cron`. */
  readonly type: string
  /** IANA zone in which fire times are computed and shown. */
  readonly timezone: string
  /** A short human description, e.g. `every 10 seconds` or `cron[day_of_week='mon-fri', hour='17']`. */
  describe(): string
  /**
   * APScheduler 3's `get_next_fire_time(previous_fire_time, now)`: the first fire time, given
   * `previous === null`, at or after `now` (a date trigger answers its `run_date` even when it
   * is past, as APScheduler does: the scheduler's misfire grace decides); otherwise the one
   * after `previous`. `null` when the schedule has no more fire times.
   */
  nextFireTime(previous: EpochMicros | null, now: EpochMicros): EpochMicros | null
}

/** What a trigger factory gets besides the options. */
export interface TriggerContext {
  /** Location of the `scheduler` mapping, for error messages (`field` is `scheduler`). */
  at: ConfigLocation
  /** Zone used when the options name none (the host's default; UTC unless configured). */
  defaultTimezone: string
  /** Source of randomness for `jitter`; `Math.random` unless a test pins it. */
  random: () => number
}

/** Registered under `TOKENS.TriggerFactory`, one per `trigger:` type. */
export interface TriggerFactory {
  /** The `trigger:` value it answers to, e.g. `interval`. Compared case-sensitively. */
  readonly type: string
  /** The option keys it accepts (for unknown-key errors and suggestions). */
  readonly options: readonly string[]
  /**
   * Validate `options` (the `scheduler` mapping without `trigger` and the job options) and build
   * the trigger. Throws `TasseConfigError` naming the key, what is expected and what was found.
   */
  create(options: Readonly<Record<string, unknown>>, context: TriggerContext): Trigger
}

/** APScheduler's job options, accepted in the `scheduler:` mapping. */
export interface JobOptions {
  /** Seconds after its fire time during which a late run still runs; `null`: no limit. @default 1 */
  misfireGraceTime: number | null
  /** Run several missed fire times once. @default true */
  coalesce: boolean
  /** Runs of the task allowed at once. @default 1 */
  maxInstances: number
}

// ---------------------------------------------------------------------------------------------
// Tasks

/** What happens when a task is due while it already runs. */
export type OverlapPolicy = 'skip' | 'queue' | 'replace' | 'allow'

/** A parameter a trigger may pass (`params:` in task.yaml). */
export interface ParamDefinition {
  name: string
  description?: string
  required: boolean
  default?: string
  pattern?: string
  enum?: readonly string[]
  /** Pass the value as `--<name>=<value>` on the command line too. @default false */
  arg?: boolean
}

export interface RetryPolicy {
  /** Further attempts after the first. */
  max: number
  /** Milliseconds before the first retry. */
  delayMs: number
  /** Each further delay is the previous one times this. @default 1 */
  backoff: number
}

/** A task as read from `data/tasks/<name>/task.yaml`: valid, fully defaulted. */
export interface TaskDefinition {
  /** The folder name: `[A-Za-z0-9][A-Za-z0-9._-]*`. */
  name: string
  /** Absolute path of the task's folder. */
  dir: string
  /** Absolute path of its task.yaml. */
  file: string
  /** The file to run, relative to `dir` (`task.py`, `task.sh`, or `entrypoint:`). */
  entrypoint: string
  /** The schedule; `null` for a task that runs only when triggered. */
  trigger: Trigger | null
  job: JobOptions
  /** Milliseconds before the run's process group is ended; `null`: none. */
  timeoutMs: number | null
  overlap: OverlapPolicy
  /** Runs waiting behind a running one under `overlap: queue`. @default 1 */
  queueSize: number
  params: readonly ParamDefinition[]
  env: Readonly<Record<string, string>>
  retries: RetryPolicy | null
  /** The raw parsed YAML, for plugins that read keys of their own. */
  raw: Readonly<Record<string, unknown>>
}

/** A folder under `tasks/` whose task.yaml could not be used. */
export interface InvalidTask {
  name: string
  dir: string
  file: string
  error: Error
}

// ---------------------------------------------------------------------------------------------
// Runs

/** Every state a run can be in, named once. */
export const RUN_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'interrupted',
  'skipped',
  'missed',
] as const
export type RunStatus = (typeof RUN_STATUSES)[number]

/** The states a run never leaves. */
export const FINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set([
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'interrupted',
  'skipped',
  'missed',
])

/** Why a run exists. */
export const RUN_REASONS = ['schedule', 'trigger', 'retry', 'catch-up', 'cli'] as const
export type RunReason = (typeof RUN_REASONS)[number]

/** One run of a task (also the record of a fire that was skipped or missed). */
export interface Run {
  /** Sortable: ids compare in creation order. */
  id: string
  task: string
  reason: RunReason
  params: Readonly<Record<string, string>>
  /** The fire time it was scheduled for (µs), `null` for a trigger. */
  scheduledAt: EpochMicros | null
  /** Times in epoch milliseconds. */
  queuedAt: number
  startedAt: number | null
  endedAt: number | null
  status: RunStatus
  exitCode: number | null
  signal: string | null
  /** 1 for the first attempt. */
  attempt: number
  /** The first attempt's id, for a retry. */
  retryOf: string | null
  /** Why it failed, was skipped, missed or interrupted, in words. */
  error: string | null
  /** Process id (= process group id) while it runs, and the process's start time, for recovery. */
  pid: number | null
  pidStartedAt: number | null
}

// ---------------------------------------------------------------------------------------------
// Runners

/** What to spawn. Core spawns it in the task's folder, in its own process group, without a shell. */
export interface Command {
  command: string
  args: readonly string[]
  /** Added to the run's environment. */
  env?: Readonly<Record<string, string>>
}

export interface PrepareContext {
  /** The host's data directory (`venv/<name>` lives below it). */
  dataDir: string
  /** The environment the task will get (host's, cleaned, plus task's `env:`). */
  env: Readonly<Record<string, string>>
  /** Lines about preparation (install output, "environment reused"), written to the run's logs. */
  log: (line: string) => void
  signal: AbortSignal
}

/** Registered under `TOKENS.Runner`. The claiming runner with the highest priority runs a task. */
export interface Runner {
  readonly name: string
  /** Higher wins among runners that claim a task. Core's plain runners have 0. */
  readonly priority: number
  claims(task: TaskDefinition): boolean
  /** Prepare the environment (cached; rebuilt when its inputs change) and say what to spawn. */
  prepare(task: TaskDefinition, context: PrepareContext): Promise<Command>
}

// ---------------------------------------------------------------------------------------------
// Log sinks

/** Consecutive complete lines of one stream, read at one time (at least one line). */
export interface OutputBatch {
  stream: 'stdout' | 'stderr' | 'tasse'
  /** When the lines were read, epoch ms. */
  time: number
  lines: readonly string[]
}

/**
 * Registered under `TOKENS.LogSink`; every sink gets every event of every run. A returned
 * promise is backpressure: core stops reading the task's output until it settles.
 */
export interface LogSink {
  readonly name: string
  runStarted(run: Run, task: TaskDefinition): void | Promise<void>
  output(run: Run, task: TaskDefinition, batch: OutputBatch): void | Promise<void>
  runEnded(run: Run, task: TaskDefinition): void | Promise<void>
  /** Flush and release files; called once at shutdown. */
  close?(): void | Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Run store

/** The scheduler's state of one task, kept across restarts. */
export interface TaskState {
  task: string
  /** µs. */
  lastFireTime: EpochMicros | null
  nextFireTime: EpochMicros | null
  paused: boolean
}

export interface RunQuery {
  task?: string
  status?: readonly RunStatus[]
  /** queuedAt bounds, epoch ms, inclusive. */
  from?: number
  to?: number
  /** Newest first; at most this many. @default 50 */
  limit?: number
  /** Opaque cursor from a previous page. */
  cursor?: string
}

export interface RunPage {
  runs: Run[]
  nextCursor: string | null
}

/** Registered under `TOKENS.RunStore`. Asynchronous so that a store can live on a server. */
export interface RunStore {
  readonly name: string
  insertRun(run: Run): Promise<void>
  updateRun(id: string, patch: Partial<Omit<Run, 'id' | 'task'>>): Promise<void>
  getRun(id: string): Promise<Run | undefined>
  listRuns(query?: RunQuery): Promise<RunPage>
  /** Runs in a state that is not final (queued, running): for crash recovery. */
  unfinishedRuns(): Promise<Run[]>
  getTaskState(task: string): Promise<TaskState | undefined>
  setTaskState(state: TaskState): Promise<void>
  listTaskStates(): Promise<TaskState[]>
  /**
   * Retention: deletes runs in a final state that were queued more than `olderThanMs` before
   * `now` (epoch ms, default `Date.now()`), or that are not among the `keepPerTask` newest runs
   * of their task (every run counts towards those, unfinished ones included). Unfinished runs are
   * never deleted; an option left out does not prune by that rule. Resolves to the number deleted.
   */
  pruneRuns(options: { olderThanMs?: number; keepPerTask?: number; now?: number }): Promise<number>
  close(): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Plugins

/** What a plugin package exports. `register` adds registrations under `TOKENS` only. */
export interface TassePlugin {
  readonly name: string
  register(container: DependencyContainer): void
}

/** Where Tasse writes about itself. */
export interface TasseLogger {
  info(message: string): void
  warn(message: string): void
  error(message: string, cause?: unknown): void
}
