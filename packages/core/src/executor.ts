/**
 * The executor: turns requests into runs. Each step is a module of its own; this class holds
 * the runs in flight and calls them in order: parameters (`params.ts`) → admission
 * (`admission.ts`) → a slot of the host's limit (`slots.ts`) → the runner's command → the child
 * process (`child-process.ts`) → its output in batches (`line-batcher.ts`) → the sinks
 * (`sink-fanout.ts`) → the store (`run-recorder.ts`); then retries, cancels, timeouts, shutdown.
 */
import { type ActiveRun, activeRun, outcome } from './active-run.js'
import { type AdmittedRun, admit } from './admission.js'
import { startChild } from './child-process.js'
import { formatDuration } from './duration.js'
import type { TasseEvents } from './events.js'
import { traceFire } from './fire-trace.js'
import { readLines } from './line-batcher.js'
import { paramArgs, validateParams } from './params.js'
import { pickRunner } from './plain-runners.js'
import { retryDelay } from './retries.js'
import { newRun, RunRecorder, type RunRequest } from './run-recorder.js'
import { SinkFanout } from './sink-fanout.js'
import { Slots, TaskLines } from './slots.js'
import { runEnv } from './task-env.js'
import { type TimeZone, timeZone } from './time/zone.js'
import type {
  LogSink,
  OutputBatch,
  Refusal,
  Run,
  Runner,
  RunStatus,
  RunStore,
  TaskDefinition,
  TasseLogger,
} from './types.js'

export type { RunRequest } from './run-recorder.js'

/** How long the output of a run whose process has exited may take to close. */
const DRAIN_MS = 2000

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
}

/** A run as admission left it: recorded, and refused or on its way. */
export type Submission = { run: Run; refusal: null } | { run: Run; refusal: Refusal }

export class Executor {
  /** Runs not final here, oldest first: running, waiting for a slot, or behind their task. */
  private readonly active = new Map<string, ActiveRun>()
  private readonly slots: Slots<ActiveRun>
  private readonly behind = new TaskLines<ActiveRun>()
  private readonly retryTimers = new Set<NodeJS.Timeout>()
  private readonly recorder: RunRecorder
  private readonly fanout: SinkFanout
  private readonly zone: TimeZone
  private accepting = true

  constructor(private readonly options: ExecutorOptions) {
    this.slots = new Slots(options.concurrency, (entry) => void this.start(entry))
    this.recorder = new RunRecorder(options.store, options.events, options.logger)
    this.fanout = new SinkFanout(options.sinks, options.events, options.logger)
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
    const run = newRun(task, request, validateParams(task, request.params ?? {}), this.hostId())
    traceFire('submit', run.id)
    // Admission and tracking happen in one turn of the event loop: no two requests of a task
    // can both be admitted into its last slot.
    const admission = admit(this.admittedRuns(task.name), task, {
      scheduled: request.reason === 'schedule' || request.reason === 'catch-up',
      paused: this.options.paused?.(task.name) ?? false,
      accepting: this.accepting,
    })
    if (admission.kind === 'refuse') {
      const { refusal } = admission
      this.options.logger.warn(`task "${task.name}": run skipped: ${refusal.message}`)
      return { run: await this.recorder.final(run, 'skipped', refusal.message), refusal }
    }
    if (admission.kind === 'replace') {
      const replaced = this.active.get(admission.runId) as ActiveRun
      this.cancelEntry(replaced, 'cancelled', `replaced by run ${run.id}`)
    }
    const entry = this.track(run, task)
    if (admission.kind === 'queue') this.behind.push(task.name, entry)
    else {
      // A run that gets a slot at once is recorded `running` in its first write: one store
      // write before the process starts, not two. It is first in line for that slot (nothing
      // waits before it), so no other run can take it while the write happens.
      if (this.slots.free()) Object.assign(run, { status: 'running', startedAt: Date.now() })
      this.slots.add(entry)
    }
    traceFire('admitted', run.id)
    // Started only once recorded: whoever hears `run:started` finds the run in the store.
    await this.recorder.insert(run)
    traceFire('recorded', run.id)
    this.slots.pump()
    return { run: { ...run }, refusal: null }
  }

