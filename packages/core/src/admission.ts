/**
 * Admission: whether a new run of a task starts, waits behind a running one, replaces it, or is
 * refused. A pure decision over data: the task's policy, the runs of the task that are not final
 * (oldest first) and the request. The executor applies it to the runs it holds; a store shared
 * by several hosts can take the same decision inside its own transaction over the runs it has
 * recorded, since nothing here reads executor state.
 */
import type { Refusal, TaskDefinition } from './types.js'

/** A run of the task that is not final, as admission sees it. */
export interface AdmittedRun {
  id: string
  /** Waiting behind another run of the task (`overlap: queue`) rather than holding a slot. */
  behind: boolean
  /** Being ended (cancelled, replaced, timed out) but not gone yet: it still holds its slot. */
  ending?: boolean
}

export interface AdmissionRequest {
  /** A fire of the schedule (scheduled or catch-up), rather than a trigger or a retry. */
  scheduled: boolean
  /** The task's schedule is paused (its fires are refused; triggers still run it). */
  paused: boolean
  /** False once the host is shutting down. */
  accepting: boolean
}

export type Admission =
  /** Takes one of the task's `max_instances` slots (and then waits for the host's limit). */
  | { kind: 'start' }
  /** Waits behind the task's running runs (`overlap: queue`). */
  | { kind: 'queue' }
  /**
   * Cancels `runIds` (the oldest runs holding a slot and not already ending, as many as it takes
   * to free one), then starts once every run of the task being ended is gone
   * (`overlap: replace`): `max_instances` holds even when a replaced run is slow to die.
   */
  | { kind: 'replace'; runIds: string[] }
  /** Not run: recorded as `skipped` with the refusal's message. */
  | { kind: 'refuse'; refusal: Refusal }

/** The policy admission reads from a task. */
export type AdmissionPolicy = Pick<TaskDefinition, 'overlap' | 'queueSize'> & {
  job: Pick<TaskDefinition['job'], 'maxInstances'>
}

/**
 * Decides what happens to a new run of a task.
 *
 * @example
 * const task = { overlap: 'skip', queueSize: 1, job: { maxInstances: 1 } } as const
 * const running = [{ id: '01m8g4dva07sk09q', behind: false }]
 * admit(running, task, { scheduled: true, paused: false, accepting: true })
 * // { kind: 'refuse', refusal: { code: 'overlap', blockingRunId: '01m8g4dva07sk09q', … } }
 */
export function admit(
  active: readonly AdmittedRun[],
  task: AdmissionPolicy,
  request: AdmissionRequest,
): Admission {
  if (!request.accepting)
    return refuse({ code: 'shutting_down', message: 'the host is shutting down' })
  if (request.scheduled && request.paused)
    return refuse({ code: 'paused', message: 'its schedule is paused (triggers still run it)' })
  const holding = active.filter((run) => !run.behind)
  const max = task.job.maxInstances
  const oldest = holding[0]
  if (oldest === undefined || holding.length < max) return { kind: 'start' }
  switch (task.overlap) {
    case 'queue': {
      const waiting = active.length - holding.length
      if (waiting < task.queueSize) return { kind: 'queue' }
      return refuse({
        code: 'queue_full',
        message: `run ${oldest.id} is running and ${waiting} run(s) already wait behind it (queue_size ${task.queueSize})`,
        blockingRunId: oldest.id,
      })
    }
    case 'replace': {
      const live = holding.filter((run) => !run.ending)
      const cancel = live.slice(0, Math.max(0, live.length - max + 1))
      return { kind: 'replace', runIds: cancel.map((run) => run.id) }
    }
    default:
      return refuse({
        code: 'overlap',
        message: `run ${oldest.id} is still running (overlap: ${task.overlap}, max_instances: ${max} run${max === 1 ? '' : 's'} at once)`,
        blockingRunId: oldest.id,
      })
  }
}

function refuse(refusal: Refusal): Admission {
  return { kind: 'refuse', refusal }
}
