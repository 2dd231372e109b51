/**
 * The executor: turns requests into runs. It applies each task's overlap policy and the host's
 * concurrency limit, spawns the runner's command in the task's folder as the leader of its own
 * process group (no shell), streams its output line by line to every log sink with
 * backpressure, ends it on timeout or cancel, retries it, and records every state in the store.
 */
import type { ChildProcess } from 'node:child_process'
import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import spawn from 'cross-spawn'
import { TasseError } from './errors.js'
import type { TasseEvents } from './events.js'
import { paramArgs, validateParams } from './params.js'
import { processStartTime, signalGroup } from './process-group.js'
import { newRunId } from './run-id.js'
import { formatInstant } from './time/iso.js'
import { timeZone } from './time/zone.js'
import type {
  EpochMicros,
  LogSink,
  OutputBatch,
  Run,
  Runner,
  RunReason,
  RunStatus,
  RunStore,
  TaskDefinition,
  TasseLogger,
} from './types.js'

/** Output gathered before it is handed to the sinks without waiting for the next loop turn. */
const BATCH_CHARS = 32 * 1024
/** A longer line without a newline is delivered in pieces of this size. */
const MAX_LINE_CHARS = 1024 * 1024

/** What asks for a run. */
export interface RunRequest {
  reason: RunReason
  params?: Readonly<Record<string, string>>
  /** The fire time it stands for (µs), for scheduled and catch-up runs. */
  scheduledAt?: EpochMicros | null
  attempt?: number
  retryOf?: string | null
}

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
  /** Between SIGTERM and SIGKILL when a run is ended. @default 5000 */
  killGraceMs?: number
  /** Zone of TASSE_SCHEDULED_TIME. @default 'UTC' */
  timezone?: string
  /** The id this host registered with the store, recorded on its runs (`null`: none). */
  hostId?: () => string | null
}

/** Environment variables of the host that never reach a task. */
export const HOST_ONLY_ENV =
  /^(TASSE_.*|VIRTUAL_ENV|VIRTUAL_ENV_PROMPT|PYENV_VIRTUAL_ENV|POETRY_ACTIVE|PIPENV_ACTIVE|PYTHONHOME|npm_.*|NODE_OPTIONS)$/

/** The host's environment without its own configuration and secrets, as tasks start from. */
export function taskBaseEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const clean: Record<string, string> = {}
  for (const [key, value] of Object.entries(env))
    if (value !== undefined && !HOST_ONLY_ENV.test(key)) clean[key] = value
  return clean
}

interface ActiveRun {
  run: Run
  task: TaskDefinition
  child: ChildProcess | null
  controller: AbortController
  /** Set when core ends the run: the status it gets whatever the exit code. */
  endAs: { status: RunStatus; error: string } | null
  timers: NodeJS.Timeout[]
  done: Promise<Run>
  resolve: (run: Run) => void
}

export class Executor {
  private readonly active = new Map<string, ActiveRun>()
  /** Admitted runs waiting for a free slot of the concurrency limit, oldest first. */
  private readonly waiting: ActiveRun[] = []
  /** Runs waiting behind a running one of the same task (`overlap: queue`), per task. */
  private readonly behind = new Map<string, ActiveRun[]>()
  private readonly retryTimers = new Set<NodeJS.Timeout>()
  private running = 0
  private writes: Promise<void> = Promise.resolve()
  private accepting = true

  constructor(private readonly options: ExecutorOptions) {}

  /** Runs of `task` that are running or waiting for a slot (not those queued behind them). */
  activeRuns(task?: string): Run[] {
    const runs: Run[] = []
    for (const entry of this.active.values())
      if (!task || entry.task.name === task) runs.push({ ...entry.run })
    return runs
  }

  /** How many runs are running, and how many wait (for a slot or behind their task). */
  counts(): { running: number; queued: number } {
    return { running: this.running, queued: this.active.size - this.running }
  }

