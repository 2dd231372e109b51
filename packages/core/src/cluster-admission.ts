/**
 * Admission over every host's runs: the active runs of a task as the store records them
 * (`admitRun` gives them, oldest first), seen as `admit` sees a host's own. A store does not
 * record whether a queued run waits behind another (`overlap: queue`) or holds one of the task's
 * `max_instances` places while it waits for its host's limit; both follow from the order alone,
 * since runs take the places in the order they were admitted: the `max_instances` oldest active
 * runs hold them, the later ones wait behind. Each host applies the same rule to the same rows,
 * so a place freed on one host goes to the oldest run waiting, whichever host holds it.
 */
import type { AdmittedRun } from './admission.js'
import type { EpochMicros, Run, TaskDefinition } from './types.js'

export interface ClusterView extends Array<AdmittedRun> {
  /** The ids of the runs holding the task's places. */
  holding: string[]
}

/**
 * The task's active runs (oldest first) as admission sees them.
 *
 * @example
 * clusterView([{ id: 'a' }, { id: 'b' }], { job: { maxInstances: 1 } })
 * // [{ id: 'a', behind: false }, { id: 'b', behind: true }], holding ['a']
 */
export function clusterView(
  active: readonly Pick<Run, 'id'>[],
  task: { job: Pick<TaskDefinition['job'], 'maxInstances'> },
): ClusterView {
  const max = task.job.maxInstances
  const view = active.map((run, index) => ({ id: run.id, behind: index >= max })) as ClusterView
  view.holding = view.filter((run) => !run.behind).map((run) => run.id)
  return view
}

/**
 * The time a retry of `run` is claimed at (with the retry's attempt number): the fire time it
 * stands for, or for a run of no fire time (a trigger) the time it was queued. Both come from the
 * run as recorded, so the host that ran it and a host that took it over ask for the same claim.
 */
export function retryClaimAt(run: Pick<Run, 'scheduledAt' | 'queuedAt'>): EpochMicros {
  return run.scheduledAt ?? run.queuedAt * 1000
}
