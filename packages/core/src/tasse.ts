/**
 * `createTasse()`: the composition root and the one object an embedder or the host talks to.
 * It puts the extensions together (`tasse-options.ts`) and wires the catalog, the scheduler,
 * the executor, the log sinks and the run store.
 */
import { join, resolve } from 'node:path'
import { Catalog, type CatalogChanges, type TaskInfo } from './catalog.js'
import { ClusterSync } from './cluster-sync.js'
import { RunRefusedError, TaskNotFoundError } from './errors.js'
import { announceChanges, TasseEvents } from './events.js'
import { Executor } from './executor.js'
import type { ExtensionPoints, Extensions } from './extensions.js'
import { HostMembership } from './host-membership.js'
import { expireDeadHosts, pruneHistory, recoverInterrupted, type TakeOver } from './maintenance.js'
import { retryDelay } from './retries.js'
import { runCgroups } from './run-cgroup.js'
import type { RunLogReader } from './run-log.js'
import { RunOutputFiles } from './run-output.js'
import { taskBaseEnv } from './task-env.js'
import { TaskHealth, type TaskHealthView } from './task-health.js'
import { displayPath } from './task-loader.js'
import { TaskRescans } from './task-rescans.js'
import { TaskSchedule } from './task-schedule.js'
import { TaskWatcher } from './task-watcher.js'
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_RETENTION,
  type TasseOptions,
  tasseExtensions,
} from './tasse-options.js'
import type {
  HostRecord,
  InvalidTask,
  Run,
  RunPage,
  RunQuery,
  RunReason,
  RunStore,
  TaskDefinition,
  TaskState,
  TasseLogger,
} from './types.js'

/**
 * Creates a Tasse instance. Nothing runs, and no file is opened, until `start()`.
 *
 * @example
 * import { createTasse } from '@tasse/core'
 * import { plugin as interval } from '@tasse/trigger-interval'
 * const tasse = createTasse({ dataDir: './data', plugins: [interval] })
 * tasse.on('run:ended', (run) => console.log(run.task, run.status))
 * await tasse.start()
 */
export function createTasse(options: TasseOptions): Tasse {
  return new Tasse(options)
}

export class Tasse {
  readonly events = new TasseEvents()
  /** What the plugins provide: trigger factories, runners, sinks, the store, the logger. */
  readonly extensions: ExtensionPoints
  readonly dataDir: string
  readonly tasksDir: string
  readonly logsDir: string
  readonly logger: TasseLogger
  /** This instance as a host of its store: its id, registration and heartbeats. */
  readonly membership: HostMembership
  /** Runs at once on this host. */
  readonly concurrency: number
  readonly #extensions: Extensions
  private readonly catalog: Catalog
  private readonly outputs: RunOutputFiles
  private readonly schedule: TaskSchedule
  private readonly executor: Executor
  private readonly taskHealth: TaskHealth
  private readonly options: TasseOptions
  private timers: NodeJS.Timeout[] = []
  private watcher: TaskWatcher | null = null
  private readonly rescans: TaskRescans
  private readonly sync: ClusterSync
  private started = false
  private stopping: Promise<void> | null = null

  constructor(options: TasseOptions) {
    this.options = options
    this.dataDir = resolve(options.dataDir)
    this.tasksDir = resolve(options.tasksDir ?? join(this.dataDir, 'tasks'))
    this.logsDir = resolve(options.logsDir ?? join(this.dataDir, 'logs'))
    const timezone = options.timezone ?? 'UTC'
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY
    const extensions = tasseExtensions(options, { logsDir: this.logsDir, timezone })
    this.#extensions = extensions
    this.extensions = extensions
    this.logger = extensions.logger()
    this.outputs = new RunOutputFiles(
      this.logsDir,
      this.events,
      () => this.store,
      () => this.membership.hostId,
    )
    this.catalog = new Catalog(this.tasksDir, {
      factories: extensions.triggerFactories(),
      defaultTimezone: timezone,
    })
    this.rescans = new TaskRescans({
      rescan: () => this.rescan(),
      logger: this.logger,
      folder: displayPath(this.tasksDir),
    })
    this.membership = new HostMembership({
      store: () => this.store,
      logger: this.logger,
      ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
      onLost: (reason) => this.executor.abandon(reason),
    })
    this.executor = new Executor({
      store: () => this.store,
      sinks: () => extensions.logSinks(),
      runners: extensions.runners(),
      events: this.events,
      logger: this.logger,
      dataDir: this.dataDir,
      concurrency: this.concurrency,
      baseEnv: taskBaseEnv(options.env),
      paused: (task) => this.schedule.state(task)?.paused ?? false,
      timezone,
      hostId: () => this.membership.hostId,
      cgroups: () => runCgroups(options.cgroups),
      noCgroupReason:
        options.cgroups === 'off'
          ? 'control groups are off (--cgroups off)'
          : 'no writable control group for this host (cgroup v2 or v1; as root, in a container with a delegated cgroup, or under systemd with Delegate=yes)',
      ...(options.limits ? { limits: options.limits } : {}),
      taskUser: options.taskUser ?? null,
    })
    this.schedule = new TaskSchedule({
      executor: this.executor,
      store: () => this.store,
      logger: this.logger,
      hostId: () => this.membership.hostId,
    })
    this.sync = new ClusterSync({
      store: () => this.store,
      executor: this.executor,
      schedule: this.schedule,
      logger: this.logger,
      hostId: () => this.membership.hostId,
      tasks: () => this.catalog.tasks().map((task) => task.name),
      followed: (name, paused) => {
        const task = this.catalog.get(name)
        if (task) this.events.emit('task:paused', task, paused)
      },
      otherHostRun: (change) => this.taskHealth.otherHostRun(change),
    })
    this.taskHealth = new TaskHealth({
      events: this.events,
      logger: this.logger,
      tasks: () => this.catalog.tasks(),
      task: (name) => this.catalog.get(name),
      schedule: (name) => this.schedule.state(name),
      running: (name) => this.executor.activeRuns(name).filter((run) => run.startedAt !== null),
      setPaused: (name, paused) => this.setPaused(name, paused),
      store: () => this.store,
      hostId: () => this.membership.hostId,
    })
  }

