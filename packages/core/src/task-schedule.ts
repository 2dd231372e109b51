/**
 * The schedule of one Tasse instance: the scheduler's one timer over the catalog's tasks, the
 * state it keeps in the run store (so a restart forgets no fire), and what a fire does: submit
 * a run, or record the fire times it missed. Each fire time is claimed in the store first
 * (`claimFire`): of several hosts sharing the store, the one that wins the claim runs or records
 * it, the others do nothing. Nothing is scheduled, and no state written, until `start()`.
 */
import type { CatalogChanges } from './catalog.js'
import { TasseError } from './errors.js'
import type { Executor } from './executor.js'
import { traceFire } from './fire-trace.js'
import { Scheduler } from './scheduler.js'
import type { EpochMicros, RunStore, TaskDefinition, TaskState, TasseLogger } from './types.js'

/** How long a host that lost a schedule's election waits for the winner's state. */
const ANCHOR_WAIT_MS = 3000

/**
 * The claim that elects the host starting a task's fresh schedule: a "fire time" from the
 * task's trigger, so that a changed schedule holds a new election, in the 23rd century: no
 * real fire has it, and retention (which prunes claims older than its age) never deletes it.
 */
export function anchorOf(task: Pick<TaskDefinition, 'name' | 'trigger'>): EpochMicros {
  const text = `${task.trigger?.type}\0${task.trigger?.timezone}\0${task.trigger?.describe()}`
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return Number.MAX_SAFE_INTEGER - (hash >>> 0)
}

/** How long to wait before asking a store that did not answer again. */
const STORE_RETRY_MS = 1000
/**
 * Fire times waiting for the store to come back, at most: past this (a long outage of a large
 * schedule), a fire time is logged as lost rather than held in memory.
 */
const MAX_WAITING_FIRES = 10_000

export interface TaskScheduleOptions {
  executor: Executor
  /** The run store, where each task's state is kept. */
  store: () => RunStore
  logger: TasseLogger
  /** The id this host registered with the store (`null`: not registered, claims are skipped). */
  hostId?: () => string | null
}

export class TaskSchedule {
  private readonly scheduler: Scheduler
  /** Per task, its last state write queued: each task's in order, different tasks' at once. */
  private readonly writes = new Map<string, Promise<void>>()
  /** True from `start()` until `stop()`. */
  private started = false
  /** The states a previous host left, kept while the tasks folder could not be read. */
  private stored: ReadonlyMap<string, TaskState> | null = null
  /** Fire times whose claim or run waits for the store to answer again. */
  private waiting = 0
  /** Set while the store does not answer, so that the outage is logged once. */
  private storeDown = false
  /** Per task, counts its (re)schedules: an election that ends after the next one is dropped. */
  private readonly generations = new Map<string, number>()
  /** Tasks whose fresh schedule waits for the hosts' election; their state is not saved. */
  private readonly electing = new Set<string>()

