/**
 * Each task's health, followed from the instance's run events: consecutive failures, last
 * success and last run, whether it is overdue (`expect:`, decided by `overdue.ts`), and whether
 * `on_failure.pause_after` paused it. What is worth telling someone is announced as a
 * `task:alert` event; delivering it is a listener's business (the host's notifier), never the
 * executor's, so an alert can neither delay nor fail a run.
 *
 * Hosts sharing a store: each follows its own runs' events and tells their alerts (one host per
 * run), and counts the other hosts' runs from the store's change feed, so a failure streak, a
 * recovery and a pause are the task's, not one host's. A fire time no run answered is checked
 * against the store (another host may have run it), and of the hosts that find it unanswered,
 * the one that claims it in the store tells it.
 */
import { formatDuration } from './duration.js'
import type { TasseEvents } from './events.js'
import { overdueReason } from './overdue.js'
import type {
  AlertEvent,
  EpochMicros,
  FailurePolicy,
  Run,
  RunStatus,
  RunStore,
  StoreChange,
  TaskDefinition,
  TaskState,
  TasseLogger,
} from './types.js'
import { RUN_STATUSES } from './types.js'

/** Something worth telling about a task, as `task:alert` announces it. */
export interface TaskAlert {
  event: AlertEvent
  task: string
  /** The run it is about (for `overdue` and `paused`, the last run, if any). */
  run: Run | null
  /** What happened, in words. */
  reason: string
  /** Epoch ms. */
  time: number
}

/** A task's health as the API shows it. */
export interface TaskHealthView {
  task: string
  /** Failed (or timed out) runs since the last success. */
  consecutiveFailures: number
  /** When the last successful run ended, epoch ms. */
  lastSuccessAt: number | null
  /** When the last run started, epoch ms. */
  lastRunAt: number | null
  /** Set while the task is overdue: why, and since when (epoch ms). Cleared by a success. */
  overdue: { reason: string; since: number } | null
  /** Why `on_failure.pause_after` paused the schedule; `null` when it did not. */
  pausedReason: string | null
  /** When `on_failure.resume_after` resumes it, epoch ms. */
  resumesAt: number | null
}

export interface TaskHealthOptions {
  events: TasseEvents
  logger: TasseLogger
  tasks: () => readonly TaskDefinition[]
  task: (name: string) => TaskDefinition | undefined
  schedule: (name: string) => TaskState | undefined
  running: (name: string) => readonly Run[]
  /** Pauses or resumes a task's schedule (announcing `task:paused`). */
  setPaused: (name: string, paused: boolean) => void
  store: () => RunStore
  /** This host's id in the store (`null` before it registered). */
  hostId?: () => string | null
  /** How often overdue is checked. @default 1000 */
  checkEveryMs?: number
}

interface HealthRecord {
  consecutiveFailures: number
  lastSuccessAt: number | null
  lastRunAt: number | null
  /** See `OverdueInput.owedFire`; `undefined`: the schedule's next fire time, when next asked. */
  owedFire: EpochMicros | null | undefined
  overdue: { reason: string; since: number } | null
  pausedReason: string | null
  resumesAt: number | null
  resumeTimer: NodeJS.Timeout | null
  /** A run event was seen: what history says (`hydrate`) is older. */
  live: boolean
  lastRun: Run | null
  /** An unanswered fire time is being checked against the store. */
  confirming: boolean
  /** The other hosts' runs counted already (a feed may tell of one run's end twice). */
  counted: Set<string>
}

const FAILED = new Set(['failed', 'timed_out'])
/** The statuses of runs that may have started (a cancelled one may have been queued only). */
const STARTED: RunStatus[] = RUN_STATUSES.filter(
  (status) => status !== 'queued' && status !== 'skipped' && status !== 'missed',
)
/** The runs of other hosts whose end counts: a result, not a skip or an interruption. */
const COUNTED = new Set(['succeeded', 'failed', 'timed_out'])
/** How many of the other hosts' run ids a task remembers, to count each once. */
const COUNTED_KEPT = 64
/**
 * The claim (`claimFire`'s attempt) of the overdue alert of a fire time: no run's attempt, so
 * it never stands in a fire's or a retry's way.
 */
export const OVERDUE_CLAIM_ATTEMPT = 2 ** 31 - 1

export class TaskHealth {
  private readonly records = new Map<string, HealthRecord>()
  private timer: NodeJS.Timeout | null = null
  private readonly listeners: [string, (...args: never[]) => void][]
  private following: [string, (...args: never[]) => void][] = []

  constructor(private readonly options: TaskHealthOptions) {
    this.listeners = [
      ['run:started', (run: Run) => this.started(run)],
      ['run:ended', (run: Run) => this.ended(run)],
      ['task:paused', (task: TaskDefinition, paused: boolean) => this.pausedChanged(task, paused)],
      ['task:changed', (task: TaskDefinition) => this.changed(task)],
      ['task:removed', (task: TaskDefinition) => this.removed(task)],
    ]
  }

