/**
 * Each task's last runs, for the strips of the task list, kept in memory so that a list of
 * 1,000 tasks does not ask the store 1,000 questions each time it is shown. A task's runs are
 * read from the store once, then kept up to date from the instance's run events; before each
 * use, one query picks up the runs that another process wrote into the same store (`tasse run`
 * on the same data folder), and the runs still shown as active here but not running on this
 * host are read again.
 */
import type { Run, Tasse } from '@tasse/core'

export interface RecentRunsOptions {
  /** Runs kept per task. */
  perTask: number
}

/** How far before the last run seen the catch-up query starts (clocks of other processes). */
const CATCH_UP_SLACK_MS = 60_000
/** Runs the catch-up query reads at most; past this, the tasks it did not reach are re-read. */
const CATCH_UP_LIMIT = 500

export class RecentRuns {
  private readonly byTask = new Map<string, Run[]>()
  /** The latest `queuedAt` seen: the catch-up query starts a little before it. */
  private watermark = Date.now()

  constructor(
    private readonly tasse: Tasse,
    private readonly options: RecentRunsOptions,
  ) {
    // Cheap while no task's runs are held: a run of a task not held is ignored.
    const take = (run: Run) => this.take(run)
    tasse.events.on('run:queued', take)
    tasse.events.on('run:started', take)
    tasse.events.on('run:ended', take)
  }

  /** The last runs of each of `names`, newest first. */
  async of(names: readonly string[]): Promise<Map<string, readonly Run[]>> {
    await this.catchUp()
    const result = new Map<string, readonly Run[]>()
    for (const name of names) {
      let runs = this.byTask.get(name)
      if (!runs) {
        runs = (await this.tasse.listRuns({ task: name, limit: this.options.perTask })).runs
        this.byTask.set(name, runs)
        for (const run of runs) this.watermark = Math.max(this.watermark, run.queuedAt)
      }
      result.set(name, runs)
    }
    return result
  }

  /** A run, new or changed, in its task's list (if that task's runs are held). */
  private take(run: Run): void {
    this.watermark = Math.max(this.watermark, run.queuedAt)
    const runs = this.byTask.get(run.task)
    if (!runs) return
    const at = runs.findIndex((other) => other.id <= run.id)
    if (runs[at]?.id === run.id) runs[at] = run
    else if (at === -1) runs.push(run)
    else runs.splice(at, 0, run)
    if (runs.length > this.options.perTask) runs.length = this.options.perTask
  }

  private async catchUp(): Promise<void> {
    const page = await this.tasse.listRuns({
      from: this.watermark - CATCH_UP_SLACK_MS,
      limit: CATCH_UP_LIMIT,
    })
    for (const run of page.runs) this.take(run)
    // Too many to catch up with: read the tasks again when they are next shown.
    if (page.nextCursor) this.byTask.clear()
    const here = new Set(this.tasse.activeRuns().map((run) => run.id))
    for (const runs of this.byTask.values())
      for (const run of runs)
        if ((run.status === 'queued' || run.status === 'running') && !here.has(run.id)) {
          const now = await this.tasse.getRun(run.id)
          if (now) this.take(now)
        }
  }
}