  /**
   * Asks for a run of `task`. Returns the run as recorded: `queued` or `running`, or `skipped`
   * when the overlap policy refused it (then `error` says why). Throws `InvalidParamError` for
   * invalid parameters, recording nothing.
   */
  async submit(task: TaskDefinition, request: RunRequest): Promise<Run> {
    const params = validateParams(task, request.params ?? {})
    const run = this.newRun(task, request, params)
    if (!this.accepting) return this.recordFinal(run, 'skipped', 'the host is shutting down')

    const holding = [...this.active.values()].filter(
      (a) => a.task.name === task.name && !this.isBehind(a),
    )
    if (holding.length >= task.job.maxInstances) {
      const oldest = holding[0] as ActiveRun
      const limit = `${task.job.maxInstances} run${task.job.maxInstances === 1 ? '' : 's'} at once`
      switch (task.overlap) {
        case 'queue': {
          const queue = this.behind.get(task.name) ?? []
          if (queue.length >= task.queueSize)
            return this.recordFinal(
              run,
              'skipped',
              `run ${oldest.run.id} is running and ${queue.length} run(s) already wait behind it (queue_size ${task.queueSize})`,
            )
          const entry = this.track(run, task)
          queue.push(entry)
          this.behind.set(task.name, queue)
          await this.record(run)
          return { ...run }
        }
        case 'replace': {
          this.cancelEntry(oldest, 'cancelled', `replaced by run ${run.id}`)
          break
        }
        default:
          return this.recordFinal(
            run,
            'skipped',
            `run ${oldest.run.id} is still running (overlap: ${task.overlap}, max_instances: ${limit})`,
          )
      }
    }
    const entry = this.track(run, task)
    this.waiting.push(entry)
    await this.record(run)
    this.pump()
    return { ...run }
  }

