/**
 * Fan-out of a run's events and output to every log sink (and the `run:output` listeners). A
 * sink that throws or rejects is logged and skipped, never stops the run or the other sinks; a
 * sink that returns a promise for output is backpressure, passed back to the reader.
 */
import type { TasseEvents } from './events.js'
import type { LogSink, OutputBatch, Run, TaskDefinition, TasseLogger } from './types.js'

export class SinkFanout {
  constructor(
    /** The sinks, asked for at each call (the first call makes them). */
    private readonly sinks: () => readonly LogSink[],
    private readonly events: TasseEvents,
    private readonly logger: TasseLogger,
  ) {}

  started(run: Run, task: TaskDefinition): Promise<void> {
    return this.all((sink) => sink.runStarted(run, task))
  }

  ended(run: Run, task: TaskDefinition): Promise<void> {
    return this.all((sink) => sink.runEnded(run, task))
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
          pending.push(result.catch((cause) => this.failed(sink, cause)))
        }
      } catch (cause) {
        this.failed(sink, cause)
      }
    }
    return pending && Promise.all(pending).then(() => {})
  }

  private async all(call: (sink: LogSink) => void | Promise<void>): Promise<void> {
    await Promise.all(
      this.sinks().map(async (sink) => {
        try {
          await call(sink)
        } catch (cause) {
          this.failed(sink, cause)
        }
      }),
    )
  }

  private failed(sink: LogSink, cause: unknown): void {
    this.logger.error(`log sink ${sink.name} failed`, cause)
  }
}
