/**
 * Fan-out of a run's events and output to every log sink (and the `run:output` listeners). A
 * sink that throws or rejects is logged and skipped, never stops the run or the other sinks; a
 * sink that returns a promise for output is backpressure, passed back to the reader. What a sink
 * failed for a run is kept, to be recorded with the run (`takeFailure`).
 */
import type { TasseEvents } from './events.js'
import type { LogSink, OutputBatch, Run, TaskDefinition, TasseLogger } from './types.js'

export class SinkFanout {
  /** The first sink failure of each run not yet ended, by run id. */
  private readonly failures = new Map<string, string>()

  constructor(
    /** The sinks, asked for at each call (the first call makes them). */
    private readonly sinks: () => readonly LogSink[],
    private readonly events: TasseEvents,
    private readonly logger: TasseLogger,
    /**
     * How long a sink may take to close a run's logs: past it the run ends anyway (a sink that
     * never answers, such as a write to a hung network mount, must not leave a run `running`),
     * with the failure noted on the run.
     */
    private readonly endMs = 60_000,
  ) {}

  started(run: Run, task: TaskDefinition): Promise<void> {
    return this.all(run, (sink) => sink.runStarted(run, task))
  }

  ended(run: Run, task: TaskDefinition): Promise<void> {
    return this.all(run, (sink) =>
      within(
        sink.runEnded(run, task),
        this.endMs,
        `did not close the run's logs within ${this.endMs} ms`,
      ),
    )
  }

  /** What a sink failed for run `runId` (its log is incomplete), once; `null` when nothing. */
  takeFailure(runId: string): string | null {
    const failure = this.failures.get(runId) ?? null
    this.failures.delete(runId)
    return failure
  }

  /** Why sinks cannot write now (each sink's `problem()`), for the host's readiness. */
  problems(): string[] {
    const problems: string[] = []
    for (const sink of this.sinks()) {
      try {
        const problem = sink.problem?.()
        if (problem) problems.push(`log sink ${sink.name}: ${problem}`)
      } catch (cause) {
        problems.push(`log sink ${sink.name}: ${(cause as Error).message}`)
      }
    }
    return problems
  }

  /** Hands a batch to every listener and sink; a promise when a sink asks to wait. */
  output(run: Run, task: TaskDefinition, batch: OutputBatch): Promise<void> | undefined {
    this.events.emit('run:output', run, batch)
    let pending: Promise<unknown>[] | undefined
    for (const sink of this.sinks()) {
      try {
        const result = sink.output(run, task, batch)
        if (result) {
          pending ??= []
          pending.push(result.catch((cause) => this.failed(sink, cause, run)))
        }
      } catch (cause) {
        this.failed(sink, cause, run)
      }
    }
    return pending && Promise.all(pending).then(() => {})
  }

  private async all(run: Run, call: (sink: LogSink) => void | Promise<void>): Promise<void> {
    await Promise.all(
      this.sinks().map(async (sink) => {
        try {
          await call(sink)
        } catch (cause) {
          this.failed(sink, cause, run)
        }
      }),
    )
  }

  private failed(sink: LogSink, cause: unknown, run: Run): void {
    const message = cause instanceof Error ? cause.message : String(cause)
    if (!this.failures.has(run.id)) this.failures.set(run.id, `log sink ${sink.name}: ${message}`)
    this.logger.error(`log sink ${sink.name} failed`, cause)
  }
}

/** `work`, or a rejection with `what` once `ms` have passed without it settling. */
function within(work: void | Promise<void>, ms: number, what: string): Promise<void> {
  if (!work) return Promise.resolve()
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms)
  })
  return Promise.race([work, late]).finally(() => clearTimeout(timer))
}
