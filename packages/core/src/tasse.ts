/**
 * `createTasse()`: the composition root and the one object an embedder or the host talks to.
 * It builds a DI container (core's defaults first, then each plugin's registrations), and wires
 * the catalog, the scheduler, the executor, the log sinks and the run store together.
 */
import { join, resolve } from 'node:path'
import { Catalog, type CatalogChanges } from './catalog.js'
import { TaskNotFoundError, TasseError } from './errors.js'
import { TasseEvents } from './events.js'
import { Executor, type RunRequest, taskBaseEnv } from './executor.js'
import { corePlugin, type ExtensionPoints, Extensions } from './extensions.js'
import { fileLogSink, runLogPath } from './file-log-sink.js'
import { HostMembership } from './host-membership.js'
import { killOrphanedGroup } from './process-group.js'
import {
  followRunLog,
  openRunLog,
  RunLogFollowers,
  type RunLogReader,
  readRunLog,
  removeRunLogs,
} from './run-log.js'
import { Scheduler } from './scheduler.js'
import { displayPath } from './task-loader.js'
import { TaskWatcher } from './task-watcher.js'
import type {
  EpochMicros,
  InvalidTask,
  PrunedRun,
  Run,
  RunPage,
  RunQuery,
  RunReason,
  RunStore,
  TaskDefinition,
  TaskState,
  TasseLogger,
  TassePlugin,
} from './types.js'

export interface TasseOptions {
  /** The data directory: `tasks/`, `logs/` and `venv/` live below it. */
  dataDir: string
  /** Where the task folders are. @default `<dataDir>/tasks` */
  tasksDir?: string
  /** Where logs are written. @default `<dataDir>/logs` */
  logsDir?: string
  /** Triggers, runners, sinks and stores to add (the host passes its built-in ones). */
  plugins?: readonly TassePlugin[]
  /** The run store. @default a `MemoryRunStore` (history lasts as long as the process) */
  store?: RunStore
  /** Runs at once on this host. @default 5 */
  concurrency?: number
  /** Zone for triggers without `timezone` and for log times. @default 'UTC' */
  timezone?: string
  /** How long running tasks may finish at `stop()`. @default 30 s */
  shutdownGraceMs?: number
  /** How often the tasks folder is read again (a safety net for the watcher). @default 60 s (the original's) */
  rescanIntervalMs?: number
  /** Watch the tasks folder and apply changes as they happen. @default true */
  watch?: boolean
  /** Retention of finished runs in the store. @default 30 days and 1,000 runs per task */
  retention?: { maxAgeMs?: number; keepPerTask?: number }
  /** `log.txt` rotation and retention. @default 50 MB, 15 days */
  logRotation?: { rotateBytes?: number; retentionMs?: number }
  /** Mode of the files Tasse creates (logs); folders get the matching one. @default 0o600 */
  fileMode?: number
  /** Where Tasse writes about itself. @default the console */
  logger?: TasseLogger
  /** The environment tasks start from (host configuration removed). @default process.env */
  env?: NodeJS.ProcessEnv
  /**
   * How long this host may miss heartbeats before another host sharing the store takes its
   * runs over. @default 30 s
   */
  leaseMs?: number
}

/** A task as the API shows it. */
export interface TaskInfo {
  name: string
  state: 'ok' | 'invalid' | 'paused'
  /** Set when state is `invalid` (or when a last good definition runs despite a broken edit). */
  error: string | null
  task: TaskDefinition | null
  schedule: TaskState | null
}

export const DEFAULT_CONCURRENCY = 5
/** How often a tasks folder that cannot be read is tried again. */
const TASKS_FOLDER_RETRY_MS = 1000
export const DEFAULT_RETENTION = { maxAgeMs: 30 * 24 * 3600 * 1000, keepPerTask: 1000 } as const