  /**
   * Follows the run events, and checks overdue from the states a previous host left (so that
   * its downtime is caught) at once, then every second. Last successes and failure counts are
   * read from history meanwhile.
   */
  start(states: ReadonlyMap<string, TaskState>): void {
    this.following = this.listeners.map(([event, listener]) => [
      event,
      guard(this.options.logger, listener),
    ])
    for (const [event, listener] of this.following)
      this.options.events.on(event as 'run:ended', listener as never)
    for (const state of states.values())
      if (state.nextFireTime !== null && !state.paused)
        this.record(state.task).owedFire = state.nextFireTime
    this.checkSafely()
    this.timer = setInterval(() => this.checkSafely(), this.options.checkEveryMs ?? 1000)
    this.timer.unref()
    void this.hydrate()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    for (const record of this.records.values()) this.clearResume(record)
    for (const [event, listener] of this.following)
      this.options.events.off(event as 'run:ended', listener as never)
    this.following = []
  }

  view(name: string): TaskHealthView {
    const record = this.records.get(name)
    return {
      task: name,
      consecutiveFailures: record?.consecutiveFailures ?? 0,
      lastSuccessAt: record?.lastSuccessAt ?? null,
      lastRunAt: record?.lastRunAt ?? null,
      overdue: record?.overdue ? { ...record.overdue } : null,
      pausedReason: record?.pausedReason ?? null,
      resumesAt: record?.resumesAt ?? null,
    }
  }

  /** `check()` from a timer: what it meets is logged, never thrown into the event loop. */
  private checkSafely(): void {
    try {
      this.check()
    } catch (cause) {
      this.options.logger.error('task health: the overdue check failed', cause)
    }
  }

  /** Finds the tasks that turned overdue; called every second, and once at start. */
  check(now = Date.now()): void {
    for (const task of this.options.tasks()) {
      if (!task.expect) continue
      const record = this.record(task.name)
      if (record.overdue) continue
      const schedule = this.options.schedule(task.name)
      // Owed from the schedule once it holds the task (a task without a trigger owes nothing).
      if (record.owedFire === undefined && schedule) record.owedFire = schedule.nextFireTime
      if (record.confirming) continue
      const input = {
        owedFire: (task.trigger && record.owedFire) ?? null,
        paused: schedule?.paused ?? false,
        running: this.options.running(task.name),
        now,
      }
      // A run of this host going on too long: only this host knows it, and tells it.
      const late = overdueReason({ ...input, expect: { ...task.expect, startWithinMs: null } })
      if (late) {
        this.turnOverdue(task.name, record, late, now)
        this.alert('overdue', task.name, record.lastRun, late)
        continue
      }
      const unanswered = overdueReason({
        ...input,
        expect: { ...task.expect, finishWithinMs: null },
      })
      if (unanswered)
        void this.confirmOverdue(task.name, record, unanswered, input.owedFire as EpochMicros, now)
    }
  }

  private turnOverdue(name: string, record: HealthRecord, reason: string, now: number): void {
    record.overdue = { reason, since: now }
    this.options.logger.warn(`task "${name}" is overdue: ${reason}`)
  }

  /**
   * A fire time owed with no run started here: in the store, a run of another host may have
   * answered it (the next one is owed then). Else the task is overdue here, and the host that
   * claims its overdue alert in the store tells it: once, however many hosts share the store,
   * and once across a restart.
   */
  private async confirmOverdue(
    name: string,
    record: HealthRecord,
    reason: string,
    owedFire: EpochMicros,
    now: number,
  ): Promise<void> {
    record.confirming = true
    try {
      const store = this.options.store()
      const fireMs = Math.floor(owedFire / 1000)
      const { runs } = await store.listRuns({ task: name, status: STARTED, limit: 5 })
      if (!this.timer || this.records.get(name) !== record || record.overdue) return
      const lastStart = Math.max(0, ...runs.map((run) => run.startedAt ?? 0))
      if (lastStart >= fireMs) {
        record.owedFire = this.options.schedule(name)?.nextFireTime ?? null
        return
      }
      this.turnOverdue(name, record, reason, now)
      // Keyed by the last start, which every host reads alike (their schedules may owe
      // different fire times by now): one alert per stretch without a run.
      const hostId = this.options.hostId?.() ?? null
      const told =
        hostId === null ||
        (await store.claimFire(name, lastStart * 1000, {
          hostId,
          attempt: OVERDUE_CLAIM_ATTEMPT,
        }))
      if (told && this.timer) this.alert('overdue', name, record.lastRun, reason)
    } catch (cause) {
      this.options.logger.error(
        `could not check in the store whether task "${name}" is overdue`,
        cause,
      )
    } finally {
      record.confirming = false
    }
  }

