/**
 * Every contract of Tasse: the task model, runs, and the four extension points (Trigger, Runner,
 * LogSink, RunStore; the run store's, being long, in `store-types.ts`, re-exported here). Plugins
 * implement these; core depends on nothing else.
 */

import type { RunUser } from './run-user.js'
import type { RunStore } from './store-types.js'
import type { RunLimits } from './task-limits.js'

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
  /** Where in the file the key (or the value at fault) starts, 1-based, when known. */
  line?: number
  column?: number
}

/**
 * A JSON Schema (draft-07) as plain data: what editors and `ajv` read. Kept loose on purpose:
 * core only composes schemas and never interprets them.
 */
export type JsonSchema = { readonly [keyword: string]: unknown }

/**
 * The JSON Schema of a trigger's options, for editors (completion, hover, red underlines) and
 * `/api/v1/schema/task.json`. It may be looser than the factory (a cron expression is a string
 * to it) but never stricter: a document it refuses, the factory refuses too.
 */
export interface TriggerOptionsSchema {
  /** What the trigger does, in a sentence (shown on hover). */
  readonly description?: string
  /** One schema per option key: exactly the keys of `TriggerFactory.options`. */
  readonly properties: Readonly<Record<string, JsonSchema>>
  /** Options that must be given. */
  readonly required?: readonly string[]
  /** Rules on the options together, e.g. "at least one of" (as JSON Schema `anyOf` items). */
  readonly anyOf?: readonly JsonSchema[]
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

/** Added by a plugin (`PluginContext.addTrigger`), one per `trigger:` type. */
export interface TriggerFactory {
  /** The `trigger:` value it answers to, e.g. `interval`. Compared case-sensitively. */
  readonly type: string
  /** The option keys it accepts (for unknown-key errors and suggestions). */
  readonly options: readonly string[]
  /**
   * The options as JSON Schema, composed into task.yaml's schema under `trigger: <type>`.
   * Optional: without it, editors accept any option of this trigger and only `create` checks.
   */
  readonly schema?: TriggerOptionsSchema
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

/** What a notification target can be told about a task (`notify[].events` in task.yaml). */
export const ALERT_EVENTS = [
  'failed',
  'recovered',
  'missed',
  'overdue',
  'paused',
  'succeeded',
] as const
/**
 * `failed` (a run failed or timed out), `recovered` (the first success after failures or an
 * overdue), `missed` (a fire time dropped), `overdue` (see `TaskExpectation`), `paused` (by
 * `on_failure.pause_after`), `succeeded`.
 */
export type AlertEvent = (typeof ALERT_EVENTS)[number]

/** The kinds of notification target (`notify[].type`). */
export const NOTIFY_TARGET_TYPES = ['webhook', 'slack', 'healthchecks'] as const
export type NotifyTargetType = (typeof NOTIFY_TARGET_TYPES)[number]

/** Where a task's alerts go (`notify:` in task.yaml, or the host's default). */
export interface NotifyTarget {
  type: NotifyTargetType
  /**
   * As written: `${NAME}` parts are read from the host's environment when a notification is
   * sent, so that a secret URL (a Slack webhook's) is neither in task.yaml nor shown.
   */
  url: string
  /** The events it wants (a healthchecks target pings start, success and failure of every run). */
  events: readonly AlertEvent[]
  /** Headers to send, values as written (`${NAME}` read from the environment when sent). */
  headers: Readonly<Record<string, string>>
  /** The environment variable holding the HMAC-SHA256 key of the signature header. */
  secretEnv: string | null
  /** An alert identical to one sent (same task, event) less than this ago is not sent (ms). */
  rateLimitMs: number
}

/** `expect:` in task.yaml: when a task is overdue. */
export interface TaskExpectation {
  /** A fire time passed by this much with no run started (ms); `null`: not checked. */
  startWithinMs: number | null
  /** A run still going this long after it started (ms); `null`: not checked. */
  finishWithinMs: number | null
}

/** `on_failure:` in task.yaml. */
export interface FailurePolicy {
  /** Consecutive failed runs after which the schedule is paused. */
  pauseAfter: number
  /** The schedule resumes by itself after this long paused (ms); `null`: by hand only. */
  resumeAfterMs: number | null
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
  /** `limits:`, each `null` where the task sets none (the host's default applies). */
  limits: RunLimits
  /** Where its alerts go; `null`: the host's default targets (`notify:` absent). */
  notify: readonly NotifyTarget[] | null
  expect: TaskExpectation | null
  onFailure: FailurePolicy | null
  /** `user:`: whom the run's process runs as (the host must be root); absent: the host's user. */
  user?: TaskUser | null
  /** `env_files:`: dotenv files read when a run starts, paths as written. */
  envFiles?: readonly string[]
  /** `secrets:`: variable name → path of the file holding its value, read when a run starts. */
  secrets?: Readonly<Record<string, string>>
  /** The raw parsed YAML, for plugins that read keys of their own. */
  raw: Readonly<Record<string, unknown>>
}

/** `user:` as written: a name (looked up when a run starts), or numeric ids. */
export type TaskUser = { name: string } | { uid: number; gid?: number }

/** A folder under `tasks/` whose task.yaml could not be used. */
export interface InvalidTask {
  name: string
  dir: string
  file: string
  /** The first problem (what `loadTask` throws). */
  error: Error
  /** Every problem found (`inspectTask`), `error` first; `TasseConfigError`s have positions. */
  problems: readonly Error[]
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
  /**
   * The host that owns it (runs it, or holds it queued), as registered with `registerHost`;
   * `null` for a run recorded outside any registered host (`tasse run`, an older release).
   * Recovery never touches a run whose host is alive.
   */
  hostId: string | null
  /**
   * What the run used, recorded when it ends: the highest memory of its processes together, in
   * bytes, and their CPU time, in seconds (from its control group, else from the kernel's
   * accounting of its first process and the children it waited for); `null` where neither told.
   */
  peakMemoryBytes: number | null
  cpuUserSeconds: number | null
  cpuSystemSeconds: number | null
  /** Bytes of output (stdout and stderr) the run wrote, counted as it ran. */
  outputBytes: number | null
}

/**
 * Why admission refused a run: the task's overlap policy (a run holds its slot), its paused
 * schedule, its full queue, or a host shutting down. The refused run is recorded as `skipped`
 * with `message` as its error.
 */
export type RefusalCode = 'overlap' | 'paused' | 'queue_full' | 'shutting_down'

export interface Refusal {
  code: RefusalCode
  /** In words, naming what is in the way (e.g. `run 01m8… is still running (overlap: skip, …)`). */
  message: string
  /** The run holding the task's slot, for `overlap` and `queue_full`. */
  blockingRunId?: string
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
  /**
   * Whom the run's process will be, when not the host's user (`user:`, `--task-user`). A runner
   * runs what it spawns to prepare the run (an install that reads files the task may write) as
   * them, never as the host: `userEnv(owner)` gives their HOME, USER and LOGNAME.
   * @default the host's user
   */
  owner?: RunUser | null
}

/** Added by a plugin (`PluginContext.addRunner`). The claiming runner with the highest priority runs a task. */
export interface Runner {
  readonly name: string
  /** Higher wins among runners that claim a task. Core's plain runners have 0. */
  readonly priority: number
  claims(task: TaskDefinition): boolean
  /** Prepare the environment (cached; rebuilt when its inputs change) and say what to spawn. */
  prepare(task: TaskDefinition, context: PrepareContext): Promise<Command>
  /**
   * Optional: what would make `prepare` fail, found without building or writing anything (for
   * `tasse validate`). One message per problem, without a prefix; `[]` when none.
   */
  check?(task: TaskDefinition, context: CheckContext): Promise<string[]>
}

/** What `Runner.check` gets. */
export interface CheckContext {
  /** The environment a run would start from (host's, cleaned, plus the task's `env:`). */
  env: Readonly<Record<string, string>>
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
 * Added by a plugin (`PluginContext.addLogSink`); every sink gets every event of every run. A returned
 * promise is backpressure: core stops reading the task's output until it settles.
 */
export interface LogSink {
  readonly name: string
  runStarted(run: Run, task: TaskDefinition): void | Promise<void>
  output(run: Run, task: TaskDefinition, batch: OutputBatch): void | Promise<void>
  /**
   * Also called, without `runStarted` before it in this process, for a run found `running` at
   * start and recorded `interrupted` (the host stopped without ending it). The run is
   * recorded ended once every sink's `runEnded` resolved, or after 60 s without it (noted on
   * the run as its sink's failure).
   */
  runEnded(run: Run, task: TaskDefinition): void | Promise<void>
  /** Flush and release files; called once at shutdown. */
  close?(): void | Promise<void>
  /**
   * Why the sink cannot write now (a full disk, a folder it may not write), or `null`. The
   * host's `/readyz` answers 503 with it. A sink that failed a run also rejects its `runEnded`,
   * so that the run is recorded with the reason.
   */
  problem?(): string | null
}

// ---------------------------------------------------------------------------------------------
// Plugins

/**
 * What a plugin's `register` receives: the one way in for triggers, runners, log sinks, the run
 * store and the logger. Tasse implements it on a tsyringe container of its own per instance.
 */
export interface PluginContext {
  /**
   * Adds the factory of one `trigger:` type. A type that another plugin already added is an
   * error naming both plugins: a schedule never changes meaning by the order plugins load in.
   */
  addTrigger(factory: TriggerFactory): void
  /** Adds a runner; among those that claim a task, the highest `priority` runs it. */
  addRunner(runner: Runner): void
  /** Adds a sink; a function is called once, when the sinks are first needed. */
  addLogSink(sink: LogSink | (() => LogSink)): void
  /**
   * Sets the run store (the last one set wins). A function is called once, when the store is
   * first needed, so that a command that never reads history never opens it.
   */
  setRunStore(store: RunStore | (() => RunStore)): void
  /** Sets where Tasse writes about itself (the last one set wins). */
  setLogger(logger: TasseLogger): void
}

/** What a plugin package exports: a name, and what it adds to a Tasse instance. */
export interface TassePlugin {
  /** The package name, e.g. `@tasse/trigger-cron`: messages about the plugin use it. */
  readonly name: string
  readonly version?: string
  register(context: PluginContext): void
}

/** Where Tasse writes about itself. Messages carry no `[tasse]` prefix; a logger adds its own. */
export interface TasseLogger {
  info(message: string): void
  warn(message: string): void
  error(message: string, cause?: unknown): void
}

export * from './store-types.js'
