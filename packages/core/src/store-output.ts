/**
 * A copy of each run's output in the run store (`appendOutput`), so that any host sharing the
 * store can read and follow a run that another host executes. The run's own log file stays the
 * full record on the host that ran it; the store keeps up to its cap.
 */
import type { OutputBatch, RunStore, TasseLogger } from './types.js'

interface Copy {
  /** Bytes sent so far: the offset of the next chunk. */
  offset: number
  /** The writes of this run, one after the other (offsets must arrive in order). */
  writes: Promise<void>
  /** The cap was reached, or a write failed: nothing more is sent. */
  stopped: boolean
}

export class StoreOutput {
  readonly #copies = new Map<string, Copy>()

  constructor(
    private readonly store: () => RunStore,
    private readonly logger: TasseLogger,
  ) {}

  /** Queues a batch of run `runId`'s output; the text is what the run's own log file gets. */
  append(runId: string, batch: OutputBatch): void {
    let copy = this.#copies.get(runId)
    if (!copy) {
      copy = { offset: 0, writes: Promise.resolve(), stopped: false }
      this.#copies.set(runId, copy)
    }
    if (copy.stopped || batch.lines.length === 0) return
    const text = `${batch.lines.join('\n')}\n`
    const chunk = { offset: copy.offset, stream: batch.stream, time: batch.time, text }
    copy.offset += Buffer.byteLength(text)
    const state = copy
    copy.writes = copy.writes.then(async () => {
      if (state.stopped) return
      try {
        if ((await this.store().appendOutput(runId, chunk)).truncated) state.stopped = true
      } catch (cause) {
        // A gap would make later chunks wrong: the store's copy ends here (log.txt has it all).
        state.stopped = true
        this.logger.error(
          `run ${runId}: its output is no longer copied to the run store (its log file has it all)`,
          cause,
        )
      }
    })
  }

  /** Resolves once the run's output is in the store, and forgets the run. */
  async end(runId: string): Promise<void> {
    const copy = this.#copies.get(runId)
    if (!copy) return
    await copy.writes
    this.#copies.delete(runId)
  }
}
