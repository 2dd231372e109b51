/**
 * What a host learns from the other hosts of its store: cancel requests for its runs, runs of a
 * task ending elsewhere (its own runs queued behind them may start), and tasks paused or resumed
 * elsewhere. The store's change feed says so at once where it can (PostgreSQL's LISTEN/NOTIFY);
 * a poll every few seconds covers a feed that lost changes or a store without one.
 */
import type { Executor } from './executor.js'
import type { TaskSchedule } from './task-schedule.js'
import type { RunStore, StoreChange, TasseLogger } from './types.js'

/** How often the host looks at the store even when the feed says nothing. */
export const CLUSTER_POLL_MS = 5000
/**
 * Every host writes each task's state at each fire: the changes of a moment are read together,
 * in one query, this long after the first of them.
 */
const STATES_DELAY_MS = 200

export interface ClusterSyncOptions {
  store: () => RunStore
  executor: Executor
  schedule: TaskSchedule
  logger: TasseLogger
  /** This host's id in the store (`null` before it registered). */
  hostId: () => string | null
  /** The names of the tasks scheduled here. */
  tasks: () => readonly string[]
  /** A task was paused or resumed here because another host did. */
  followed?: (task: string, paused: boolean) => void
  /** A run of another host changed (its health counts here too). */
  otherHostRun?: (change: Extract<StoreChange, { type: 'run' }>) => void
}

export class ClusterSync {
  #unsubscribe: (() => Promise<void>) | null = null
  #timer: NodeJS.Timeout | null = null
  #failing = false
  #statesTimer: NodeJS.Timeout | null = null

  constructor(private readonly options: ClusterSyncOptions) {}

  /** Subscribes to the store's changes and starts the poll; a feed that fails is logged. */
  async start(): Promise<void> {
    try {
      this.#unsubscribe = await this.options.store().subscribe((change) => this.#changed(change))
    } catch (cause) {
      this.options.logger.error('the run store has no change feed; polling it only', cause)
    }
    this.#timer = setInterval(() => void this.poll(), CLUSTER_POLL_MS)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    if (this.#statesTimer) clearTimeout(this.#statesTimer)
    this.#timer = null
    this.#statesTimer = null
    const unsubscribe = this.#unsubscribe
    this.#unsubscribe = null
    await unsubscribe?.().catch(() => {})
  }

  /** Looks at everything the feed tells of: cancels, queued runs, paused tasks. */
  async poll(): Promise<void> {
    try {
      await this.#cancels()
      for (const task of this.options.tasks()) await this.options.executor.reconsider(task)
      await this.#states()
      this.#failing = false
    } catch (cause) {
      if (!this.#failing) this.options.logger.error('could not read the run store', cause)
      this.#failing = true
    }
  }

  #changed(change: StoreChange): void {
    const mine = this.options.hostId()
    switch (change.type) {
      case 'cancel':
        if (change.hostId === mine) void this.#cancels().catch(() => {})
        break
      case 'run':
        if (change.status !== 'queued' && change.status !== 'running')
          void this.options.executor.reconsider(change.task)
        if (change.hostId !== mine) this.options.otherHostRun?.(change)
        break
      case 'task-state':
        this.#statesTimer ??= setTimeout(() => {
          this.#statesTimer = null
          this.#states().catch((cause) =>
            this.options.logger.error("could not read the tasks' schedules", cause),
          )
        }, STATES_DELAY_MS)
        break
      case 'resync':
        void this.poll()
        break
    }
  }

  /** Pauses or resumes here the tasks paused or resumed by another host. */
  async #states(): Promise<void> {
    for (const state of await this.options.store().listTaskStates())
      if (this.options.schedule.follow(state)) this.options.followed?.(state.task, state.paused)
  }

  /** Ends the runs of this host that some host asked to cancel. */
  async #cancels(): Promise<void> {
    const hostId = this.options.hostId()
    if (hostId === null) return
    for (const request of await this.options.store().cancelRequests(hostId))
      this.options.executor.cancel(request.runId, request.reason)
  }
}