  /** What this host does with the runs of dead hosts it takes over. */
  private takeOver(): TakeOver {
    return {
      store: this.store,
      logger: this.logger,
      host: this.membership,
      closeLog: (run) => {
        const task = this.catalog.get(run.task)
        return task ? this.executor.closeLog(run, task) : Promise.resolve()
      },
      // A run its host could not finish is retried where its task asks, as a failure is.
      retry: (run) => {
        const task = this.catalog.get(run.task)
        const delay = task && retryDelay(task.retries, { ...run, status: 'failed' })
        if (task && delay !== null && delay !== undefined) this.executor.retry(task, run, delay)
      },
      endLeftovers: (run) => this.executor.endLeftovers(run),
    }
  }

  /**
   * Registers as a host of the store (refused, with the store's `HostConflictError`, where the
   * store serves one host and another holds it), recovers from a previous crash, discovers the
   * tasks, schedules them and starts the timer. `url` is where this host's API listens.
   */
  async start(options: { url?: string | null } = {}): Promise<void> {
    if (this.started) return
    this.started = true
    await this.membership.join(options.url ?? null)
    const states = new Map((await this.store.listTaskStates()).map((s) => [s.task, s]))
    this.rescan()
    // After the first scan, so that a recovered run's task is known to close its log; before
    // the schedule starts, so that no new run can start meanwhile.
    await recoverInterrupted(this.takeOver())
    // The schedule starts here, from what a previous host left: tasks a `rescan()` found before
    // `start()` (`tasse run` never starts) touched neither the schedule nor its saved state.
    this.schedule.start(this.catalog.tasks(), states, this.catalog.problem() !== null)
    // Before the timer's first wake-up: a fire time the previous host left unanswered is owed.
    this.taskHealth.start(states)
    if (this.options.watch !== false) {
      this.watcher = new TaskWatcher(this.tasksDir, this.rescans.fromTimer, this.logger)
      this.watcher.sync(this.catalog.folders())
    }
    const retention = { ...DEFAULT_RETENTION, ...this.options.retention }
    const prune = () => void pruneHistory(this.store, retention, this.logger, this.logsDir)
    prune()
    await this.sync.start()
    // Every host looks for dead ones often, so that their runs read `interrupted` soon after
    // the lease: one small query each time.
    const expire = () => void expireDeadHosts(this.takeOver())
    this.timers = [
      setInterval(this.rescans.fromTimer, this.options.rescanIntervalMs ?? 60_000),
      setInterval(prune, 3600_000),
      setInterval(expire, Math.max(1000, this.membership.leaseMs / 10)),
    ]
    for (const timer of this.timers) timer.unref()
  }

  /**
   * Stops firing, lets running tasks finish within the grace period, then ends them (recorded as
   * `interrupted`), and closes the sinks and the store.
   */
  stop(graceMs = this.options.shutdownGraceMs ?? 30_000): Promise<void> {
    this.stopping ??= (async () => {
      this.schedule.stop()
      this.taskHealth.stop()
      this.watcher?.close()
      this.rescans.stop()
      for (const timer of this.timers) clearInterval(timer)
      await this.sync.stop()
      await this.executor.shutdown(graceMs)
      await this.schedule.flush()
      for (const sink of this.extensions.logSinks()) await sink.close?.()
      await this.membership.leave()
      await this.#extensions.openedRunStore()?.close()
    })()
    return this.stopping
  }

  /**
   * Reads the tasks folder again: new tasks are scheduled, changed ones rescheduled (once
   * started; before `start()` only the catalog is read, and nothing is written). When the
   * folder itself cannot be read, `problem` says why and nothing changes (see `problems()`).
   */
  rescan(): CatalogChanges {
    const changes = this.catalog.scan()
    announceChanges(this.events, this.logger, this.catalog, changes)
    this.schedule.apply(changes)
    this.watcher?.sync(this.catalog.folders())
    this.rescans.after(changes, this.started && !this.stopping)
    return changes
  }

