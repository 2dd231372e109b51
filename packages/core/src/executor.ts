/**
 * The executor: turns requests into runs. Each step is a module of its own; this class holds
 * the runs in flight and calls them in order: parameters (`params.ts`) → admission
 * (`admission.ts`) → a slot of the host's limit (`slots.ts`) → the runner's command → the child
 * process (`child-process.ts`) → its output in batches (`line-batcher.ts`) → the sinks
 * (`sink-fanout.ts`) → the store (`run-recorder.ts`); then retries, cancels, timeouts, shutdown.
 */
import { type ActiveRun, activeRun, outcome } from './active-run.js'
import { type Admission, admit } from './admission.js'
import { endLeftovers, startChild } from './child-process.js'
import { clusterView, retryClaimAt } from './cluster-admission.js'
import { CLUSTER_POLL_MS } from './cluster-sync.js'
import { formatDuration } from './duration.js'
import type { TasseEvents } from './events.js'
import { traceFire } from './fire-trace.js'
import { readLines } from './line-batcher.js'
import { type LongTimeout, setLongTimeout } from './long-timer.js'
import { paramArgs, validateParams } from './params.js'
import { pickRunner } from './plain-runners.js'
import { retryDelay } from './retries.js'
import { runAccess } from './run-access.js'
import type { RunCgroup, RunCgroups } from './run-cgroup.js'
import { RunLimiter, withOutOfMemory } from './run-limits.js'
import { newRun, RunRecorder, type RunRequest } from './run-recorder.js'
import { SinkFanout } from './sink-fanout.js'
import { Slots, TaskLines } from './slots.js'
import { StoreOutput } from './store-output.js'
import { runEnv } from './task-env.js'
import type { RunLimits } from './task-limits.js'
import { type TimeZone, timeZone } from './time/zone.js'
import type {
  AdmissionWrites,
  EpochMicros,
  LogSink,
  OutputBatch,
  Refusal,
  Run,
  Runner,
  RunStatus,
  RunStore,
  TaskDefinition,
  TaskUser,
  TasseLogger,
} from './types.js'
import { FINAL_RUN_STATUSES } from './types.js'

export type { RunRequest } from './run-recorder.js'

/** How long the output of a run whose process has exited may take to close. */
const DRAIN_MS = 2000
/** How often a run replacing runs of other hosts looks whether they have ended. */
const REPLACED_POLL_MS = 100

export interface ExecutorOptions {
  /** The run store, asked for when a run is first recorded. */
  store: () => RunStore
  /** The log sinks, asked for when a run first starts. */
  sinks: () => readonly LogSink[]
  runners: readonly Runner[]
  events: TasseEvents
  logger: TasseLogger
  dataDir: string
  /** Runs at once on this host. @default 5 (the original's thread pool) */
  concurrency: number
  /** The environment every task starts from (the host's, without its own configuration). */
  baseEnv: Readonly<Record<string, string>>
  /** Whether a task's schedule is paused (its fires are refused). @default never */
  paused?: (task: string) => boolean
  /** Between SIGTERM and SIGKILL when a run is ended. @default 5000 */
  killGraceMs?: number
  /** Zone of TASSE_SCHEDULED_TIME. @default 'UTC' */
  timezone?: string
  /** The id this host registered with the store, recorded on its runs (`null`: none). */
  hostId?: () => string | null
  /**
   * Where each run gets a control group of its own, so that the processes that leave its
   * process group are ended with it (`null`: none; they are looked for in /proc instead).
   * Called once, when the first run starts.
   */
  cgroups?: () => RunCgroups | null
  /** Why `cgroups` gave none, for the line said at start. */
  noCgroupReason?: string
  /** The host's default limits, for what a task's `limits:` does not set. @default none */
  limits?: RunLimits
  /** Whom a task without `user:` runs as (`null`: the host's user). @default null */
  taskUser?: TaskUser | null
}

/** A run as admission left it: recorded, and refused or on its way. */
export type Submission = { run: Run; refusal: null } | { run: Run; refusal: Refusal }

