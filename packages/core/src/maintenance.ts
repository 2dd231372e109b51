/**
 * What a host does to its history besides recording runs: on start, runs a previous host left
 * unfinished are ended and recorded `interrupted`; every hour, old runs are pruned, their own
 * log files with them.
 */
import { killOrphanedGroup } from './child-process.js'
import { removeRunLogs } from './run-log.js'
import type { HostRecord, PrunedRun, Run, RunStore, TasseLogger } from './types.js'

/** What a host does with the runs it takes over from dead hosts. */
export interface TakeOver {
  store: RunStore
  logger: TasseLogger
  host: { leaseMs: number; name: string }
  /** Writes a recovered run's end in its logs (the `<<< Task … ended` line of log.txt). */
  closeLog: (run: Run) => Promise<void>
  /** Applies the task's retries to a run taken over (recorded `interrupted`). */
  retry?: (run: Run) => void
  /** Ends the processes of a run that left its group (its cgroup, or by its TASSE_RUN_ID). */
  endLeftovers?: (run: Run) => Promise<boolean>
}

const stoppedWhy = (run: Run) =>
  run.status === 'running' ? 'the host stopped while it ran' : 'the host stopped before it ran'

/**
 * Runs that dead hosts left unfinished (a crashed previous run of this host among them), and
 * runs of no host (`tasse run` of an older release): ends what is left of their processes on
 * this machine and records them `interrupted`. Runs of live hosts are not touched.
 */
export async function recoverInterrupted(takeOver: TakeOver): Promise<void> {
  const { store } = takeOver
  const expired = await store.expireHosts({
    leaseMs: takeOver.host.leaseMs,
    error: (_host, run) => stoppedWhy(run),
  })
  const orphans = (await store.unfinishedRuns()).filter((run) => run.hostId === null)
  for (const run of orphans)
    await store.updateRun(run.id, {
      status: 'interrupted',
      error: stoppedWhy(run),
      endedAt: Date.now(),
    })
  await endTakenOver(takeOver, expired.hosts, [...expired.runs, ...orphans])
}

/**
 * While a host runs: the hosts whose lease expired are removed, and their runs recorded
 * `interrupted`, ended on this machine if they ran here, and retried where their task asks.
 * Resolves to how many runs were taken over; failures are logged.
 */
export async function expireDeadHosts(takeOver: TakeOver): Promise<number> {
  const { leaseMs } = takeOver.host
  try {
    const expired = await takeOver.store.expireHosts({
      leaseMs,
      error: (host, run) => {
        const who = host ? `its host ${host.name} (pid ${host.pid})` : 'its host'
        const when = run.status === 'running' ? 'while it ran' : 'before it ran'
        return `${who} stopped heartbeating for longer than the lease (${leaseMs / 1000}s) ${when}`
      },
    })
    for (const host of expired.hosts)
      takeOver.logger.warn(
        `host ${host.name} (pid ${host.pid}, ${host.id}) stopped heartbeating for longer than the lease (${leaseMs / 1000}s): ${expired.runs.filter((run) => run.hostId === host.id).length} run(s) of it taken over`,
      )
    await endTakenOver(takeOver, expired.hosts, expired.runs)
    return expired.runs.length
  } catch (cause) {
    takeOver.logger.error('could not look for hosts that stopped heartbeating', cause)
    return 0
  }
}

/** Ends what is left of taken-over runs' processes here, closes their logs, retries them. */
async function endTakenOver(
  takeOver: TakeOver,
  hosts: readonly HostRecord[],
  runs: readonly Run[],
): Promise<void> {
  const { store, logger, host } = takeOver
  const endLeftovers = takeOver.endLeftovers ?? (async () => false)
  const here = new Set(hosts.filter((h) => h.name === host.name).map((h) => h.id))
  for (const run of runs) {
    let error = run.error ?? stoppedWhy(run)
    // A pid means nothing on another machine; ours, or a run of no host, may be ended here.
    const local = run.hostId === null || here.has(run.hostId)
    const group = run.pid !== null && local && killOrphanedGroup(run.pid, run.pidStartedAt)
    // A daemon that left the group (setsid) ends too, though nobody remembers its pid.
    if ((local && (await endLeftovers(run))) || group) {
      error = `${error}; its remaining processes were ended`
      await store.updateRun(run.id, { error })
    }
    logger.warn(`run ${run.id} of task "${run.task}" recorded as interrupted: ${error}`)
    // A run that started here has its `>>> Task` line in this machine's log.txt: its
    // `<<< Task … ended` line is written now.
    if (local && run.startedAt !== null)
      await takeOver.closeLog({ ...run, status: 'interrupted', error, endedAt: Date.now() })
    takeOver.retry?.({ ...run, status: 'interrupted', error })
  }
}

/** Deletes finished runs past the retention, and their own log files; failures are logged. */
export async function pruneHistory(
  store: RunStore,
  retention: { maxAgeMs: number; keepPerTask: number },
  logger: TasseLogger,
  logsDir: string,
): Promise<void> {
  let pruned: PrunedRun[]
  try {
    pruned = await store.pruneRuns({
      olderThanMs: retention.maxAgeMs,
      keepPerTask: retention.keepPerTask,
    })
  } catch (cause) {
    logger.error('could not prune run history', cause)
    return
  }
  await removeRunLogs(logsDir, pruned, logger)
}