  /**
   * A run of another host of the store changed: its end counts in the task's streak and clears
   * an overdue here too. Its alerts are its own host's.
   */
  otherHostRun(change: Extract<StoreChange, { type: 'run' }>): void {
    if (!COUNTED.has(change.status) || !this.options.task(change.task)) return
    const record = this.record(change.task)
    if (record.counted.has(change.id)) return
    record.counted.add(change.id)
    if (record.counted.size > COUNTED_KEPT)
      record.counted.delete(record.counted.values().next().value as string)
    record.live = true
    if (change.status === 'succeeded') {
      record.consecutiveFailures = 0
      record.overdue = null
    } else record.consecutiveFailures++
    // When it ran, for the gauges; what counts is done already.
    void this.options
      .store()
      .getRun(change.id)
      .then((run) => {
        if (!run || this.records.get(change.task) !== record) return
        if (run.startedAt !== null && (record.lastRunAt ?? 0) < run.startedAt) {
          record.lastRunAt = run.startedAt
          record.lastRun = run
        }
        if (run.status === 'succeeded' && run.endedAt !== null)
          record.lastSuccessAt = Math.max(record.lastSuccessAt ?? 0, run.endedAt)
      })
      .catch((cause) =>
        this.options.logger.error(`could not read run ${change.id} of another host`, cause),
      )
  }

  private record(name: string): HealthRecord {
    let record = this.records.get(name)
    if (!record) {
      record = {
        consecutiveFailures: 0,
        lastSuccessAt: null,
        lastRunAt: null,
        owedFire: undefined,
        overdue: null,
        pausedReason: null,
        resumesAt: null,
        resumeTimer: null,
        live: false,
        lastRun: null,
        confirming: false,
        counted: new Set(),
      }
      this.records.set(name, record)
    }
    return record
  }

  private started(run: Run): void {
    const record = this.record(run.task)
    record.live = true
    record.lastRunAt = run.startedAt
    // The fire this run answers is behind the schedule now: the next one is owed.
    record.owedFire = this.options.schedule(run.task)?.nextFireTime ?? null
  }

  private ended(run: Run): void {
    const record = this.record(run.task)
    if (run.status === 'missed') {
      this.alert('missed', run.task, run, run.error ?? 'a fire time was missed')
      return
    }
    if (run.startedAt === null) return // skipped, or cancelled while queued: not a run's result
    record.live = true
    record.lastRun = { ...run }
    if (run.status === 'succeeded') {
      const failures = record.consecutiveFailures
      const overdue = record.overdue
      record.consecutiveFailures = 0
      record.lastSuccessAt = run.endedAt
      record.overdue = null
      this.alert('succeeded', run.task, run, `run ${run.id} succeeded`)
      if (failures > 0 || overdue) {
        const after = [
          failures > 0 ? `${failures} failed run(s)` : '',
          overdue ? `being overdue (${overdue.reason})` : '',
        ].filter(Boolean)
        this.alert(
          'recovered',
          run.task,
          run,
          `run ${run.id} succeeded after ${after.join(' and ')}`,
        )
      }
      return
    }
    if (!FAILED.has(run.status)) return
    record.consecutiveFailures++
    const how = run.error ?? (run.exitCode !== null ? `exit code ${run.exitCode}` : run.status)
    this.alert('failed', run.task, run, `run ${run.id} ${run.status.replace('_', ' ')}: ${how}`)
    this.maybePause(run, record)
  }

  private maybePause(run: Run, record: HealthRecord): void {
    const task = this.options.task(run.task)
    const policy = task?.onFailure
    if (!task || !policy || record.consecutiveFailures < policy.pauseAfter) return
    const schedule = this.options.schedule(task.name)
    if (!schedule || schedule.paused) return
    // Explained first: the pause's own task:paused finds it explained.
    const failures = record.consecutiveFailures
    const reason = this.explainPause(task.name, record, policy, failures, Date.now())
    this.options.setPaused(task.name, true)
    this.options.logger.warn(`task "${task.name}" ${reason}`)
    this.alert('paused', task.name, run, reason)
  }

