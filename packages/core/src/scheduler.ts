/**
 * The scheduler: one timer for the whole schedule. Tasks sit in a min-heap by next fire time
 * (`min-heap.ts`); the timer wakes for the earliest, asks `planDue` what to do with each task
 * due, and applies the plan through its handler. It decides nothing itself.
 */
import { MinHeap } from './min-heap.js'
import { type DueState, planDue } from './plan-due.js'
import type { EpochMicros, TaskDefinition, TaskState } from './types.js'

/**
 * The longest the timer sleeps before it looks at the clock again. A single long `setTimeout`
 * would be wrong after the wall clock is stepped (NTP, a VM restored) or the machine wakes
 * from suspend, and Node clamps delays above 2^31-1 ms to 1 ms. A wake-up every 30 s costs
 * nothing measurable and bounds how late a fire can be after such a jump.
 */
export const MAX_TIMER_DELAY_MS = 30_000

/** What the scheduler asks of its owner when fires are due. */
export interface FireHandler {
  /** A fire time to run now (`catchUp` when it fell due while the host was down). */
  fire(task: TaskDefinition, scheduledAt: EpochMicros, catchUp: boolean): void
  /** Fire times dropped by the misfire grace or coalescing; `more` counts those not listed. */
  missed(task: TaskDefinition, scheduledAt: readonly EpochMicros[], more: number, why: string): void
  /** The task's scheduler state changed (persist it). */
  stateChanged(state: TaskState): void
}

export interface SchedulerOptions {
  handler: FireHandler
  /** Current time in µs. @default Date.now() × 1000 */
  now?: () => EpochMicros
  /** Logs a trigger that threw. */
  onError?: (task: TaskDefinition, error: unknown) => void
}

interface Entry extends DueState {
  task: TaskDefinition
  heapIndex: number
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>()
  /** The entries with a next fire time that are not paused, earliest first. */
  private readonly heap = new MinHeap<Entry>((entry) => entry.next as EpochMicros)
  private timer: NodeJS.Timeout | null = null
  private timerAt = Number.POSITIVE_INFINITY
  private running = false
  private readonly now: () => EpochMicros

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now ?? (() => Date.now() * 1000)
  }

  /**
   * Schedules `task` (or reschedules it after a change). `state` is what a previous host left:
   * its next fire time is kept so that fires missed while down are caught up or reported.
   */
  schedule(task: TaskDefinition, state?: TaskState): void {
    this.unschedule(task.name)
    if (!task.trigger) return
    const now = this.now()
    const entry: Entry = {
      task,
      next: null,
      last: state?.lastFireTime ?? null,
      paused: state?.paused ?? false,
      catchUpBefore: now,
      heapIndex: -1,
    }
    entry.next = state?.nextFireTime ?? this.nextFireTime(entry, null, now)
    this.entries.set(task.name, entry)
    if (entry.next !== null && !entry.paused) this.heap.push(entry)
    this.options.handler.stateChanged(stateOf(entry))
    this.arm()
  }

  unschedule(name: string): void {
    const entry = this.entries.get(name)
    if (!entry) return
    this.heap.remove(entry)
    this.entries.delete(name)
    this.arm()
  }

  /** Pauses or resumes a task's fires. A resumed task fires from now on (missed ones dropped). */
  setPaused(name: string, paused: boolean): TaskState | undefined {
    const entry = this.entries.get(name)
    if (!entry) return undefined
    if (entry.paused === paused) return stateOf(entry)
    entry.paused = paused
    if (paused) this.heap.remove(entry)
    else {
      const now = this.now()
      entry.next = this.nextFireTime(entry, null, now)
      entry.catchUpBefore = now
      if (entry.next !== null) this.heap.push(entry)
    }
    this.options.handler.stateChanged(stateOf(entry))
    this.arm()
    return stateOf(entry)
  }

  /** The scheduler's view of a task: last and next fire time, paused. */
  state(name: string): TaskState | undefined {
    const entry = this.entries.get(name)
    return entry && stateOf(entry)
  }

  start(): void {
    this.running = true
    this.arm()
  }

  stop(): void {
    this.running = false
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.timerAt = Number.POSITIVE_INFINITY
  }

  /** Applies the plan of every task due now; called by the timer. */
  private wake(): void {
    this.timer = null
    this.timerAt = Number.POSITIVE_INFINITY
    const now = this.now()
    for (let entry = this.heap.peek(); entry && (entry.next as number) <= now; ) {
      this.apply(entry, now)
      if (entry.next === null) this.heap.remove(entry)
      else this.heap.update(entry)
      entry = this.heap.peek()
    }
    this.arm()
  }

  private apply(entry: Entry, now: EpochMicros): void {
    const { task } = entry
    const plan = planDue(entry, now, {
      job: task.job,
      nextFireTime: (previous, at) => this.nextFireTime(entry, previous, at),
    })
    for (const { at, catchUp } of plan.run) this.options.handler.fire(task, at, catchUp)
    if (plan.missed)
      this.options.handler.missed(task, plan.missed.times, plan.missed.more, plan.missed.why)
    entry.last = plan.last
    entry.next = plan.next
    this.options.handler.stateChanged(stateOf(entry))
  }

  /** The trigger's next fire time; a trigger that throws is reported and ends the schedule. */
  private nextFireTime(
    entry: Entry,
    previous: EpochMicros | null,
    now: EpochMicros,
  ): EpochMicros | null {
    try {
      return entry.task.trigger?.nextFireTime(previous, now) ?? null
    } catch (cause) {
      this.options.onError?.(entry.task, cause)
      return null
    }
  }

  /** Sets the one timer for the earliest fire time, capped at `MAX_TIMER_DELAY_MS`. */
  private arm(): void {
    if (!this.running) return
    const nowMs = this.now() / 1000
    const first = this.heap.peek()
    const cap = nowMs + MAX_TIMER_DELAY_MS
    const at = first ? Math.min((first.next as number) / 1000, cap) : cap
    if (this.timer && at >= this.timerAt - 1) return // the armed timer comes first (or close)
    if (this.timer) clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => this.wake(), Math.max(0, Math.ceil(at - nowMs)))
  }
}

function stateOf(entry: Entry): TaskState {
  return {
    task: entry.task.name,
    lastFireTime: entry.last,
    nextFireTime: entry.next,
    paused: entry.paused,
  }
}
