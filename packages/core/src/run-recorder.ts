/**
 * The run recorder: every state of every run goes to the run store, in the order it happened,
 * one write after the other. A write that fails is logged and the next ones still happen: the
 * store being down must not stop runs, and a run's later states must not overtake its first.
 */
import type { TasseEvents } from './events.js'
import { newRunId } from './run-id.js'
import type {
  EpochMicros,
  Run,
  RunReason,
  RunStatus,
  RunStore,
  TaskDefinition,
  TasseLogger,
} from './types.js'

/** What asks for a run. */
export interface RunRequest {
  reason: RunReason
  params?: Readonly<Record<string, string>>
  /** The fire time it stands for (µs), for scheduled and catch-up runs. */
  scheduledAt?: EpochMicros | null
  attempt?: number
  retryOf?: string | null
}

/** A new run of `task`, `queued`, not yet recorded; `hostId` is the host that owns it. */
export function newRun(
  task: Pick<TaskDefinition, 'name'>,
  request: RunRequest,
  params: Readonly<Record<string, string>>,
  hostId: string | null = null,
  now: number = Date.now(),
): Run {
  return {
    id: newRunId(now),
    task: task.name,
    reason: request.reason,
    params: { ...params },
    scheduledAt: request.scheduledAt ?? null,
    queuedAt: now,
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
    hostId,
  }
}

export class RunRecorder {
  #writes: Promise<void> = Promise.resolve()

  constructor(
    /** The store, asked for at each write (the first write opens it). */
    private readonly store: () => RunStore,
    private readonly events: TasseEvents,
    private readonly logger: TasseLogger,
  ) {}

  /**
   * Records a new run and, while it is `queued` or `running`, announces it (`run:queued`).
   * Resolves once it is written (or its write has failed and been logged).
   */
  async insert(run: Run): Promise<void> {
    const snapshot = { ...run }
    const written = this.#writes
      .then(() => this.store().insertRun(snapshot))
      .catch((cause) => this.logger.error(`could not record run ${run.id}`, cause))
    this.#writes = written
    if (run.status === 'queued' || run.status === 'running')
      this.events.emit('run:queued', snapshot)
    await written
  }

  /** Applies `patch` to `run` and queues its write. */
  update(run: Run, patch: Partial<Omit<Run, 'id' | 'task'>>): void {
    Object.assign(run, patch)
    const { id, task: _task, ...rest } = { ...run }
    this.#writes = this.#writes
      .then(() => this.store().updateRun(id, rest))
      .catch((cause) => this.logger.error(`could not record run ${id}`, cause))
  }

  /**
   * Announces a run the store already holds (`admitRun` wrote it), as `insert` and `final` do:
   * `run:queued` while it is active, `run:ended` when it is final (refused: `skipped`).
   */
  admitted(run: Run): void {
    const active = run.status === 'queued' || run.status === 'running'
    this.events.emit(active ? 'run:queued' : 'run:ended', { ...run })
  }

  /** Records a run that never ran (skipped, missed) with the reason, and announces its end. */
  async final(run: Run, status: RunStatus, error: string): Promise<Run> {
    Object.assign(run, { status, error, endedAt: Date.now() })
    await this.insert(run)
    this.events.emit('run:ended', { ...run })
    return { ...run }
  }

  /** Resolves once every state recorded so far is written. */
  async flush(): Promise<void> {
    await this.#writes
  }
}