export class Executor {
  /** Runs not final here, oldest first: running, waiting for a slot, or behind their task. */
  private readonly active = new Map<string, ActiveRun>()
  private readonly slots: Slots<ActiveRun>
  private readonly behind = new TaskLines<ActiveRun>()
  private readonly retryTimers = new Set<LongTimeout>()
  /** Runs of `overlap: replace` waiting for the runs they replace to be gone. */
  private readonly replacing = new Set<ActiveRun>()
  private readonly recorder: RunRecorder
  private readonly fanout: SinkFanout
  private readonly output: StoreOutput
  private readonly zone: TimeZone
  private accepting = true
  private cgroups: { found: RunCgroups | null } | undefined
  private readonly limiter: RunLimiter

  constructor(private readonly options: ExecutorOptions) {
    this.limiter = new RunLimiter(
      () => this.runCgroups(),
      options.limits,
      options.logger,
      options.noCgroupReason,
    )
    this.slots = new Slots(options.concurrency, (entry) => void this.start(entry))
    this.recorder = new RunRecorder(options.store, options.events, options.logger)
    this.fanout = new SinkFanout(options.sinks, options.events, options.logger)
    this.output = new StoreOutput(options.store, options.logger)
    this.zone = timeZone(options.timezone ?? 'UTC')
  }

  /** Runs of `task` (of all tasks without one) not final here: running or waiting. */
  activeRuns(task?: string): Run[] {
    const runs: Run[] = []
    for (const entry of this.active.values())
      if (!task || entry.task.name === task) runs.push({ ...entry.run })
    return runs
  }

  /** How many runs are running, and how many wait (for a slot or behind their task). */
  counts(): { running: number; queued: number } {
    return { running: this.slots.running, queued: this.active.size - this.slots.running }
  }