  /**
   * Records why `on_failure` paused the task, and resumes it `resume_after` after `pausedAt`.
   * Also for a pause this host did not make (another host's, a previous host's): the pause is
   * in the store and so is the streak of failures behind it, so every host and every restart
   * tells the same reason and resumes at the same time.
   */
  private explainPause(
    name: string,
    record: HealthRecord,
    policy: FailurePolicy,
    failures: number,
    pausedAt: number,
  ): string {
    const resume = policy.resumeAfterMs
    record.pausedReason =
      `paused after ${failures} consecutive failed runs (on_failure.pause_after: ${policy.pauseAfter}); ` +
      (resume === null
        ? 'resume it by hand'
        : `resumes by itself after ${formatDuration(resume)}, or resume it by hand`)
    this.clearResume(record)
    if (resume !== null) {
      record.resumesAt = pausedAt + resume
      record.resumeTimer = setTimeout(
        () => {
          record.resumeTimer = null
          try {
            if (!this.options.task(name) || !this.options.schedule(name)?.paused) return
            this.options.logger.info(`task "${name}" resumed after ${formatDuration(resume)}`)
            this.options.setPaused(name, false)
          } catch (cause) {
            this.options.logger.error(`task "${name}" could not be resumed`, cause)
          }
        },
        Math.max(0, record.resumesAt - Date.now()),
      )
      record.resumeTimer.unref()
    }
    return record.pausedReason
  }

  /**
   * A paused task whose failure streak reaches its `pause_after` was paused by `on_failure`
   * (at the end of the run that reached it): its reason and its cooldown, told again.
   */
  private explainStoredPause(name: string, record: HealthRecord, pausedAt: number): void {
    const policy = this.options.task(name)?.onFailure
    if (!policy || record.pausedReason || !this.options.schedule(name)?.paused) return
    if (record.consecutiveFailures < policy.pauseAfter) return
    this.explainPause(name, record, policy, policy.pauseAfter, pausedAt)
  }

  private pausedChanged(task: TaskDefinition, paused: boolean): void {
    // Paused by another host: the streak counted here says whether on_failure did it.
    if (paused) {
      this.explainStoredPause(task.name, this.record(task.name), Date.now())
      return
    }
    // Resumed (by hand or after the cooldown): the count starts again, and so does what is owed.
    const record = this.record(task.name)
    this.clearResume(record)
    record.consecutiveFailures = 0
    record.pausedReason = null
    record.owedFire = undefined
  }

  private changed(task: TaskDefinition): void {
    const record = this.records.get(task.name)
    if (!record) return
    // A new definition is a new schedule and perhaps a new expectation: owe from it, afresh.
    record.owedFire = undefined
    record.overdue = null
  }

  private removed(task: TaskDefinition): void {
    const record = this.records.get(task.name)
    if (record) this.clearResume(record)
    this.records.delete(task.name)
  }

  private clearResume(record: HealthRecord): void {
    if (record.resumeTimer) clearTimeout(record.resumeTimer)
    record.resumeTimer = null
    record.resumesAt = null
  }

  private alert(event: AlertEvent, task: string, run: Run | null, reason: string): void {
    const alert: TaskAlert = { event, task, run: run && { ...run }, reason, time: Date.now() }
    try {
      this.options.events.emit('task:alert', alert)
    } catch (cause) {
      this.options.logger.error(`a listener of task:alert failed (task "${task}")`, cause)
    }
  }

  /**
   * Reads each task's last runs from history, so that a restarted host knows its failure counts
   * and last successes. What a run event already told is newer and wins.
   */
  private async hydrate(): Promise<void> {
    for (const task of [...this.options.tasks()]) {
      if (!this.timer) return
      try {
        const { runs } = await this.options.store().listRuns({ task: task.name, limit: 50 })
        const record = this.record(task.name)
        if (record.live) continue
        // The ends of the streak's failed runs, newest first.
        const failed: number[] = []
        let streak = true
        for (const run of runs) {
          if (record.lastRunAt === null && run.startedAt !== null) record.lastRunAt = run.startedAt
          if (run.status === 'succeeded') {
            record.lastSuccessAt ??= run.endedAt
            streak = false
          } else if (streak && FAILED.has(run.status)) failed.push(run.endedAt ?? 0)
          if (!streak && record.lastRunAt !== null) break
        }
        record.consecutiveFailures = failed.length
        const pauseAfter = task.onFailure?.pauseAfter ?? 0
        if (pauseAfter > 0 && failed.length >= pauseAfter)
          this.explainStoredPause(task.name, record, failed[failed.length - pauseAfter] as number)
        if (record.lastSuccessAt === null && runs.length === 50) {
          const [last] = (
            await this.options.store().listRuns({
              task: task.name,
              status: ['succeeded'],
              limit: 1,
            })
          ).runs
          if (last && !record.live) record.lastSuccessAt = last.endedAt
        }
      } catch (cause) {
        this.options.logger.error(`could not read the history of task "${task.name}"`, cause)
      }
    }
  }
}

/** A listener that logs what it throws: an event's emitter is the executor, which must go on. */
function guard(logger: TasseLogger, listener: (...args: never[]) => void) {
  return (...args: never[]) => {
    try {
      listener(...args)
    } catch (cause) {
      logger.error('task health: a run event could not be followed', cause)
    }
  }
}