  /**
   * What keeps this instance from working as configured, in words: empty when all is well.
   * The host's `/readyz` answers 503 with them.
   */
  problems(): string[] {
    const problem = this.catalog.problem()
    return [...(problem ? [problem] : []), ...this.executor.problems()]
  }

  /**
   * What runs' `limits:` get here (which are enforced, through which cgroup), and why not where
   * they cannot: a line each, for a host to say once at start (an embedder need not).
   */
  describeLimits(): string {
    return this.executor.describeLimits()
  }

  /** Every task folder, valid or not, by name. */
  listTasks(): TaskInfo[] {
    return this.catalog.names().map((name) => this.taskInfo(name) as TaskInfo)
  }

  taskInfo(name: string): TaskInfo | undefined {
    return this.catalog.info(name, this.schedule.state(name) ?? null)
  }

  /** The valid tasks. */
  tasks(): TaskDefinition[] {
    return this.catalog.tasks()
  }

  /** Folders whose task.yaml cannot be used, with the errors. */
  invalidTasks(): InvalidTask[] {
    return this.catalog.invalid()
  }

  /** The task called `name`, or `TaskNotFoundError` listing what exists. */
  task(name: string): TaskDefinition {
    const task = this.catalog.get(name)
    if (!task)
      throw new TaskNotFoundError(
        name,
        this.catalog.tasks().map((t) => t.name),
      )
    return task
  }

  /**
   * Runs a task now. Resolves to the run as recorded (`queued` or `running`). Throws
   * `TaskNotFoundError`, `InvalidParamError` (nothing recorded), or `RunRefusedError` when
   * admission refuses the run (its code says why; the run is recorded as `skipped`).
   */
  async trigger(
    name: string,
    request: { params?: Record<string, string>; reason?: RunReason } = {},
  ): Promise<Run> {
    const task = this.task(name)
    const { run, refusal } = await this.executor.submit(task, {
      reason: request.reason ?? 'trigger',
      params: request.params ?? {},
    })
    if (refusal) throw new RunRefusedError(refusal, run)
    return run
  }

  /** Resolves when the run ends (at once if it already has). */
  async waitForRun(runId: string): Promise<Run> {
    const active = this.executor.wait(runId)
    if (active) return active
    await this.executor.flush()
    return this.outputs.run(runId)
  }

  /**
   * Cancels a queued or running run: here at once, or through the store by the host that owns
   * it. Resolves false if it is not active on any host.
   */
  async cancel(runId: string): Promise<boolean> {
    if (this.executor.cancel(runId)) return true
    return this.store.requestCancel(runId, {
      reason: `cancelled on request (from host ${this.membership.name}, pid ${process.pid})`,
      requestedBy: this.membership.hostId,
    })
  }

  /** The hosts registered with the store (live, or dead and not yet expired), by id. */
  listHosts(): Promise<HostRecord[]> {
    return this.store.listHosts()
  }

  /**
   * A task's health: consecutive failures, last success and run, whether it is overdue and why,
   * and why `on_failure` paused it (`task:alert` events tell each change worth telling).
   */
  health(name: string): TaskHealthView {
    return this.taskHealth.view(name)
  }

  /** Pauses a task's schedule (kept across restarts); triggers still run it. */
  pause(name: string): TaskState | undefined {
    return this.setPaused(name, true)
  }

  resume(name: string): TaskState | undefined {
    return this.setPaused(name, false)
  }

  getRun(runId: string): Promise<Run | undefined> {
    return this.store.getRun(runId)
  }

  listRuns(query?: RunQuery): Promise<RunPage> {
    return this.store.listRuns(query)
  }

  /** Runs active on this host now. */
  activeRuns(task?: string): Run[] {
    return this.executor.activeRuns(task)
  }

  /** How many runs are running, and how many wait. */
  runCounts(): { running: number; queued: number } {
    return this.executor.counts()
  }

  /** Where a run's own output is kept. */
  runLogPath(run: Pick<Run, 'task' | 'id'>): string {
    return this.outputs.path(run)
  }

  /** A run's output so far. */
  readRunLog(runId: string): Promise<string> {
    return this.outputs.read(runId)
  }

  /** A run's output file opened for streaming (ranges of it; see `RunLogReader`). */
  openRunLog(runId: string): Promise<RunLogReader> {
    return this.outputs.open(runId)
  }

  /** A run's output as it is written, from the start, ending when the run ends. */
  followRunLog(runId: string, signal?: AbortSignal): Promise<AsyncIterable<string>> {
    return this.outputs.follow(runId, signal)
  }

  /** The run store; opened when first used, not when the instance is made. */
  get store(): RunStore {
    return this.extensions.runStore()
  }

  on: TasseEvents['on'] = (...args) => this.events.on(...args)
  off: TasseEvents['off'] = (...args) => this.events.off(...args)

  private setPaused(name: string, paused: boolean): TaskState | undefined {
    const task = this.task(name)
    const before = this.schedule.state(name)?.paused
    const state = this.schedule.setPaused(name, paused)
    if (state && before !== paused) this.events.emit('task:paused', task, paused)
    return state
  }
}