  /** Records a fire that did not run (`missed`) with the reason, in history. */
  recordNotRun(
    task: TaskDefinition,
    request: RunRequest,
    status: RunStatus,
    error: string,
  ): Promise<Run> {
    const run = newRun(task, request, { ...request.params }, this.hostId())
    return this.recorder.final(run, status, error)
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
    for (const timer of this.retryTimers) clearTimeout(timer)
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
        setTimeout(resolve, graceMs, 'timeout').unref(),
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

  private hostId(): string | null {
    return this.options.hostId?.() ?? null
  }

  /** The runs of `task` not final here, oldest first, as admission sees them. */
  private admittedRuns(task: string): AdmittedRun[] {
    const runs: AdmittedRun[] = []
    for (const entry of this.active.values())
      if (entry.task.name === task) runs.push({ id: entry.run.id, behind: this.isBehind(entry) })
    return runs
  }

  private isBehind(entry: ActiveRun): boolean {
    return this.behind.has(entry.task.name, entry)
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
    const deliver = (stream: OutputBatch['stream'], lines: string[]) =>
      this.fanout.output(run, task, { stream, time: Date.now(), lines })
    // A message of several lines (an install's last lines) stays one log line per line.
    const say = (text: string) => void deliver('tasse', text.split('\n'))
    try {
      const runner = pickRunner(this.options.runners, task)
      const env = runEnv(this.options.baseEnv, task, run, this.zone)
      const command = await runner.prepare(task, {
        dataDir: this.options.dataDir,
        env,
        log: say,
        signal: entry.controller.signal,
      })
      if (entry.endedBy) return this.finish(entry, null, null)
      const args = [...command.args, ...paramArgs(task, run.params)]
      traceFire('spawn', run.id)
      const child = await startChild(
        { command: command.command, args },
        { cwd: task.dir, env: { ...env, ...command.env } },
      )
      traceFire('spawned', run.id)
      entry.child = child
      this.recorder.update(run, { pid: child.pid, pidStartedAt: child.startTime })
      // Cancelled while it started: end it now that there is a process to end.
      if (entry.endedBy) child.terminate(this.options.killGraceMs ?? 5000)
      else if (task.timeoutMs !== null) {
        const limit = `ran longer than its timeout of ${formatDuration(task.timeoutMs)}`
        entry.timeout = setTimeout(
          () => this.cancelEntry(entry, 'timed_out', limit),
          task.timeoutMs,
        )
      }
      const outputs = Promise.all([
        readLines(child.stdout, (lines) => deliver('stdout', lines)),
        readLines(child.stderr, (lines) => deliver('stderr', lines)),
      ])
      const { code, signal } = await child.exited
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
      const message = cause instanceof Error ? cause.message : String(cause)
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
    if (entry.timeout) clearTimeout(entry.timeout)
    const { status, error } = outcome(entry.endedBy, exitCode, signal)
    this.recorder.update(run, { status, exitCode, signal, error, endedAt: Date.now() })
    await this.fanout.ended(run, task)
    this.active.delete(run.id)
    this.slots.release()
    this.options.events.emit('run:ended', { ...run })
    entry.resolve({ ...run })
    // The first run waiting behind this one gets its place in line.
    const next = this.behind.shift(task.name)
    if (next) this.slots.add(next)
    this.maybeRetry(entry)
    this.slots.pump()
  }

  private maybeRetry({ run, task }: ActiveRun): void {
    const delay = this.accepting ? retryDelay(task.retries, run) : null
    if (delay === null) return
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer)
      const retryOf = run.retryOf ?? run.id
      const request = { reason: 'retry' as const, params: run.params, attempt: run.attempt + 1 }
      this.submit(task, { ...request, scheduledAt: run.scheduledAt, retryOf }).catch((cause) =>
        this.options.logger.error(`could not retry run ${run.id}`, cause),
      )
    }, delay)
    this.retryTimers.add(timer)
  }

  private cancelEntry(entry: ActiveRun, status: RunStatus, error: string): void {
    if (entry.endedBy) return
    entry.endedBy = { status, error }
    entry.controller.abort()
    if (this.slots.withdraw(entry) || this.behind.remove(entry.task.name, entry)) {
      this.active.delete(entry.run.id)
      this.recorder.update(entry.run, { status, error, endedAt: Date.now() })
      this.options.events.emit('run:ended', { ...entry.run })
      entry.resolve({ ...entry.run })
      return
    }
    // Still preparing, or spawning: `start()` ends it once there is a process (or none).
    entry.child?.terminate(this.options.killGraceMs ?? 5000)
  }
}
