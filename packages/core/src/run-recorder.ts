/**
 * The run recorder: every state of every run goes to the run store, in the order it happened:
 * each run's writes one after the other, different runs' at once (a store on a server answers
 * in milliseconds, not microseconds: one line of writes for every run fell minutes behind at 20
 * runs a second). A write that fails is logged and the next ones still happen: the store being
 * down must not stop runs, and a run's later states must not overtake its first.
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
    peakMemoryBytes: null,
    cpuUserSeconds: null,
    cpuSystemSeconds: null,
    outputBytes: null,
  }
}

export class RunRecorder {
  /** Per run, its last write queued (removed once written). */
  readonly #writes = new Map<string, Promise<void>>()

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
    const written = this.#queue(run.id, () => this.store().insertRun(snapshot))
    if (run.status === 'queued' || run.status === 'running')
      this.events.emit('run:queued', snapshot)
    await written
  }

  /** Applies `patch` to `run` and queues its write. */
  update(run: Run, patch: Partial<Omit<Run, 'id' | 'task'>>): void {
    Object.assign(run, patch)
    const { id, task: _task, ...rest } = { ...run }
    void this.#queue(id, () => this.store().updateRun(id, rest))
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
    await Promise.all(this.#writes.values())
  }

  /** Queues `write` after the run's earlier writes; a failure is logged, never thrown. */
  #queue(runId: string, write: () => Promise<void>): Promise<void> {
    const written = (this.#writes.get(runId) ?? Promise.resolve())
      .then(write)
      .catch((cause) => this.logger.error(`could not record run ${runId}`, cause))
      .then(() => {
        if (this.#writes.get(runId) === written) this.#writes.delete(runId)
      })
    this.#writes.set(runId, written)
    return written
  }
}
