/**
 * A run in flight on this host, as the executor holds it from admission to its end, and how
 * its final state follows from the way its process ended.
 */
import type { ChildHandle } from './child-process.js'
import type { LongTimeout } from './long-timer.js'
import type { Run, RunStatus, TaskDefinition } from './types.js'

/** Why core ended a run (a cancel, a timeout, a shutdown, a failure to start). */
export interface EndedBy {
  status: RunStatus
  error: string
}

export interface ActiveRun {
  /** The run as recorded, updated in place as it goes. */
  run: Run
  task: TaskDefinition
  /** Its process, once spawned. */
  child: ChildHandle | null
  /** Aborted when the run is ended while its runner prepares it. */
  controller: AbortController
  /** Set when core ends the run: the status it gets whatever the exit code. */
  endedBy: EndedBy | null
  timeout: LongTimeout | null
  /** Bytes of stdout and stderr so far. */
  outputBytes: number
  /** Resolves with the final run. */
  done: Promise<Run>
  resolve: (run: Run) => void
}

export function activeRun(run: Run, task: TaskDefinition): ActiveRun {
  let resolve!: (run: Run) => void
  const done = new Promise<Run>((r) => {
    resolve = r
  })
  const controller = new AbortController()
  return {
    run,
    task,
    child: null,
    controller,
    endedBy: null,
    timeout: null,
    outputBytes: 0,
    done,
    resolve,
  }
}

/**
 * The final status and error of a run: what core ended it as, else `succeeded` for exit code 0
 * and `failed` (with the code or the signal) otherwise.
 */
export function outcome(
  endedBy: EndedBy | null,
  exitCode: number | null,
  signal: string | null,
): { status: RunStatus; error: string | null } {
  if (endedBy) return endedBy
  if (exitCode === 0) return { status: 'succeeded', error: null }
  return {
    status: 'failed',
    error: signal ? `ended by signal ${signal}` : `exited with code ${exitCode}`,
  }
}
