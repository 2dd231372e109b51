/**
 * A run's own output file (`logs/<name>/runs/<id>.log`), found from the run's id: read whole,
 * opened for ranges, or followed as it is written until the run ends. A run that another host
 * of the store executes is read from the store's copy of its output instead.
 */
import { access } from 'node:fs/promises'
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
import { followStoredOutput, openStoredOutput, readStoredOutput } from './stored-output.js'
import type { Run, RunStore } from './types.js'

export class RunOutputFiles {
  private readonly followers: RunLogFollowers

  constructor(
    private readonly logsDir: string,
    events: TasseEvents,
    private readonly store: () => RunStore,
    /** This host's id in the store (`null`: none): runs of other hosts are read from the store. */
    private readonly hostId: () => string | null = () => null,
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

  /**
   * Whether the run's output is read from the store's copy: a run of another host whose log
   * file is not here (hosts on one shared data volume read each other's files, which are whole).
   */
  private async elsewhere(run: Run): Promise<boolean> {
    if (run.hostId === null || run.hostId === this.hostId()) return false
    return !(await exists(this.path(run)))
  }

  /** A run's output so far. */
  async read(runId: string): Promise<string> {
    const run = await this.run(runId)
    if (await this.elsewhere(run)) return readStoredOutput(this.store(), runId)
    return readRunLog(this.path(run))
  }

  /** A run's output file opened for streaming (ranges of it; see `RunLogReader`). */
  async open(runId: string): Promise<RunLogReader> {
    const run = await this.run(runId)
    if (await this.elsewhere(run)) return openStoredOutput(this.store(), runId)
    return openRunLog(this.path(run))
  }

  /** A run's output as it is written, from the start, ending when the run ends. */
  async follow(runId: string, signal?: AbortSignal): Promise<AsyncIterable<string>> {
    const run = await this.run(runId)
    const ended = async () => {
      const current = await this.store().getRun(runId)
      return !current || (current.status !== 'queued' && current.status !== 'running')
    }
    if (await this.elsewhere(run)) return followStoredOutput(this.store(), runId, ended, signal)
    return followRunLog({
      path: this.path(run),
      subscribe: (wake) => this.followers.subscribe(runId, wake),
      ended,
      ...(signal ? { signal } : {}),
    })
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
