/**
 * Every contract of Tasse in one file: the task model, runs, and the four extension points
 * (Trigger, Runner, LogSink, RunStore). Plugins implement these; core depends on nothing else.
 */
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

/** Added by a plugin (`PluginContext.addTrigger`), one per `trigger:` type. */
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
  /**
   * The host that owns it (runs it, or holds it queued), as registered with `registerHost`;
   * `null` for a run recorded outside any registered host (`tasse run`, an older release).
   * Recovery never touches a run whose host is alive.
   */
  hostId: string | null
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
   * start and recorded `interrupted` (the host stopped without ending it).
   */
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

/** The fields of a run that `updateRun` may change (`id` and `task` never change). */
export type RunPatch = Partial<Omit<Run, 'id' | 'task'>>

/**
 * A host as registered in the store. Several hosts share one schedule through a store on a
 * database server; an embedded store (SQLite) serves one host at a time.
 */
export interface HostRecord {
  /** Unique for each start of a host process (`newRunId()` makes one); runs name it as `hostId`. */
  id: string
  /** The machine's name (`os.hostname()`), for people and for `GET /api/v1/hosts`. */
  name: string
  /** The host's process id on that machine. */
  pid: number
  /** Where its HTTP API listens, when it serves one. */
  url: string | null
  /** Epoch ms by the store's clock (the database server's where there is one). */
  startedAt: number
  /** The last heartbeat, epoch ms by the store's clock. */
  heartbeatAt: number
}

/** What a host says about itself when it registers. */
export type HostRegistration = Pick<HostRecord, 'id' | 'name' | 'pid' | 'url'>

/** What `expireHosts` took over: the hosts it removed and their runs, now `interrupted`. */
export interface ExpiredHosts {
  hosts: HostRecord[]
  /** The unfinished runs of those hosts (or of no registered host), as recorded: `interrupted`. */
  runs: Run[]
}

export interface ExpireHostsOptions {
  /** A host whose last heartbeat is older than this (ms) is dead. */
  leaseMs: number
  /** Epoch ms; `undefined`: the store's clock (the database server's where there is one). */
  now?: number
  /**
   * The `error` recorded on each run taken over (`run` as it was), given its host (`null` when
   * the run's host was not registered any more). @default "its host … stopped …"
   */
  error?: (host: HostRecord | null, run: Run) => string
}

/**
 * What an admission decision asks the store to write, atomically with the reading of the task's
 * active runs it was made from (`admitRun`).
 */
export interface AdmissionWrites {
  /** A new run to record: admitted (`queued`, `running`), or refused (`skipped`, with `error`). */
  insert?: Run
  /** Changes to the task's active runs, e.g. a run queued behind another now starting. */
  update?: readonly { id: string; patch: RunPatch }[]
  /** Active runs of the task to end (`overlap: replace`), each recorded as a cancel request. */
  cancel?: readonly { runId: string; reason: string }[]
}

/** A request to end a run, kept until the host that owns the run ends it. */
export interface CancelRequest {
  runId: string
  task: string
  /** The host that owns the run (the one that must act), or `null`. */
  hostId: string | null
  reason: string
  /** The host that asked, or `null` (a command, an embedder). */
  requestedBy: string | null
  /** Epoch ms. */
  requestedAt: number
}

/** A piece of a run's output as the store keeps it (the text of one `OutputBatch`). */
export interface OutputChunk {
  /** Bytes (UTF-8) of the run's output before this chunk: the first chunk is at 0. */
  offset: number
  stream: OutputBatch['stream']
  /** When it was read, epoch ms. */
  time: number
  /** Complete lines, each ending with `\n`, as the run's log file holds them. */
  text: string
}

/** What `readOutput` answers. */
export interface OutputPage {
  /** Chunks in offset order; the first may start inside a stored chunk (at `from`). */
  chunks: OutputChunk[]
  /** The offset to read from next: where the last chunk returned ends (or `from`). */
  next: number
  /** The store's output cap cut the run's output: what is past `next` is only in `log.txt`. */
  truncated: boolean
}

/** What `appendOutput` kept. */
export interface OutputAppend {
  /** Bytes of the chunk stored (less than its size once the cap is reached). */
  kept: number
  /** The cap was reached: later chunks of this run are dropped; stop sending them. */
  truncated: boolean
}

/**
 * A change to a store, as `subscribe` delivers it: a hint to read the store again, never the
 * data itself. A store on a server delivers every host's changes; an embedded store those made
 * through the store object it was asked of.
 */
export type StoreChange =
  | { type: 'run'; id: string; task: string; status: RunStatus; hostId: string | null }
  | { type: 'output'; runId: string; next: number }
  | { type: 'task-state'; task: string }
  | { type: 'cancel'; runId: string; hostId: string | null }
  | { type: 'host'; id: string; event: 'registered' | 'unregistered' | 'expired' }
  /** Changes may have been missed (a connection to the server was lost): read again. */
  | { type: 'resync' }

/** A run that `pruneRuns` deleted. */
export type PrunedRun = Pick<Run, 'id' | 'task'>