/**
 * Creates a Tasse instance. Nothing runs until `start()`.
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
  private readonly followers = new RunLogFollowers(this.events)
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
  private readonly scheduler: Scheduler
  private readonly executor: Executor
  private readonly options: TasseOptions
  private rescanTimer: NodeJS.Timeout | null = null
  /** While the tasks folder cannot be listed: a quick retry, so that it is back promptly. */
  private retryTimer: NodeJS.Timeout | null = null
  private pruneTimer: NodeJS.Timeout | null = null
  private watcher: TaskWatcher | null = null
  private stateWrites: Promise<void> = Promise.resolve()
  private lastProblem: string | null = null
  private storedStates: Map<string, TaskState> | null = null
  private started = false
  /** True from `start()` having scheduled the tasks until `stop()`. */
  private scheduling = false
  private stopping: Promise<void> | null = null

  constructor(options: TasseOptions) {
    this.options = options
    this.dataDir = resolve(options.dataDir)
    this.tasksDir = resolve(options.tasksDir ?? join(this.dataDir, 'tasks'))
    this.logsDir = resolve(options.logsDir ?? join(this.dataDir, 'logs'))
    const timezone = options.timezone ?? 'UTC'
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY

    const extensions = new Extensions([
      corePlugin,
      {
        name: '@tasse/core:file-log-sink',
        register: (context) =>
          context.addLogSink(() =>
            fileLogSink({
              logsDir: this.logsDir,
              timezone,
              logger: extensions.logger(),
              ...options.logRotation,
              ...(options.fileMode !== undefined ? { fileMode: options.fileMode } : {}),
            }),
          ),
      },
      ...(options.plugins ?? []),
      // What the options name explicitly wins over what a plugin set.
      {
        name: 'createTasse options',
        register(context) {
          if (options.logger) context.setLogger(options.logger)
          if (options.store) context.setRunStore(options.store)
        },
      },
    ])
    this.#extensions = extensions
    this.extensions = extensions
    this.logger = extensions.logger()
    const factories = extensions.triggerFactories()
    this.catalog = new Catalog(this.tasksDir, { factories, defaultTimezone: timezone })
    this.membership = new HostMembership({
      store: () => this.store,
      logger: this.logger,
      ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
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
      timezone,
      hostId: () => this.membership.hostId,
    })
    this.scheduler = new Scheduler({
      handler: {
        fire: (task, scheduledAt, catchUp) =>
          void this.submit(task, { reason: catchUp ? 'catch-up' : 'schedule', scheduledAt }),
        missed: (task, times, more, why) => void this.recordMissed(task, times, more, why),
        stateChanged: (state) => {
          this.stateWrites = this.stateWrites
            .then(() => this.store.setTaskState(state))
            .catch((cause) =>
              this.logger.error(`could not save the schedule of ${state.task}`, cause),
            )
        },
      },
      onError: (task, cause) =>
        this.logger.error(
          `the trigger of task "${task.name}" failed; the task is not scheduled`,
          cause,
        ),
    })
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
    this.storedStates = new Map((await this.store.listTaskStates()).map((s) => [s.task, s]))
    this.rescan()
    // After the first scan, so that a recovered run's task is known to close its log; before
    // the scheduler starts, so that no new run can start meanwhile.
    await this.recoverInterrupted()
    // The schedule starts here, from what a previous host left: tasks a `rescan()` found before
    // `start()` (`tasse run` never starts) touched neither the schedule nor its saved state.
    for (const task of this.catalog.tasks())
      this.scheduler.schedule(task, this.storedStates?.get(task.name))
    if (!this.catalog.problem()) this.storedStates = null
    this.scheduling = true
    this.scheduler.start()
    const rescanMs = this.options.rescanIntervalMs ?? 60_000
    this.rescanTimer = setInterval(this.rescanFromTimer, rescanMs)
    this.rescanTimer.unref()
    if (this.options.watch !== false) {
      this.watcher = new TaskWatcher(this.tasksDir, this.rescanFromTimer, this.logger)
      this.watcher.sync(this.catalog.folders())
    }
    this.watchForRecovery()
    void this.prune()
    this.pruneTimer = setInterval(() => void this.prune(), 3600_000)
    this.pruneTimer.unref()
  }

  /**
   * Stops firing, lets running tasks finish within the grace period, then ends them (recorded as
   * `interrupted`), and closes the sinks and the store.
   */
  stop(graceMs = this.options.shutdownGraceMs ?? 30_000): Promise<void> {
    this.stopping ??= (async () => {
      this.scheduling = false
      this.scheduler.stop()
      this.watcher?.close()
      if (this.rescanTimer) clearInterval(this.rescanTimer)
      if (this.retryTimer) clearInterval(this.retryTimer)
      if (this.pruneTimer) clearInterval(this.pruneTimer)
      await this.executor.shutdown(graceMs)
      await this.stateWrites
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
    this.applyChanges(changes, this.storedStates ?? new Map())
    // The stored schedule states (paused, last fire time) are for the tasks found by the first
    // scan that could read the folder; a folder added later is a new task.
    if (this.scheduling && !changes.problem) this.storedStates = null
    this.watcher?.sync(this.catalog.folders())
    this.watchForRecovery()
    return changes
  }

  /**
   * What keeps this instance from working as configured, in words: empty when all is well.
   * The host's `/readyz` answers 503 with them.
   */
  problems(): string[] {
    const problem = this.catalog.problem()
    return problem ? [problem] : []
  }

  /**
   * The rescan a timer or the watcher runs. No exception from it may end the process: each is
   * logged, and the next rescan tries again.
   */
  private rescanFromTimer = (): void => {
    try {
      this.rescan()
    } catch (cause) {
      this.logger.error('rescanning the tasks folder failed; the next rescan tries again', cause)
    }
  }

  /** Retries every second while the tasks folder cannot be read; stops once it can. */
  private watchForRecovery(): void {
    const broken = this.catalog.problem() !== null
    if (broken && !this.retryTimer && this.started && !this.stopping) {
      this.retryTimer = setInterval(this.rescanFromTimer, TASKS_FOLDER_RETRY_MS)
      this.retryTimer.unref()
    } else if (!broken && this.retryTimer) {
      clearInterval(this.retryTimer)
      this.retryTimer = null
    }
  }

  /** Every task folder, valid or not, by name. */
  listTasks(): TaskInfo[] {
    const names = new Set([
      ...this.catalog.tasks().map((t) => t.name),
      ...this.catalog.invalid().map((i) => i.name),
    ])
    return [...names].sort().map((name) => this.taskInfo(name) as TaskInfo)
  }

  taskInfo(name: string): TaskInfo | undefined {
    const entry = this.catalog.entry(name)
    if (!entry) return undefined
    const schedule = this.scheduler.state(name) ?? null
    return {
      name,
      state: !entry.task ? 'invalid' : schedule?.paused ? 'paused' : 'ok',
      error: entry.error?.error.message ?? null,
      task: entry.task,
      schedule,
    }
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
   * Runs a task now. Resolves to the run as recorded (`queued`, `running`, or `skipped` with the
   * reason when the overlap policy refused it). Throws `TaskNotFoundError`, or `InvalidParamError`
   * for invalid parameters.
   */
  trigger(
    name: string,
    request: { params?: Record<string, string>; reason?: RunReason } = {},
  ): Promise<Run> {
    return this.submit(this.task(name), {
      reason: request.reason ?? 'trigger',
      params: request.params ?? {},
    })
  }

  /** Resolves when the run ends (at once if it already has). */
  async waitForRun(runId: string): Promise<Run> {
    const active = this.executor.wait(runId)
    if (active) return active
    await this.executor.flush()
    const run = await this.store.getRun(runId)
    if (!run) throw new TasseError('run_not_found', `no run with id ${JSON.stringify(runId)}`)
    return run
  }

  /** Cancels a queued or running run; false if it is not active. */
  cancel(runId: string): boolean {
    return this.executor.cancel(runId)
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
    return runLogPath(this.logsDir, run.task, run.id)
  }

  /** A run's output so far. */
  async readRunLog(runId: string): Promise<string> {
    const run = await this.requireRun(runId)
    return readRunLog(this.runLogPath(run))
  }

  /** A run's output file opened for streaming (ranges of it; see `RunLogReader`). */
  async openRunLog(runId: string): Promise<RunLogReader> {
    const run = await this.requireRun(runId)
    return openRunLog(this.runLogPath(run))
  }

  /** A run's output as it is written, from the start, ending when the run ends. */
  async followRunLog(runId: string, signal?: AbortSignal): Promise<AsyncIterable<string>> {
    const run = await this.requireRun(runId)
    return followRunLog({
      path: this.runLogPath(run),
      subscribe: (wake) => this.followers.subscribe(runId, wake),
      ended: async () => {
        const current = await this.store.getRun(runId)
        return !current || (current.status !== 'queued' && current.status !== 'running')
      },
      ...(signal ? { signal } : {}),
    })
  }

  /** The run store; opened when first used, not when the instance is made. */
  get store(): RunStore {
    return this.extensions.runStore()
  }

  on: TasseEvents['on'] = (...args) => this.events.on(...args)
  off: TasseEvents['off'] = (...args) => this.events.off(...args)

  private setPaused(name: string, paused: boolean): TaskState | undefined {
    const task = this.task(name)
    const before = this.scheduler.state(name)?.paused
    const state = this.scheduler.setPaused(name, paused)
    if (state && before !== paused) this.events.emit('task:paused', task, paused)
    return state
  }

  private async requireRun(runId: string): Promise<Run> {
    const run = await this.store.getRun(runId)
    if (!run) throw new TasseError('run_not_found', `no run with id ${JSON.stringify(runId)}`)
    return run
  }

  private async submit(task: TaskDefinition, request: RunRequest): Promise<Run> {
    const run = await this.executor.submit(task, request)
    if (run.status === 'skipped') this.logger.warn(`task "${task.name}": run skipped: ${run.error}`)
    return run
  }

  private async recordMissed(
    task: TaskDefinition,
    times: readonly EpochMicros[],
    more: number,
    why: string,
  ) {
    for (const scheduledAt of times)
      await this.executor.recordNotRun(task, { reason: 'schedule', scheduledAt }, 'missed', why)
    const count = times.length + more
    this.logger.warn(
      `task "${task.name}": ${count} fire time(s) missed: ${why}${more ? ` (${more} not listed in history)` : ''}`,
    )
  }

  private applyChanges(changes: CatalogChanges, states: ReadonlyMap<string, TaskState>): void {
    // Said once when it starts (or changes), and once when it is over, not at every retry.
    const problem = changes.problem ?? null
    if (problem !== this.lastProblem) {
      if (problem) this.logger.error(problem)
      else if (this.lastProblem) this.logger.info(`${displayPath(this.tasksDir)} can be read again`)
      this.lastProblem = problem
    }
    for (const task of changes.removed) {
      if (this.scheduling) this.scheduler.unschedule(task.name)
      this.events.emit('task:removed', task)
      this.logger.info(`task "${task.name}" removed`)
    }
    for (const task of changes.added) {
      if (this.scheduling) this.scheduler.schedule(task, states.get(task.name))
      this.events.emit('task:added', task)
      this.logger.info(
        `task "${task.name}" ${task.trigger ? `scheduled: ${task.trigger.describe()}` : 'added (runs when triggered)'}`,
      )
    }
    for (const task of changes.changed) {
      if (this.scheduling) {
        const paused = this.scheduler.state(task.name)?.paused ?? false
        this.scheduler.schedule(task, {
          task: task.name,
          lastFireTime: null,
          nextFireTime: null,
          paused,
        })
      }
      this.events.emit('task:changed', task)
      this.logger.info(
        `task "${task.name}" changed${task.trigger ? `: ${task.trigger.describe()}` : ''}`,
      )
    }
    for (const invalid of changes.invalid) {
      this.events.emit('task:invalid', invalid)
      const keeps = this.catalog.get(invalid.name)
        ? ' (its last good definition keeps running)'
        : ''
      this.logger.error(`${invalid.error.message}${keeps}`)
    }
  }

  /**
   * Runs that dead hosts left unfinished (a crashed previous run of this host among them), and
   * runs of no host (`tasse run`, an older release): end what is left of their processes on
   * this machine, record them `interrupted`. Runs of live hosts are not touched.
   */
  private async recoverInterrupted(): Promise<void> {
    const why = (run: Run) =>
      run.status === 'running' ? 'the host stopped while it ran' : 'the host stopped before it ran'
    const expired = await this.store.expireHosts({
      leaseMs: this.membership.leaseMs,
      error: (_host, run) => why(run),
    })
    const here = new Set(
      expired.hosts.filter((h) => h.name === this.membership.name).map((h) => h.id),
    )
    const orphans = (await this.store.unfinishedRuns()).filter((run) => run.hostId === null)
    for (const run of orphans)
      await this.store.updateRun(run.id, {
        status: 'interrupted',
        error: why(run),
        endedAt: Date.now(),
      })
    for (const run of [...expired.runs, ...orphans]) {
      let error = run.error ?? why(run)
      // A pid means nothing on another machine; ours, or a run of no host, may be ended here.
      const local = run.hostId === null || here.has(run.hostId)
      if (run.pid !== null && local && killOrphanedGroup(run.pid, run.pidStartedAt)) {
        error = `${error}; its remaining processes were ended`
        await this.store.updateRun(run.id, { error })
      }
      this.logger.warn(`run ${run.id} of task "${run.task}" recorded as interrupted: ${error}`)
      // A run that started here has its `>>> Task` line in this machine's log.txt: its
      // `<<< Task … ended` line is written now. (A task gone from the folder since has no
      // entrypoint to name: its log stays unclosed.)
      const task = this.catalog.get(run.task)
      if (local && run.startedAt !== null && task) {
        const ended: Run = { ...run, status: 'interrupted', error, endedAt: Date.now() }
        for (const sink of this.extensions.logSinks())
          await Promise.resolve()
            .then(() => sink.runEnded(ended, task))
            .catch((cause) => this.logger.error(`log sink ${sink.name} failed`, cause))
      }
    }
  }

  /** Retention: old runs leave the history, and their own log files go with them. */
  private async prune(): Promise<void> {
    const retention = { ...DEFAULT_RETENTION, ...this.options.retention }
    let pruned: PrunedRun[]
    try {
      pruned = await this.store.pruneRuns({
        olderThanMs: retention.maxAgeMs,
        keepPerTask: retention.keepPerTask,
      })
    } catch (cause) {
      this.logger.error('could not prune run history', cause)
      return
    }
    await removeRunLogs(this.logsDir, pruned, this.logger)
  }
}
