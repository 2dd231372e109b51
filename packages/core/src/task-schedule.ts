/**
 * The schedule of one Tasse instance: the scheduler's one timer over the catalog's tasks, the
 * state it keeps in the run store (so a restart forgets no fire), and what a fire does: submit
 * a run, or record the fire times it missed. Nothing is scheduled, and no state written, until
 * `start()`.
 */
import type { CatalogChanges } from './catalog.js'
import type { Executor } from './executor.js'
import { Scheduler } from './scheduler.js'
import type { EpochMicros, RunStore, TaskDefinition, TaskState, TasseLogger } from './types.js'

export interface TaskScheduleOptions {
  executor: Executor
  /** The run store, where each task's state is kept. */
  store: () => RunStore
  logger: TasseLogger
}

export class TaskSchedule {
  private readonly scheduler: Scheduler
  private writes: Promise<void> = Promise.resolve()
  /** True from `start()` until `stop()`. */
  private started = false
  /** The states a previous host left, kept while the tasks folder could not be read. */
  private stored: ReadonlyMap<string, TaskState> | null = null

  constructor(private readonly options: TaskScheduleOptions) {
    this.scheduler = new Scheduler({
      handler: {
        fire: (task, scheduledAt, catchUp) => void this.fire(task, scheduledAt, catchUp),
        missed: (task, times, more, why) => void this.recordMissed(task, times, more, why),
        stateChanged: (state) => this.save(state),
      },
      onError: (task, cause) =>
        options.logger.error(
          `the trigger of task "${task.name}" failed; the task is not scheduled`,
          cause,
        ),
    })
  }

  /**
   * Schedules `tasks` from the states a previous host left, and starts the timer. With
   * `keepStates` (the tasks folder could not be read yet), the states also serve the tasks the
   * first scan that can read it adds.
   */
  start(
    tasks: readonly TaskDefinition[],
    states: ReadonlyMap<string, TaskState>,
    keepStates = false,
  ): void {
    for (const task of tasks) this.scheduler.schedule(task, states.get(task.name))
    this.stored = keepStates ? states : null
    this.started = true
    this.scheduler.start()
  }

  /** Stops the timer: nothing fires any more. */
  stop(): void {
    this.started = false
    this.scheduler.stop()
  }

  /** Resolves once every state so far is saved. */
  async flush(): Promise<void> {
    await this.writes
  }

  /** Schedules what a rescan added, reschedules what changed, drops what went (once started). */
  apply(changes: CatalogChanges): void {
    if (!this.started) return
    for (const task of changes.removed) this.scheduler.unschedule(task.name)
    for (const task of changes.added) this.scheduler.schedule(task, this.stored?.get(task.name))
    for (const task of changes.changed) {
      // A changed schedule starts afresh from now, paused or not as it was.
      const paused = this.scheduler.state(task.name)?.paused ?? false
      this.scheduler.schedule(task, {
        task: task.name,
        lastFireTime: null,
        nextFireTime: null,
        paused,
      })
    }
    // A folder added after the first scan that could read the tasks folder is a new task.
    if (!changes.problem) this.stored = null
  }

  /** A task's last and next fire time, and whether it is paused; `undefined` if unscheduled. */
  state(name: string): TaskState | undefined {
    return this.scheduler.state(name)
  }

  /** Pauses or resumes a task's fires (kept across restarts); `undefined` if unscheduled. */
  setPaused(name: string, paused: boolean): TaskState | undefined {
    return this.scheduler.setPaused(name, paused)
  }

  private save(state: TaskState): void {
    this.writes = this.writes
      .then(() => this.options.store().setTaskState(state))
      .catch((cause) =>
        this.options.logger.error(`could not save the schedule of ${state.task}`, cause),
      )
  }

  /** Runs a fire; nothing it meets may escape into the timer. */
  private async fire(task: TaskDefinition, scheduledAt: EpochMicros, catchUp: boolean) {
    try {
      const reason = catchUp ? 'catch-up' : 'schedule'
      await this.options.executor.submit(task, { reason, scheduledAt })
    } catch (cause) {
      // Such as a required parameter without a default: the schedule cannot give it.
      this.options.logger.error(`task "${task.name}": a scheduled run did not start`, cause)
    }
  }

  private async recordMissed(
    task: TaskDefinition,
    times: readonly EpochMicros[],
    more: number,
    why: string,
  ) {
    const { executor, logger } = this.options
    for (const scheduledAt of times)
      await executor.recordNotRun(task, { reason: 'schedule', scheduledAt }, 'missed', why)
    const count = times.length + more
    const unlisted = more ? ` (${more} not listed in history)` : ''
    logger.warn(`task "${task.name}": ${count} fire time(s) missed: ${why}${unlisted}`)
  }
}