  /** Resolves once every state change so far is in the store. */
  async flush(): Promise<void> {
    await this.writes
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
      this.options.logger.info(
        `waiting up to ${Math.round(graceMs / 1000)}s for ${running.length} running task(s) to finish`,
      )
      const grace = new Promise<'timeout'>((resolve) => {
        const timer = setTimeout(resolve, graceMs, 'timeout')
        timer.unref()
      })
      if ((await Promise.race([Promise.all(running), grace])) === 'timeout') {
        for (const entry of [...this.active.values()])
          this.cancelEntry(
            entry,
            'interrupted',
            `still running when the host shut down (grace ${Math.round(graceMs / 1000)}s)`,
          )
        await Promise.all(running)
      }
    }
    await this.writes
  }

  private newRun(task: TaskDefinition, request: RunRequest, params: Record<string, string>): Run {
    return {
      id: newRunId(),
      task: task.name,
      reason: request.reason,
      params,
      scheduledAt: request.scheduledAt ?? null,
      queuedAt: Date.now(),
      startedAt: null,
      endedAt: null,
      status: 'queued',
      exitCode: null,
      signal: null,
      attempt: request.attempt ?? 1,
      retryOf: request.retryOf ?? null,
      error: null,
      pid: null,
      pidStartedAt: null,
      hostId: this.options.hostId?.() ?? null,
    }
  }

  /** Records a fire that did not run (`missed`, `skipped`) with the reason, in history. */
  recordNotRun(
    task: TaskDefinition,
    request: RunRequest,
    status: RunStatus,
    error: string,
  ): Promise<Run> {
    return this.recordFinal(this.newRun(task, request, { ...request.params }), status, error)
  }

  /** Records a run that never ran (skipped, missed) and announces it. */
  private async recordFinal(run: Run, status: RunStatus, error: string): Promise<Run> {
    Object.assign(run, { status, error, endedAt: Date.now() })
    await this.record(run)
    this.options.events.emit('run:ended', { ...run })
    return { ...run }
  }

  private track(run: Run, task: TaskDefinition): ActiveRun {
    let resolve!: (run: Run) => void
    const done = new Promise<Run>((r) => {
      resolve = r
    })
    const entry: ActiveRun = {
      run,
      task,
      child: null,
      controller: new AbortController(),
      endAs: null,
      timers: [],
      done,
      resolve,
    }
    this.active.set(run.id, entry)
    return entry
  }

  private isBehind(entry: ActiveRun): boolean {
    return this.behind.get(entry.task.name)?.includes(entry) ?? false
  }

  private async record(run: Run): Promise<void> {
    const snapshot = { ...run }
    const write = this.writes.then(() => this.options.store().insertRun(snapshot))
    this.writes = write.catch((cause) =>
      this.options.logger.error(`could not record run ${run.id}`, cause),
    )
    if (run.status === 'queued' || run.status === 'running')
      this.options.events.emit('run:queued', snapshot)
    await write.catch(() => {})
  }

  private update(run: Run, patch: Partial<Run>): void {
    Object.assign(run, patch)
    const { id, task: _task, ...rest } = { ...run }
    this.writes = this.writes
      .then(() => this.options.store().updateRun(id, rest))
      .catch((cause) => this.options.logger.error(`could not record run ${id}`, cause))
  }

  /** Starts waiting runs while the concurrency limit allows. */
  private pump(): void {
    while (this.running < this.options.concurrency && this.waiting.length > 0) {
      const entry = this.waiting.shift() as ActiveRun
      this.running++
      void this.start(entry)
    }
  }

  private async start(entry: ActiveRun): Promise<void> {
    const { run, task } = entry
    this.update(run, { status: 'running', startedAt: Date.now() })
    this.options.events.emit('run:started', { ...run })
    await this.toSinks((sink) => sink.runStarted(run, task))
    // A message of several lines (an install's last lines) stays one log line per line.
    const tasseLine = (text: string) =>
      void this.deliver(entry, { stream: 'tasse', time: Date.now(), lines: text.split('\n') })
    try {
      const runner = pickRunner(this.options.runners, task)
      const env = this.runEnv(task, run)
      const command = await runner.prepare(task, {
        dataDir: this.options.dataDir,
        env,
        log: tasseLine,
        signal: entry.controller.signal,
      })
      if (entry.endAs) return this.finish(entry, null, null)
      const args = [...command.args, ...paramArgs(task, run.params)]
      const child = spawn(command.command, args, {
        cwd: task.dir,
        env: { ...env, ...command.env },
        detached: true, // its own process group, so timeouts and cancels reach grandchildren
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      entry.child = child
      const spawned = await new Promise<Error | null>((resolve) => {
        child.once('spawn', () => resolve(null))
        child.once('error', resolve)
      })
      if (spawned)
        throw new Error(`could not start ${command.command}: ${spawned.message}`, {
          cause: spawned,
        })
      const pid = child.pid as number
      this.update(run, { pid, pidStartedAt: processStartTime(pid) })
      if (task.timeoutMs !== null)
        entry.timers.push(
          setTimeout(
            () =>
              this.cancelEntry(
                entry,
                'timed_out',
                `ran longer than its timeout of ${formatDuration(task.timeoutMs as number)}`,
              ),
            task.timeoutMs,
          ),
        )
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.once('exit', (code, signal) => resolve([code, signal])),
      )
      const outputs = Promise.all([
        this.pipeLines(entry, child.stdout as Readable, 'stdout'),
        this.pipeLines(entry, child.stderr as Readable, 'stderr'),
      ])
      const [code, signal] = await exited
      // A grandchild that keeps the pipes open must not hold the run: give them a moment.
      const drained = await Promise.race([
        outputs.then(() => true),
        new Promise<false>((resolve) => setTimeout(resolve, 2000, false)),
      ])
      if (!drained) {
        child.stdout?.destroy()
        child.stderr?.destroy()
      }
      await this.finish(entry, code, signal)
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause)
      tasseLine(message)
      if (!entry.endAs) entry.endAs = { status: 'failed', error: message }
      await this.finish(entry, null, null)
    }
  }

  private async finish(
    entry: ActiveRun,
    exitCode: number | null,
    signal: NodeJS.Signals | null,
  ): Promise<void> {
    const { run, task } = entry
    for (const timer of entry.timers) clearTimeout(timer)
    const status: RunStatus = entry.endAs?.status ?? (exitCode === 0 ? 'succeeded' : 'failed')
    const error =
      entry.endAs?.error ??
      (status === 'failed'
        ? signal
          ? `ended by signal ${signal}`
          : `exited with code ${exitCode}`
        : null)
    this.update(run, { status, exitCode, signal, error, endedAt: Date.now() })
    await this.toSinks((sink) => sink.runEnded(run, task))
    this.active.delete(run.id)
    this.running--
    this.options.events.emit('run:ended', { ...run })
    entry.resolve({ ...run })
    this.release(task.name)
    this.maybeRetry(entry)
    this.pump()
  }

  /** After a run of `task` ends, the first one queued behind it (if any) gets its place. */
  private release(taskName: string): void {
    const queue = this.behind.get(taskName)
    if (!queue?.length) return
    const next = queue.shift() as ActiveRun
    if (!queue.length) this.behind.delete(taskName)
    this.waiting.push(next)
  }

  private maybeRetry(entry: ActiveRun): void {
    const { run, task } = entry
    const retries = task.retries
    if (!retries || !this.accepting) return
    if (run.status !== 'failed' && run.status !== 'timed_out') return
    if (run.attempt > retries.max) return
    const delay = retries.delayMs * retries.backoff ** (run.attempt - 1)
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer)
      this.submit(task, {
        reason: 'retry',
        params: run.params,
        scheduledAt: run.scheduledAt,
        attempt: run.attempt + 1,
        retryOf: run.retryOf ?? run.id,
      }).catch((cause) => this.options.logger.error(`could not retry run ${run.id}`, cause))
    }, delay)
    this.retryTimers.add(timer)
  }

  private cancelEntry(entry: ActiveRun, status: RunStatus, error: string): void {
    if (entry.endAs) return
    entry.endAs = { status, error }
    entry.controller.abort()
    const queue = this.behind.get(entry.task.name)
    const waitingAt = this.waiting.indexOf(entry)
    if (waitingAt >= 0 || queue?.includes(entry)) {
      if (waitingAt >= 0) this.waiting.splice(waitingAt, 1)
      if (queue) queue.splice(queue.indexOf(entry), 1)
      this.active.delete(entry.run.id)
      this.update(entry.run, { status, error, endedAt: Date.now() })
      this.options.events.emit('run:ended', { ...entry.run })
      entry.resolve({ ...entry.run })
      return
    }
    const pid = entry.child?.pid
    if (pid === undefined) return // preparing: start() sees endAs once prepare returns
    signalGroup(pid, 'SIGTERM')
    const kill = setTimeout(() => signalGroup(pid, 'SIGKILL'), this.options.killGraceMs ?? 5000)
    kill.unref()
    entry.timers.push(kill)
  }

  /**
   * Reads `stream` as lines (a last line without newline included) into the sinks. What arrives
   * within one turn of the event loop is delivered as one batch: a task that writes line by line
   * (Python with PYTHONUNBUFFERED, `echo` in a loop) would otherwise cost the sinks a write and
   * a pause per line.
   */
  private pipeLines(entry: ActiveRun, stream: Readable, name: 'stdout' | 'stderr'): Promise<void> {
    return new Promise((resolve) => {
      const decoder = new StringDecoder('utf8')
      let text = '' // read, not yet delivered
      let scheduled = false
      let closed = false
      const flush = () => {
        scheduled = false
        const lines = text.split('\n')
        text = closed ? '' : (lines.pop() as string)
        if (closed && lines[lines.length - 1] === '') lines.pop()
        if (text.length > MAX_LINE_CHARS) {
          lines.push(text) // a line this long is cut, so that memory stays bounded
          text = ''
        }
        if (lines.length) {
          const pending = this.deliver(entry, { stream: name, time: Date.now(), lines })
          if (pending && !closed) {
            stream.pause()
            void pending.then(() => stream.resume())
          }
        }
        if (closed) resolve()
      }
      stream.on('data', (chunk: Buffer) => {
        text += decoder.write(chunk)
        if (text.length >= BATCH_CHARS) flush()
        else if (!scheduled) {
          scheduled = true
          setImmediate(flush)
        }
      })
      stream.once('close', () => {
        text += decoder.end()
        closed = true
        flush()
      })
    })
  }

  /** Hands a batch to every sink and listener; a promise when a sink asks to wait. */
  private deliver(entry: ActiveRun, batch: OutputBatch): Promise<void> | undefined {
    this.options.events.emit('run:output', entry.run, batch)
    let pending: Promise<unknown>[] | undefined
    for (const sink of this.options.sinks()) {
      try {
        const result = sink.output(entry.run, entry.task, batch)
        if (result) {
          pending ??= []
          pending.push(result.catch((cause) => this.sinkFailed(sink, cause)))
        }
      } catch (cause) {
        this.sinkFailed(sink, cause)
      }
    }
    return pending && Promise.all(pending).then(() => {})
  }

  private async toSinks(call: (sink: LogSink) => void | Promise<void>): Promise<void> {
    await Promise.all(
      this.options.sinks().map(async (sink) => {
        try {
          await call(sink)
        } catch (cause) {
          this.sinkFailed(sink, cause)
        }
      }),
    )
  }

  private sinkFailed(sink: LogSink, cause: unknown): void {
    this.options.logger.error(`log sink ${sink.name} failed`, cause)
  }

  private runEnv(task: TaskDefinition, run: Run): Record<string, string> {
    const env: Record<string, string> = {
      ...this.options.baseEnv,
      ...task.env,
      TASSE_TASK: task.name,
      TASSE_RUN_ID: run.id,
      TASSE_REASON: run.reason,
      TASSE_ATTEMPT: String(run.attempt),
      TASSE_SCHEDULED_TIME:
        run.scheduledAt === null
          ? ''
          : formatInstant(run.scheduledAt, timeZone(this.options.timezone ?? 'UTC')),
    }
    for (const [name, value] of Object.entries(run.params))
      env[`TASSE_PARAM_${name.toUpperCase()}`] = value
    return env
  }
}

/** The claiming runner of highest priority (the last registered among equals). */
export function pickRunner(runners: readonly Runner[], task: TaskDefinition): Runner {
  let chosen: Runner | undefined
  for (const runner of runners)
    if (runner.claims(task) && (!chosen || runner.priority >= chosen.priority)) chosen = runner
  if (!chosen)
    throw new TasseError(
      'no_runner',
      `task "${task.name}": no runner can run ${task.entrypoint} (runners: ${runners.map((r) => r.name).join(', ') || 'none'}); use a .py or .sh file, or an executable`,
    )
  return chosen
}

/** `1h 30m`, `90s`, `250ms`: a duration as people write them. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  const parts: string[] = []
  let rest = Math.round(ms / 1000)
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`)
      rest %= size
    }
  }
  if (rest || !parts.length) parts.push(`${rest}s`)
  return parts.join(' ')
}
