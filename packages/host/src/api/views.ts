/**
 * Core's objects as the API shows them: times as ISO-8601 text in one format (milliseconds and
 * a numeric offset: run times in UTC, fire times in their trigger's zone), links to follow, and
 * a task with its schedule, its next fire times and its last run.
 */
import { join, relative } from 'node:path'
import type { z } from '@hono/zod-openapi'
import type { Run, TaskHealthView, TaskInfo, Tasse } from '@tasse/core'
import { formatFireTime, formatUtc, taskFireTimes } from '../fire-times.js'
import type { RunSchema, TaskHealthSchema, TaskSchema } from './schemas.js'

export type RunView = z.infer<typeof RunSchema>
export type TaskView = z.infer<typeof TaskSchema>
export type TaskHealthJson = z.infer<typeof TaskHealthSchema>

/**
 * What a task's view reads besides the task: a `Tasse`, or a data folder's history alone (which
 * knows no health).
 */
export type TaskViewSource = Pick<Tasse, 'dataDir' | 'tasksDir' | 'listRuns' | 'activeRuns'> &
  Partial<Pick<Tasse, 'health'>>

/**
 * A task's health as the API shows it: `overdue` first, then `failing` (its last run failed).
 *
 * @example
 * healthView(tasse.health('backup')).status // 'ok'
 */
export function healthView(health: TaskHealthView): TaskHealthJson {
  const iso = (ms: number | null) => (ms === null ? null : formatUtc(ms))
  return {
    status: health.overdue ? 'overdue' : health.consecutiveFailures > 0 ? 'failing' : 'ok',
    overdue: health.overdue
      ? { reason: health.overdue.reason, since: formatUtc(health.overdue.since) }
      : null,
    consecutiveFailures: health.consecutiveFailures,
    lastSuccessAt: iso(health.lastSuccessAt),
    lastRunAt: iso(health.lastRunAt),
    pausedReason: health.pausedReason,
    resumesAt: iso(health.resumesAt),
  }
}

/** How many next fire times a task shows unless asked. */
export const DEFAULT_NEXT_COUNT = 3

export function runView(run: Run): RunView {
  const iso = (ms: number | null) => (ms === null ? null : formatUtc(ms))
  return {
    id: run.id,
    task: run.task,
    reason: run.reason,
    status: run.status,
    params: { ...run.params },
    scheduledAt: run.scheduledAt === null ? null : iso(Math.floor(run.scheduledAt / 1000)),
    queuedAt: formatUtc(run.queuedAt),
    startedAt: iso(run.startedAt),
    endedAt: iso(run.endedAt),
    durationMs: run.startedAt !== null && run.endedAt !== null ? run.endedAt - run.startedAt : null,
    exitCode: run.exitCode,
    signal: run.signal,
    attempt: run.attempt,
    retryOf: run.retryOf,
    error: run.error,
    hostId: run.hostId,
    peakMemoryBytes: run.peakMemoryBytes,
    cpuUserSeconds: run.cpuUserSeconds,
    cpuSystemSeconds: run.cpuSystemSeconds,
    outputBytes: run.outputBytes,
    links: { self: `/api/v1/runs/${run.id}`, logs: `/api/v1/runs/${run.id}/logs` },
  }
}

/**
 * A task with its next `next` fire times (none while paused) and its last run.
 *
 * @example
 * await taskView(tasse, tasse.taskInfo('helloworld')!, { next: 3 })
 */
export async function taskView(
  tasse: TaskViewSource,
  info: TaskInfo,
  options: { next?: number; now?: number } = {},
): Promise<TaskView> {
  const { task, schedule } = info
  const trigger = task?.trigger ?? null
  const nextFireTimes = taskFireTimes(info, {
    count: options.next ?? DEFAULT_NEXT_COUNT,
    ...(options.now !== undefined ? { now: options.now * 1000 } : {}),
  }).map((time) => time.iso)
  const [lastRun] = (await tasse.listRuns({ task: info.name, limit: 1 })).runs
  return {
    name: info.name,
    state: info.state,
    error: info.error,
    file: relative(tasse.dataDir, join(tasse.tasksDir, info.name, 'task.yaml')),
    description: typeof task?.raw.description === 'string' ? task.raw.description : null,
    entrypoint: task?.entrypoint ?? null,
    trigger: trigger
      ? { type: trigger.type, description: trigger.describe(), timezone: trigger.timezone }
      : null,
    nextFireTimes,
    lastFireTime:
      trigger && schedule?.lastFireTime != null
        ? formatFireTime(trigger, schedule.lastFireTime)
        : null,
    overlap: task?.overlap ?? null,
    timeoutMs: task?.timeoutMs ?? null,
    params: (task?.params ?? []).map((param) => ({
      name: param.name,
      description: param.description ?? null,
      required: param.required,
      default: param.default ?? null,
      pattern: param.pattern ?? null,
      enum: param.enum ? [...param.enum] : null,
    })),
    activeRuns: tasse.activeRuns(info.name).length,
    lastRun: lastRun ? runView(lastRun) : null,
    health: tasse.health && task ? healthView(tasse.health(info.name)) : null,
  }
}