  /**
   * Asks for a run of `task`: the run as recorded (`queued` or `running`), or `skipped` with
   * the refusal when admission refused it. Throws `InvalidParamError` for invalid parameters,
   * recording nothing.
   */
  async submit(task: TaskDefinition, request: RunRequest): Promise<Submission> {
    return (await this.#submit(task, request, null)) as Submission
  }

  /**
   * `submit`, for a fire time (`claimAt`, µs, with the request's attempt) that this host runs
   * only if it wins its claim: the claim and the run's record are one store step, so a host
   * that dies between the two cannot leave a fire time claimed and never recorded. Resolves
   * `null` when another host holds the claim (nothing recorded). Without a host id (no store
   * shared), nothing is claimed.
   */
  submitClaimed(
    task: TaskDefinition,
    request: RunRequest,
    claimAt: EpochMicros,
  ): Promise<Submission | null> {
    return this.#submit(task, request, claimAt)
  }

  async #submit(
    task: TaskDefinition,
    request: RunRequest,
    claimAt: EpochMicros | null,
  ): Promise<Submission | null> {
    const run = newRun(task, request, validateParams(task, request.params ?? {}), this.hostId())
    traceFire('submit', run.id)
    const scheduled = request.reason === 'schedule' || request.reason === 'catch-up'
    // The store decides over every host's active runs of the task, and records the run in the
    // same step: two hosts (or two requests here) can never both take the task's last slot.
    let admission: Admission = { kind: 'start' }
    const claimed = await this.#admitRun(task.name, run, claimAt, (active) => {
      // A run this host is already ending is not ended again by `replace`.
      // A run of this host waiting for the runs it replaces to die holds its place already.
      const view = clusterView(active, task).map((seen) => {
        const here = this.active.get(seen.id)
        return {
          ...seen,
          behind: seen.behind && !(here && this.replacing.has(here)),
          ending: (here?.endedBy ?? null) !== null,
        }
      })
      admission = admit(view, task, {
        scheduled,
        paused: this.options.paused?.(task.name) ?? false,
        accepting: this.accepting,
      })
      traceFire('admitted', run.id)
      return this.writesFor(admission, run)
    })
    if (!claimed) return null
    traceFire('recorded', run.id)
    const decided = admission as Admission
    if (decided.kind === 'refuse') {
      const { refusal } = decided
      this.options.logger.warn(`task "${task.name}": run skipped: ${refusal.message}`)
      this.recorder.admitted(run)
      return { run: { ...run }, refusal }
    }
    if (decided.kind === 'replace')
      for (const id of decided.runIds) {
        const replaced = this.active.get(id)
        // A run of another host was asked to end through the store (`writesFor`).
        if (replaced) this.cancelEntry(replaced, 'cancelled', `replaced by run ${run.id}`)
      }
    const entry = this.track(run, task)
    if (decided.kind === 'queue') this.behind.push(task.name, entry)
    else if (decided.kind === 'replace')
      this.afterReplaced(
        entry,
        decided.runIds.filter((id) => !this.active.has(id)),
      )
    else this.slots.add(entry)
    // Started only once recorded (it is): whoever hears `run:started` finds the run in the store.
    this.recorder.admitted(run)
    this.slots.pump()
    return { run: { ...run }, refusal: null }
  }

  /**
   * Records a fire that did not run (`missed`) with the reason, in history. With `claimAt`
   * (µs), only if this host wins that fire time's claim, in the same store step (`null`: another
   * host holds it, nothing recorded); a failure of the store then rejects, for the caller to
   * try again.
   */
  async recordNotRun(
    task: TaskDefinition,
    request: RunRequest,
    status: RunStatus,
    error: string,
    claimAt: EpochMicros | null = null,
  ): Promise<Run | null> {
    const run = newRun(task, request, { ...request.params }, this.hostId())
    if (claimAt === null || this.hostId() === null) return this.recorder.final(run, status, error)
    Object.assign(run, { status, error, endedAt: Date.now() })
    if (!(await this.#admitRun(task.name, run, claimAt, () => ({ insert: { ...run } }))))
      return null
    this.recorder.admitted(run)
    return { ...run }
  }

  /**
   * `admitRun` of `run`'s task, claiming fire time `claimAt` (with the run's attempt) for this
   * host in the same step when there is one and a host id: false when the claim was lost.
   */
  async #admitRun(
    task: string,
    run: Run,
    claimAt: EpochMicros | null,
    decide: (active: readonly Run[]) => AdmissionWrites,
  ): Promise<boolean> {
    const hostId = this.hostId()
    const store = this.options.store()
    if (claimAt === null || hostId === null) {
      await store.admitRun(task, decide)
      return true
    }
    const claim = { scheduledAt: claimAt, hostId, attempt: run.attempt }
    return (await store.admitRun(task, decide, { claim })) !== null
  }

  /** What this host enforces of runs' limits, in a line or a few (said at start). */
  describeLimits(): string {
    return this.limiter.describe()
  }

  /** Why the log sinks cannot write now (empty when they can), for the host's readiness. */
  problems(): string[] {
    return this.fanout.problems()
  }

  /** Ends what is left of a run a previous host did not end (a crash); true if anything. */
  endLeftovers(run: Run): Promise<boolean> {
    let cgroup: RunCgroup | null = null
    try {
      cgroup = this.runCgroups()?.open(run.id) ?? null
    } catch {}
    return endLeftovers(run.id, cgroup)
  }

  /** Tells the sinks that a run this host did not end here has ended (recovered after a crash). */
  closeLog(run: Run, task: TaskDefinition): Promise<void> {
    return this.fanout.ended(run, task)
  }

  /** Resolves once every state change so far is in the store. */
  flush(): Promise<void> {
    return this.recorder.flush()
  }

  /** Waits for a run this executor holds to end; `undefined` if it holds no such run. */
  wait(runId: string): Promise<Run> | undefined {
    return this.active.get(runId)?.done
  }

  /** Cancels a queued or running run. False when the run is not active here. */
  cancel(runId: string, reason = 'cancelled on request'): boolean {
    const entry = this.active.get(runId)
    if (!entry) return false
    this.cancelEntry(entry, 'cancelled', reason)
    return true
  }

  /**
   * Stops taking runs, cancels those waiting, lets running ones finish for `graceMs`, then ends
   * their process groups and records them as `interrupted`.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.accepting = false
    for (const timer of this.retryTimers) timer.clear()
    this.retryTimers.clear()
    for (const entry of [...this.active.values()])
      if (!entry.child)
        this.cancelEntry(entry, 'interrupted', 'the host shut down before it started')
    const running = [...this.active.values()].map((entry) => entry.done)
    if (running.length) {
      const seconds = Math.round(graceMs / 1000)
      this.options.logger.info(
        `waiting up to ${seconds}s for ${running.length} running task(s) to finish`,
      )
      const grace = new Promise<'timeout'>((resolve) =>
        setLongTimeout(() => resolve('timeout'), graceMs).unref(),
      )
      if ((await Promise.race([Promise.all(running), grace])) === 'timeout') {
        for (const entry of [...this.active.values()])
          this.cancelEntry(
            entry,
            'interrupted',
            `still running when the host shut down (grace ${seconds}s)`,
          )
        await Promise.all(running)
      }
    }
    await this.recorder.flush()
  }

  /**
   * The runs of `task` waiting behind others here get their place once the task's active runs,
   * every host's, leave them one (`clusterView`): after a run of the task ended, here or on
   * another host. Failures are logged; the next end of a run looks again.
   */
  async reconsider(task: string): Promise<void> {
    if (this.behind.length(task) === 0) return
    try {
      await this.recorder.flush()
      let holding = new Set<string>()
      await this.options.store().admitRun(task, (active) => {
        const entry = this.behind.peek(task)
        if (entry) holding = new Set(clusterView(active, entry.task).holding)
        return {}
      })
      for (const entry of this.behind.items(task))
        if (holding.has(entry.run.id) && this.behind.remove(task, entry)) this.slots.add(entry)
      this.slots.pump()
    } catch (cause) {
      this.options.logger.error(`task "${task}": could not look at the runs waiting`, cause)
    }
  }

  /**
   * This host lost its place in the store (its lease expired and another host took its runs
   * over): every run here ends now, recorded by that host as `interrupted`.
   */
  abandon(reason: string): void {
    for (const entry of [...this.active.values()]) this.cancelEntry(entry, 'interrupted', reason)
  }

  /**
   * Retries `run` (which ended as `run.status`) after `delayMs`, if this host wins the claim of
   * that attempt: a host that was paused, not dead, cannot retry what another host took over.
   */
  retry(task: TaskDefinition, run: Run, delayMs: number): void {
    const timer = setLongTimeout(() => {
      this.retryTimers.delete(timer)
      void this.#retryNow(task, run)
    }, delayMs)
    this.retryTimers.add(timer)
  }

  async #retryNow(task: TaskDefinition, run: Run): Promise<void> {
    try {
      const attempt = run.attempt + 1
      const retryOf = run.retryOf ?? run.id
      const request = { reason: 'retry' as const, params: run.params, attempt }
      const retry = { ...request, scheduledAt: run.scheduledAt, retryOf }
      await this.submitClaimed(task, retry, retryClaimAt(run))
    } catch (cause) {
      this.options.logger.error(`could not retry run ${run.id}`, cause)
    }
  }

  private hostId(): string | null {
    return this.options.hostId?.() ?? null
  }

  /** What the store writes for `admission` of the new `run` (refused: recorded as skipped). */
  private writesFor(admission: Admission, run: Run): AdmissionWrites {
    if (admission.kind === 'refuse') {
      const { message } = admission.refusal
      Object.assign(run, { status: 'skipped', error: message, endedAt: Date.now() })
      return { insert: { ...run } }
    }
    Object.assign(run, { status: 'queued', error: null, endedAt: null })
    // Runs of other hosts in the way are asked to end through the store.
    const elsewhere =
      admission.kind === 'replace' ? admission.runIds.filter((id) => !this.active.has(id)) : []
    if (elsewhere.length > 0)
      return {
        insert: { ...run },
        cancel: elsewhere.map((runId) => ({ runId, reason: `replaced by run ${run.id}` })),
      }
    return { insert: { ...run } }
  }

  /**
   * `overlap: replace`: the new run takes its slot once every run of its task being ended is
   * gone, here and on other hosts (`elsewhere`, asked through the store), so that
   * `max_instances` holds while a replaced run is slow to die.
   */
  private afterReplaced(entry: ActiveRun, elsewhere: readonly string[]): void {
    const dying: Promise<unknown>[] = []
    for (const other of this.active.values())
      if (other !== entry && other.task.name === entry.task.name && other.endedBy)
        dying.push(other.done)
    this.replacing.add(entry)
    if (elsewhere.length > 0) dying.push(this.endedElsewhere(entry, elsewhere))
    void Promise.all(dying).then(() => {
      // Replaced in turn, or the host shut down, while it waited: already recorded.
      if (!this.replacing.delete(entry)) return
      this.slots.add(entry)
      this.slots.pump()
    })
  }

  /**
   * Resolves once the runs `ids` of other hosts, asked to end, are final in the store: at most
   * the kill grace after their hosts hear of it, which is at once through the change feed or
   * at their next poll (`CLUSTER_POLL_MS`). Past that, a host that does not answer is dead or
   * cut off, its runs left to its lease: `entry` starts, and says so.
   */
  private async endedElsewhere(entry: ActiveRun, ids: readonly string[]): Promise<void> {
    const waitMs = this.killGraceMs() + CLUSTER_POLL_MS
    const deadline = Date.now() + waitMs
    let left = [...ids]
    while (left.length > 0 && Date.now() < deadline && this.replacing.has(entry)) {
      await new Promise((resolve) => setTimeout(resolve, REPLACED_POLL_MS))
      const runs = await Promise.all(
        left.map((id) =>
          this.options
            .store()
            .getRun(id)
            .catch(() => null),
        ),
      )
      // A run deleted by retention is gone; one the store could not read is still waited for.
      left = left.filter((_, i) => {
        const run = runs[i]
        return run === null || (run !== undefined && !FINAL_RUN_STATUSES.has(run.status))
      })
    }
    if (left.length > 0 && this.replacing.has(entry))
      this.options.logger.warn(
        `run ${entry.run.id} of task "${entry.task.name}" starts though run(s) ${left.join(', ')} it replaces, on other hosts, still read unfinished after ${formatDuration(waitMs)}`,
      )
  }

  private track(run: Run, task: TaskDefinition): ActiveRun {
    const entry = activeRun(run, task)
    this.active.set(run.id, entry)
    return entry
  }

  private async start(entry: ActiveRun): Promise<void> {
    const { run, task } = entry
    if (run.status !== 'running')
      this.recorder.update(run, { status: 'running', startedAt: Date.now() })
    this.options.events.emit('run:started', { ...run })
    await this.fanout.started(run, task)
    // Secrets are known once read (below); until then there is nothing to mask.
    let mask = (line: string) => line
    const deliver = (stream: OutputBatch['stream'], lines: string[]) => {
      // The task's own bytes, each line with its newline (Tasse's own lines are not its output).
      if (stream !== 'tasse')
        for (const line of lines) entry.outputBytes += Buffer.byteLength(line) + 1
      const batch = { stream, time: Date.now(), lines: lines.map(mask) }
      this.output.append(run.id, batch)
      return this.fanout.output(run, task, batch)
    }
    // A message of several lines (an install's last lines) stays one log line per line.
    const say = (text: string) => void deliver('tasse', text.split('\n'))
    try {
      const runner = pickRunner(this.options.runners, task)
      const access = await runAccess(task, this.options.taskUser ?? null)
      mask = access.mask
      const env = runEnv({ ...this.options.baseEnv, ...access.env }, access.task, run, this.zone)
      const command = await runner.prepare(task, {
        dataDir: this.options.dataDir,
        env,
        log: say,
        signal: entry.controller.signal,
        owner: access.user,
      })
      if (entry.endedBy) return this.finish(entry, null, null)
      access.checkCommand(command.command)
      const args = [...command.args, ...paramArgs(task, run.params)]
      const cgroup = this.cgroupOf(run)
      try {
        this.limiter.apply(task, cgroup)
      } catch (cause) {
        cgroup?.remove()
        throw new Error(`could not set the run's limits: ${(cause as Error).message}`, { cause })
      }
      traceFire('spawn', run.id)
      const child = await startChild(
        { command: command.command, args },
        {
          cwd: task.dir,
          env: { ...env, ...command.env, ...access.userEnv },
          cgroup,
          marker: 'TASSE_RUN_ID',
          user: access.user,
        },
      ).catch((cause) => {
        cgroup?.remove()
        throw cause
      })
      traceFire('spawned', run.id)
      entry.child = child
      this.recorder.update(run, { pid: child.pid, pidStartedAt: child.startTime })
      // Cancelled while it started: end it now that there is a process to end.
      if (entry.endedBy) void child.terminate(this.killGraceMs())
      else if (task.timeoutMs !== null) {
        const limit = `ran longer than its timeout of ${formatDuration(task.timeoutMs)}`
        // Chained: one Node timer holds 24.86 days at most (`timeout: 30d` fired at once).
        entry.timeout = setLongTimeout(
          () => this.cancelEntry(entry, 'timed_out', limit),
          task.timeoutMs,
        )
      }
      const outputs = Promise.all([
        readLines(child.stdout, (lines) => deliver('stdout', lines)),
        readLines(child.stderr, (lines) => deliver('stderr', lines)),
      ])
      const { code, signal } = await child.exited
      // Whatever the task left behind (in its group, or escaped into its cgroup) ends with it;
      // after a cancel or a timeout, this is the same SIGTERM → grace → SIGKILL, run to its end.
      await child.terminate(this.killGraceMs())
      // A grandchild that keeps the pipes open must not hold the run: give them a moment. The
      // timer is cleared once they close: left pending, it kept an embedder's process alive
      // for DRAIN_MS after `stop()`.
      let drainTimer: NodeJS.Timeout | undefined
      const drained = await Promise.race([
        outputs.then(() => true),
        new Promise<false>((resolve) => {
          drainTimer = setTimeout(resolve, DRAIN_MS, false)
        }),
      ]).finally(() => clearTimeout(drainTimer))
      if (!drained) child.closeOutput()
      await this.finish(entry, code, signal)
    } catch (cause) {
      const message = mask(cause instanceof Error ? cause.message : String(cause))
      say(message)
      entry.endedBy ??= { status: 'failed', error: message }
      await this.finish(entry, null, null)
    }
  }

  private async finish(
    entry: ActiveRun,
    exitCode: number | null,
    signal: NodeJS.Signals | null,
  ): Promise<void> {
    const { run, task } = entry
    entry.timeout?.clear()
    const usage = entry.child?.usage() ?? null
    const { status, error } = withOutOfMemory(
      outcome(entry.endedBy, exitCode, signal),
      signal,
      usage,
    )
    // Its output is in the store before its end: a follower on another host reads it all.
    await this.output.end(run.id)
    const ended = {
      status,
      exitCode,
      signal,
      error,
      endedAt: Date.now(),
      peakMemoryBytes: usage?.peakMemoryBytes ?? null,
      cpuUserSeconds: usage?.cpuUserSeconds ?? null,
      cpuSystemSeconds: usage?.cpuSystemSeconds ?? null,
      outputBytes: entry.child ? entry.outputBytes : null,
    }
    // The sinks close its logs first (the `<<<` line needs its code): whoever then reads the
    // run as ended finds its logs complete, and its error already says whether they are not.
    Object.assign(run, ended)
    await this.fanout.ended(run, task)
    // Its output did not all reach the logs (a full disk): its status stays its own.
    const lost = this.fanout.takeFailure(run.id)
    if (lost) {
      const note = `its output was not all written: ${lost}`
      ended.error = error ? `${error}; ${note}` : note
    }
    this.recorder.update(run, ended)
    this.active.delete(run.id)
    this.slots.release()
    this.options.events.emit('run:ended', { ...run })
    entry.resolve({ ...run })
    // The runs waiting behind this one (here or on other hosts) get their place in line.
    void this.reconsider(task.name)
    const delay = this.accepting ? retryDelay(task.retries, run) : null
    if (delay !== null) this.retry(task, { ...run }, delay)
    this.slots.pump()
  }

  private killGraceMs(): number {
    return this.options.killGraceMs ?? 5000
  }

  /** Where runs get control groups here, looked for once. */
  private runCgroups(): RunCgroups | null {
    this.cgroups ??= { found: this.options.cgroups?.() ?? null }
    return this.cgroups.found
  }

  /** The run's own control group, or `null` (none here, or it could not be made: logged). */
  private cgroupOf(run: Run): RunCgroup | null {
    const cgroups = this.runCgroups()
    if (!cgroups) return null
    try {
      return cgroups.create(run.id)
    } catch (cause) {
      this.options.logger.warn(
        `run ${run.id}: no control group of its own (${(cause as Error).message}); processes that leave its process group are looked for by its TASSE_RUN_ID`,
      )
      return null
    }
  }

  private cancelEntry(entry: ActiveRun, status: RunStatus, error: string): void {
    if (entry.endedBy) return
    entry.endedBy = { status, error }
    entry.controller.abort()
    if (
      this.replacing.delete(entry) ||
      this.slots.withdraw(entry) ||
      this.behind.remove(entry.task.name, entry)
    ) {
      this.active.delete(entry.run.id)
      this.recorder.update(entry.run, { status, error, endedAt: Date.now() })
      this.options.events.emit('run:ended', { ...entry.run })
      entry.resolve({ ...entry.run })
      return
    }
    // Still preparing, or spawning: `start()` ends it once there is a process (or none).
    void entry.child?.terminate(this.killGraceMs())
  }
}