  constructor(private readonly options: TaskScheduleOptions) {
    this.scheduler = new Scheduler({
      handler: {
        fire: (task, scheduledAt, catchUp) => this.track(this.fire(task, scheduledAt, catchUp)),
        missed: (task, times, more, why) => this.track(this.recordMissed(task, times, more, why)),
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
    for (const task of tasks) this.place(task, states.get(task.name))
    this.stored = keepStates ? states : null
    this.started = true
    this.scheduler.start()
  }

  /** Stops the timer: nothing fires any more. */
  stop(): void {
    this.started = false
    this.scheduler.stop()
  }

  /**
   * Resolves once every fire under way is run or recorded (a host that stops waits for them
   * before it closes the store, rather than cut a store call short) and every state so far is
   * saved.
   */
  async flush(): Promise<void> {
    await Promise.all(this.fires)
    await Promise.all(this.writes.values())
  }

  /** Fires and missed records under way. */
  private readonly fires = new Set<Promise<void>>()

  private track(fire: Promise<void>): void {
    this.fires.add(fire)
    void fire.finally(() => this.fires.delete(fire))
  }

  /** Schedules what a rescan added, reschedules what changed, drops what went (once started). */
  apply(changes: CatalogChanges): void {
    if (!this.started) return
    for (const task of changes.removed) this.scheduler.unschedule(task.name)
    for (const task of changes.added) this.place(task, this.stored?.get(task.name))
    for (const task of changes.changed) {
      // A changed schedule starts afresh from now, paused or not as it was.
      const paused = this.scheduler.state(task.name)?.paused ?? false
      this.place(task, { task: task.name, lastFireTime: null, nextFireTime: null, paused })
    }
    // A folder added after the first scan that could read the tasks folder is a new task.
    if (!changes.problem) this.stored = null
  }

  /**
   * Schedules `task` from `state`. A schedule that starts afresh (no next fire time: a new or
   * changed task) starts from "now", which differs from host to host: the hosts of a store
   * would fire it on grids of their own, each fire time claimed once but the task run once per
   * host. So the host that wins the claim of the definition's anchor writes its state, and the
   * others take that state from the store once it is there (within `ANCHOR_WAIT_MS`).
   */
  private place(task: TaskDefinition, state: TaskState | undefined): void {
    const generation = (this.generations.get(task.name) ?? 0) + 1
    this.generations.set(task.name, generation)
    const hostId = this.options.hostId?.() ?? null
    const fresh = !state || state.nextFireTime === null
    if (!fresh || hostId === null || !task.trigger) {
      this.scheduler.schedule(task, state)
      return
    }
    // Scheduled at once (the task shows its next fire time), its state kept unsaved until the
    // election says whose it is.
    this.electing.add(task.name)
    this.scheduler.schedule(task, state)
    void this.elect(task, generation, hostId, state === undefined)
  }

  /**
   * The election of `place`. The winner's state is recognised as one the store did not hold
   * before: any state for a task new to the store (`isNew`), else one that has not fired yet.
   */
  private async elect(
    task: TaskDefinition,
    generation: number,
    hostId: string,
    isNew: boolean,
  ): Promise<void> {
    const store = this.options.store
    const current = () => this.generations.get(task.name) === generation && this.started
    const winners = (stored: TaskState | undefined): stored is TaskState =>
      Boolean(stored?.nextFireTime) && (isNew || stored?.lastFireTime === null)
    try {
      const won = await store().claimFire(task.name, anchorOf(task), { hostId })
      if (!current()) return
      if (!won) {
        const deadline = Date.now() + ANCHOR_WAIT_MS
        let stored = await store().getTaskState(task.name)
        while (!winners(stored) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100))
          stored = await store().getTaskState(task.name)
        }
        if (!current()) return
        // Not there in time (its winner stopped, or this definition was elected long ago):
        // this host's own start stands, as if it had won.
        if (winners(stored)) {
          this.electing.delete(task.name)
          this.scheduler.schedule(task, stored)
          return
        }
      }
    } catch (cause) {
      this.options.logger.error(`task "${task.name}": could not agree on its schedule`, cause)
    }
    if (!current()) return
    this.electing.delete(task.name)
    const state = this.scheduler.state(task.name)
    if (state) this.save(state)
  }

  /** A task's last and next fire time, and whether it is paused; `undefined` if unscheduled. */
  state(name: string): TaskState | undefined {
    return this.scheduler.state(name)
  }

  /**
   * Pauses or resumes a task's fires (kept across restarts, and shared with the hosts of the
   * store); `undefined` if unscheduled.
   */
  setPaused(name: string, paused: boolean): TaskState | undefined {
    this.pausing = name
    try {
      return this.scheduler.setPaused(name, paused)
    } finally {
      this.pausing = null
    }
  }

  /**
   * Another host paused or resumed a task (as the store holds it): follows it. True when that
   * paused or resumed the task here.
   */
  follow(stored: TaskState): boolean {
    // A pause or resume here not yet written: the store's value is the older one.
    if (this.unsavedPauses.has(stored.task)) return false
    const local = this.scheduler.state(stored.task)
    if (!local || stored.paused === local.paused) return false
    this.setPaused(stored.task, stored.paused)
    return true
  }

  /** The task being paused or resumed here, while `setPaused` runs. */
  private pausing: string | null = null
  /** Tasks paused or resumed here whose state is not written yet, with how many writes wait. */
  private readonly unsavedPauses = new Map<string, number>()

  private save(state: TaskState): void {
    if (this.electing.has(state.task)) return
    // Every host of a store writes the task's fire times; only a pause or a resume here decides
    // `paused`, the others keep what the store holds (another host's pause stays).
    const decidesPaused = this.pausing === state.task
    const store = this.options.store
    const unsaved = this.unsavedPauses
    if (decidesPaused) unsaved.set(state.task, (unsaved.get(state.task) ?? 0) + 1)
    // Fire times alone leave the store's `paused` as it is, in the same statement.
    const { paused, ...fireTimes } = state
    const write = decidesPaused ? state : fireTimes
    const written: Promise<void> = (this.writes.get(state.task) ?? Promise.resolve())
      .then(() => store().setTaskState(write))
      .catch((cause) =>
        this.options.logger.error(`could not save the schedule of ${state.task}`, cause),
      )
      .finally(() => {
        if (!decidesPaused) return
        const left = (unsaved.get(state.task) ?? 1) - 1
        if (left > 0) unsaved.set(state.task, left)
        else unsaved.delete(state.task)
      })
      .then(() => {
        if (this.writes.get(state.task) === written) this.writes.delete(state.task)
      })
    this.writes.set(state.task, written)
  }

  /**
   * Calls `attempt` until the store answers (a failure that is not the store's is thrown), or
   * the schedule stops (`undefined`). One line is logged when the store stops and starts
   * answering.
   */
  private async whileStoreDown<T>(what: string, attempt: () => Promise<T>): Promise<T | undefined> {
    if (this.waiting >= MAX_WAITING_FIRES) {
      this.options.logger.error(
        `${what}: lost, ${MAX_WAITING_FIRES} fire times already wait for the run store`,
      )
      return undefined
    }
    this.waiting++
    try {
      for (;;) {
        try {
          const result = await attempt()
          if (this.storeDown)
            this.options.logger.info('the run store answers again; fire times resume')
          this.storeDown = false
          return result
        } catch (cause) {
          if (!isStoreFailure(cause)) throw cause
          if (!this.storeDown)
            this.options.logger.error(
              `${what}: the run store does not answer; retrying every ${STORE_RETRY_MS / 1000}s`,
              cause,
            )
          this.storeDown = true
        }
        await new Promise((resolve) => setTimeout(resolve, STORE_RETRY_MS).unref())
        if (!this.started) return undefined
      }
    } finally {
      this.waiting--
    }
  }

  /**
   * Runs a fire time if this host wins its claim, or records it `missed` if it is already past
   * its misfire grace (the store did not answer); nothing it meets may escape into the timer.
   * The claim and the run's record are one store step (`submitClaimed`): a host killed at any
   * moment leaves the fire time unclaimed (another host runs it) or claimed with its record. A
   * fire the task's own definition refuses (a required parameter without a default: a schedule
   * gives none) is in history as `failed`, with the reason, rather than gone without a trace.
   */
  private async fire(task: TaskDefinition, scheduledAt: EpochMicros, catchUp: boolean) {
    const { executor, logger } = this.options
    const request = { reason: catchUp ? ('catch-up' as const) : ('schedule' as const), scheduledAt }
    // A fire that comes due as the host stops (it has left the store: no id to claim with)
    // is another host's to run or record.
    if (!this.started) return
    traceFire('fire', `${task.name}@${scheduledAt}`)
    try {
      const missed = await this.whileStoreDown(`task "${task.name}"`, async () => {
        // Each try looks again: a try that waited for the store past the misfire grace records
        // the fire time missed instead of running it.
        const why = tooLate(task, scheduledAt)
        if (why === null) {
          await executor.submitClaimed(task, request, scheduledAt)
          return null
        }
        const recorded = await executor.recordNotRun(task, request, 'missed', why, scheduledAt)
        return recorded && why
      })
      if (missed) logger.warn(`task "${task.name}": 1 fire time(s) missed: ${missed}`)
    } catch (cause) {
      const why = `the scheduled run could not start: ${cause instanceof Error ? cause.message : String(cause)}`
      logger.error(`task "${task.name}": ${why}`)
      try {
        // Refused before its claim (its parameters): claimed with this record instead.
        await executor.recordNotRun(task, request, 'failed', why, scheduledAt)
      } catch (unrecorded) {
        logger.error(`task "${task.name}": could not record its refused fire`, unrecorded)
      }
    }
  }

  /** Records the missed fire times this host claims, each claimed with its record. */
  private async recordMissed(
    task: TaskDefinition,
    times: readonly EpochMicros[],
    more: number,
    why: string,
  ) {
    const { executor, logger } = this.options
    try {
      let claimed = 0
      for (const scheduledAt of times) {
        const request = { reason: 'schedule' as const, scheduledAt }
        const recorded = await this.whileStoreDown(`task "${task.name}"`, () =>
          executor.recordNotRun(task, request, 'missed', why, scheduledAt),
        )
        if (recorded) claimed++
      }
      // Fire times not listed are counted by whichever host records the listed ones.
      if (claimed === 0 && times.length) return
      const unlisted = more ? ` (${more} not listed in history)` : ''
      logger.warn(`task "${task.name}": ${claimed + more} fire time(s) missed: ${why}${unlisted}`)
    } catch (cause) {
      logger.error(`task "${task.name}": missed fire times not recorded`, cause)
    }
  }
}

/**
 * Why fire time `scheduledAt` of `task` is past its misfire grace now (by more than one wait
 * for the store), or `null`.
 */
function tooLate(task: TaskDefinition, scheduledAt: EpochMicros): string | null {
  const grace = task.job.misfireGraceTime
  const lateS = (Date.now() * 1000 - scheduledAt) / 1e6
  if (grace === null || lateS <= grace + STORE_RETRY_MS / 1000) return null
  return `more than ${grace}s late (misfire_grace_time: ${grace}): the run store did not answer`
}

/** A failure of the store (down, unreachable: the driver's errors), not of the request itself. */
function isStoreFailure(cause: unknown): boolean {
  return !(cause instanceof TasseError) || cause.code === 'store'
}