/**
 * Set by a plugin (`PluginContext.setRunStore`). Asynchronous so that a store can live on a
 * server.
 *
 * Besides history and the scheduler's state, the store is how hosts share one schedule: a fire
 * time is claimed by exactly one host (`claimFire`), admission is decided over every host's
 * active runs at once (`admitRun`), hosts heartbeat and the dead ones' runs are taken over by
 * exactly one survivor (`expireHosts`), cancel requests reach the host that owns a run, run
 * output is readable from any host, and `subscribe` tells of changes. An embedded store serves
 * one host at a time and implements the same calls for it, so core needs no second code path.
 */
export interface RunStore {
  readonly name: string
  insertRun(run: Run): Promise<void>
  /**
   * Changes the fields of `patch` given (not `undefined`). Rejects for an unknown id, and when
   * the patch would change the status of a run already in a final state (that status may be what
   * another host recorded, e.g. `interrupted` after the run's host stopped heartbeating: a late
   * write from that host must not undo it). Other fields of a final run may still change.
   */
  updateRun(id: string, patch: RunPatch): Promise<void>
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
   * never deleted; an option left out does not prune by that rule. A deleted run's output and
   * cancel request go with it; fire-time claims older than `olderThanMs` go too (by fire time).
   * `outputOlderThanMs` deletes only the output of finished runs queued before that. Resolves to
   * the runs deleted (id and task, in no particular order), so that what was kept beside them
   * (their log files) goes with them.
   */
  pruneRuns(options: {
    olderThanMs?: number
    keepPerTask?: number
    outputOlderThanMs?: number
    now?: number
  }): Promise<PrunedRun[]>

  /**
   * Claims fire time `scheduledAt` (µs) of `task` for host `by.hostId`: resolves `true` for
   * exactly one caller per `(task, scheduledAt, attempt)`, however many hosts ask at once, and
   * `false` for every other (backed by a unique key, never a read followed by a write). A host
   * runs a scheduled fire, catch-up, retry (`attempt` 2, 3…) or `missed` record only after it
   * won the claim: that is what fences a host that was paused, not dead. @default attempt 1
   */
  claimFire(
    task: string,
    scheduledAt: EpochMicros,
    by: { hostId: string; attempt?: number },
  ): Promise<boolean>

  /**
   * Decides a run atomically: reads the task's active runs (`queued`, `running`, every host's,
   * oldest first), calls `decide` with them (synchronously: a pure function), and applies the
   * writes it returns before any other `admitRun` of the task can read (SQLite: one write
   * transaction; PostgreSQL: a per-task advisory transaction lock). Resolves to what `decide`
   * returned. If `decide` throws, or a write fails, nothing is written and the call rejects.
   * `update` and `cancel` may only name runs among those `decide` was given.
   */
  admitRun<D extends AdmissionWrites>(
    task: string,
    decide: (active: readonly Run[]) => D,
  ): Promise<D>

  /**
   * Registers a host (a new id each time a host starts). A store that serves one host at a time
   * (SQLite) holds a lock on the data from here until `unregisterHost` or `close`, and rejects
   * with `HostConflictError` naming the other host while another live process holds it.
   */
  registerHost(host: HostRegistration, options?: { now?: number }): Promise<HostRecord>
  /**
   * Records that the host is alive. Resolves `false` when it is not registered (any more):
   * another host found its lease expired and took its runs over; it must stop running them.
   */
  heartbeat(hostId: string, options?: { now?: number }): Promise<boolean>
  /** The registered hosts, by id; a dead one stays listed until some host expires it. */
  listHosts(): Promise<HostRecord[]>
  /**
   * Removes the hosts whose last heartbeat is older than `leaseMs` (and those the store knows
   * to be dead, e.g. SQLite's, whose process is gone), and records as `interrupted` their
   * unfinished runs and those of hosts no longer registered, all in one transaction: each dead
   * host's runs are handed to exactly one caller, which ends what is left of their processes
   * (on their machine) and applies retries.
   */
  expireHosts(options: ExpireHostsOptions): Promise<ExpiredHosts>
  /** A host that stops cleanly leaves (its lock, if any, is released); unknown ids are ignored. */
  unregisterHost(hostId: string): Promise<void>

  /**
   * Asks the host that owns unfinished run `runId` to end it. Resolves `false` when the run is
   * unknown or already final. A request stands until the run ends; asking again keeps the first.
   */
  requestCancel(
    runId: string,
    request: { reason: string; requestedBy: string | null; now?: number },
  ): Promise<boolean>
  /** The standing cancel requests of runs owned by `hostId` (`null`: by no host), oldest first. */
  cancelRequests(hostId: string | null): Promise<CancelRequest[]>

  /**
   * Stores a piece of run `runId`'s output (idempotent by offset: a chunk sent twice is kept
   * once). Output past the store's cap per run is dropped, the chunk that reaches it cut on a
   * character boundary; the answer says so, so the caller stops sending. Rejects for an
   * unknown run.
   */
  appendOutput(runId: string, chunk: OutputChunk): Promise<OutputAppend>
  /** The output of run `runId` from byte `from` on (default 0), at most `limit` chunks (default 1000). */
  readOutput(runId: string, options?: { from?: number; limit?: number }): Promise<OutputPage>

  /**
   * Calls `listener` for each change (see `StoreChange`); resolves once listening, to the
   * function that stops it. A listener that throws is ignored (and never stops the feed).
   */
  subscribe(listener: (change: StoreChange) => void): Promise<() => Promise<void>>

  close(): Promise<void>
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
