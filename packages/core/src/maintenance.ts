/**
 * What a host does to its history besides recording runs: on start, runs a previous host left
 * unfinished are ended and recorded `interrupted`; every hour, old runs are pruned, their own
 * log files with them.
 */
import { killOrphanedGroup } from './child-process.js'
import { removeRunLogs } from './run-log.js'
import type { PrunedRun, Run, RunStore, TasseLogger } from './types.js'

/**
 * Runs that dead hosts left unfinished (a crashed previous run of this host among them), and
 * runs of no host (`tasse run`, an older release): ends what is left of their processes on this
 * machine and records them `interrupted`. Runs of live hosts are not touched.
 */
export async function recoverInterrupted(
  store: RunStore,
  logger: TasseLogger,
  host: { leaseMs: number; name: string },
  /** Writes a recovered run's end in its logs (the `<<< Task … ended` line of log.txt). */
  closeLog: (run: Run) => Promise<void>,
): Promise<void> {
  const why = (run: Run) =>
    run.status === 'running' ? 'the host stopped while it ran' : 'the host stopped before it ran'
  const expired = await store.expireHosts({
    leaseMs: host.leaseMs,
    error: (_host, run) => why(run),
  })
  const here = new Set(expired.hosts.filter((h) => h.name === host.name).map((h) => h.id))
  const orphans = (await store.unfinishedRuns()).filter((run) => run.hostId === null)
  for (const run of orphans)
    await store.updateRun(run.id, { status: 'interrupted', error: why(run), endedAt: Date.now() })
  for (const run of [...expired.runs, ...orphans]) {
    let error = run.error ?? why(run)
    // A pid means nothing on another machine; ours, or a run of no host, may be ended here.
    const local = run.hostId === null || here.has(run.hostId)
    if (run.pid !== null && local && killOrphanedGroup(run.pid, run.pidStartedAt)) {
      error = `${error}; its remaining processes were ended`
      await store.updateRun(run.id, { error })
    }
    logger.warn(`run ${run.id} of task "${run.task}" recorded as interrupted: ${error}`)
    // A run that started here has its `>>> Task` line in this machine's log.txt: its
    // `<<< Task … ended` line is written now.
    if (local && run.startedAt !== null)
      await closeLog({ ...run, status: 'interrupted', error, endedAt: Date.now() })
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
