/**
 * A run's own output file (`logs/<name>/runs/<id>.log`), found from the run's id: read whole,
 * opened for ranges, or followed as it is written until the run ends.
 */
import { TasseError } from './errors.js'
import type { TasseEvents } from './events.js'
import { runLogPath } from './file-log-sink.js'
import {
  followRunLog,
  openRunLog,
  RunLogFollowers,
  type RunLogReader,
  readRunLog,
} from './run-log.js'
import type { Run, RunStore } from './types.js'

export class RunOutputFiles {
  private readonly followers: RunLogFollowers

  constructor(
    private readonly logsDir: string,
    events: TasseEvents,
    private readonly store: () => RunStore,
  ) {
    this.followers = new RunLogFollowers(events)
  }

  /** Where a run's own output is kept. */
  path(run: Pick<Run, 'task' | 'id'>): string {
    return runLogPath(this.logsDir, run.task, run.id)
  }

  /** The run, or `TasseError` (`run_not_found`). */
  async run(runId: string): Promise<Run> {
    const run = await this.store().getRun(runId)
    if (!run) throw new TasseError('run_not_found', `no run with id ${JSON.stringify(runId)}`)
    return run
  }

  /** A run's output so far. */
  async read(runId: string): Promise<string> {
    return readRunLog(this.path(await this.run(runId)))
  }

  /** A run's output file opened for streaming (ranges of it; see `RunLogReader`). */
  async open(runId: string): Promise<RunLogReader> {
    return openRunLog(this.path(await this.run(runId)))
  }

  /** A run's output as it is written, from the start, ending when the run ends. */
  async follow(runId: string, signal?: AbortSignal): Promise<AsyncIterable<string>> {
    const run = await this.run(runId)
    return followRunLog({
      path: this.path(run),
      subscribe: (wake) => this.followers.subscribe(runId, wake),
      ended: async () => {
        const current = await this.store().getRun(runId)
        return !current || (current.status !== 'queued' && current.status !== 'running')
      },
      ...(signal ? { signal } : {}),
    })
  }
}
