/**
 * The scheduler: one timer for the whole schedule. Tasks sit in a min-heap by next fire time;
 * the timer wakes for the earliest, fires what is due through `fire`, and asks each trigger for
 * its next fire time. Misfire grace and coalescing follow APScheduler 3 (`_process_jobs` and
 * `run_job`), except that every fire it drops is reported, never silent.
 */
import type { EpochMicros, TaskDefinition, TaskState } from './types.js'

/**
 * The longest the timer sleeps before it looks at the clock again. A single long `setTimeout`
 * would be wrong after the wall clock is stepped (NTP, a VM restored) or the machine wakes
 * from suspend, and Node clamps delays above 2^31-1 ms to 1 ms. A wake-up every 30 s costs
 * nothing measurable and bounds how late a fire can be after such a jump.
 */
export const MAX_TIMER_DELAY_MS = 30_000

/**
 * More missed fires than this in one wake-up (an interval of 1 s after a day down) are not
 * reported one by one: the first ones are, then a count.
 */
export const MAX_REPORTED_MISSES = 100

/** What the scheduler asks of its owner when fires are due. */
export interface FireHandler {
  /** A fire time to run now (`late` when it is a catch-up after the host was down). */
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

interface Entry {
  task: TaskDefinition
  next: EpochMicros | null
  last: EpochMicros | null
  paused: boolean
  /** Fires before this instant (µs) are catch-ups: they fell due while the host was down. */
  catchUpBefore: EpochMicros
  heapIndex: number
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>()
  private readonly heap: Entry[] = []
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
    entry.next =
      state?.nextFireTime !== undefined && state.nextFireTime !== null
        ? state.nextFireTime
        : this.safeNext(entry, null, now)
    this.entries.set(task.name, entry)
    if (entry.next !== null && !entry.paused) this.push(entry)
    this.options.handler.stateChanged(this.stateOf(entry))
    this.arm()
  }

  unschedule(name: string): void {
    const entry = this.entries.get(name)
    if (!entry) return
    this.remove(entry)
    this.entries.delete(name)
    this.arm()
  }

  /** Pauses or resumes a task's fires. A resumed task fires from now on (missed ones dropped). */
  setPaused(name: string, paused: boolean): TaskState | undefined {
    const entry = this.entries.get(name)
    if (!entry) return undefined
    if (entry.paused === paused) return this.stateOf(entry)
    entry.paused = paused
    if (paused) this.remove(entry)
    else {
      const now = this.now()
      entry.next = this.safeNext(entry, null, now)
      entry.catchUpBefore = now
      if (entry.next !== null) this.push(entry)
    }
    this.options.handler.stateChanged(this.stateOf(entry))
    this.arm()
    return this.stateOf(entry)
  }

  /** The scheduler's view of a task: last and next fire time, paused. */
  state(name: string): TaskState | undefined {
    const entry = this.entries.get(name)
    return entry && this.stateOf(entry)
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

  /** Fires everything due now; called by the timer. */
  private wake(): void {
    this.timer = null
    this.timerAt = Number.POSITIVE_INFINITY
    const now = this.now()
    while (this.heap.length && (this.heap[0] as Entry).next! <= now) {
      const entry = this.heap[0] as Entry
      this.processDue(entry, now)
      if (entry.next === null || entry.paused) this.remove(entry)
      else this.siftDown(entry.heapIndex)
    }
    this.arm()
  }

  /** APScheduler's `_process_jobs` for one task: collect due fire times, apply the job options. */
  private processDue(entry: Entry, now: EpochMicros): void {
    const { task } = entry
    const due: EpochMicros[] = []
    let dropped = 0
    let next: EpochMicros | null = entry.next
    while (next !== null && next <= now) {
      if (due.length >= MAX_REPORTED_MISSES * 2) {
        due.splice(0, MAX_REPORTED_MISSES) // keep memory bounded; the count stays exact
        dropped += MAX_REPORTED_MISSES
      }
      due.push(next)
      next = this.safeNext(entry, next, now)
    }
    const grace = task.job.misfireGraceTime
    const runs = task.job.coalesce ? due.slice(-1) : due
    const missed: EpochMicros[] = task.job.coalesce ? due.slice(0, -1) : []
    let missedMore = task.job.coalesce ? dropped : 0
    let why = 'coalesced with a later fire time (coalesce: true)'
    for (const fireTime of runs) {
      const lateSeconds = (now - fireTime) / 1e6
      if (grace !== null && lateSeconds > grace) {
        missed.push(fireTime)
        why = `more than ${grace}s late (misfire_grace_time: ${grace})`
        continue
      }
      this.options.handler.fire(task, fireTime, fireTime < entry.catchUpBefore)
    }
    if (!task.job.coalesce && dropped) {
      missedMore += dropped
      why = `more than ${grace}s late (misfire_grace_time: ${grace})`
    }
    if (missed.length || missedMore) {
      const listed = missed.slice(0, MAX_REPORTED_MISSES)
      this.options.handler.missed(task, listed, missed.length - listed.length + missedMore, why)
    }
    entry.last = due[due.length - 1] ?? entry.last
    entry.next = next
    this.options.handler.stateChanged(this.stateOf(entry))
  }

  private safeNext(
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

  private stateOf(entry: Entry): TaskState {
    return {
      task: entry.task.name,
      lastFireTime: entry.last,
      nextFireTime: entry.next,
      paused: entry.paused,
    }
  }

  /** Sets the one timer for the earliest fire time, capped at `MAX_TIMER_DELAY_MS`. */
  private arm(): void {
    if (!this.running) return
    const first = this.heap[0]
    const at = first
      ? Math.min(first.next! / 1000, Date.now() + MAX_TIMER_DELAY_MS)
      : Date.now() + MAX_TIMER_DELAY_MS
    if (this.timer && at >= this.timerAt - 1) return // the armed timer comes first (or close)
    if (this.timer) clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(() => this.wake(), Math.max(0, Math.ceil(at - Date.now())))
  }

  // A binary min-heap of entries by `next`, each entry knowing its index (O(log n) removal).

  private push(entry: Entry): void {
    entry.heapIndex = this.heap.length
    this.heap.push(entry)
    this.siftUp(entry.heapIndex)
  }

  private remove(entry: Entry): void {
    const index = entry.heapIndex
    if (index < 0) return
    const last = this.heap.pop() as Entry
    entry.heapIndex = -1
    if (index < this.heap.length) {
      this.heap[index] = last
      last.heapIndex = index
      this.siftDown(index)
      this.siftUp(last.heapIndex)
    }
  }

  private siftUp(index: number): void {
    const heap = this.heap
    const entry = heap[index] as Entry
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = heap[parentIndex] as Entry
      if (parent.next! <= entry.next!) break
      heap[index] = parent
      parent.heapIndex = index
      index = parentIndex
    }
    heap[index] = entry
    entry.heapIndex = index
  }

  private siftDown(index: number): void {
    const heap = this.heap
    const entry = heap[index] as Entry
    const length = heap.length
    for (;;) {
      let child = 2 * index + 1
      if (child >= length) break
      const right = child + 1
      if (right < length && (heap[right] as Entry).next! < (heap[child] as Entry).next!)
        child = right
      const smaller = heap[child] as Entry
      if (smaller.next! >= entry.next!) break
      heap[index] = smaller
      smaller.heapIndex = index
      index = child
    }
    heap[index] = entry
    entry.heapIndex = index
  }
}
