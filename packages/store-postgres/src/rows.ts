/** Rows as `pg` returns them (bigint columns parsed to numbers) and their mapping to core's types. */
import type { HostRecord, Run, TaskState } from '@tasse/core'

/** Each patchable field of a run and its column. */
export const COLUMNS = {
  reason: 'reason',
  params: 'params',
  scheduledAt: 'scheduled_at',
  queuedAt: 'queued_at',
  startedAt: 'started_at',
  endedAt: 'ended_at',
  status: 'status',
  exitCode: 'exit_code',
  signal: 'signal',
  attempt: 'attempt',
  retryOf: 'retry_of',
  error: 'error',
  pid: 'pid',
  pidStartedAt: 'pid_started_at',
  hostId: 'host_id',
} as const satisfies Record<Exclude<keyof Run, 'id' | 'task'>, string>

export interface RunRow {
  id: string
  task: string
  reason: Run['reason']
  params: Record<string, string>
  scheduled_at: number | null
  queued_at: number
  started_at: number | null
  ended_at: number | null
  status: Run['status']
  exit_code: number | null
  signal: string | null
  attempt: number
  retry_of: string | null
  error: string | null
  pid: number | null
  pid_started_at: number | null
  host_id: string | null
}

export interface TaskStateRow {
  task: string
  last_fire_time: number | null
  next_fire_time: number | null
  paused: boolean
}

export interface HostRow {
  id: string
  name: string
  pid: number
  url: string | null
  started_at: number
  heartbeat_at: number
}

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    task: row.task,
    reason: row.reason,
    params: row.params,
    scheduledAt: row.scheduled_at,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    status: row.status,
    exitCode: row.exit_code,
    signal: row.signal,
    attempt: row.attempt,
    retryOf: row.retry_of,
    error: row.error,
    pid: row.pid,
    pidStartedAt: row.pid_started_at,
    hostId: row.host_id,
  }
}

/** A run's values in the order of `INSERT INTO runs (id, task, <COLUMNS>…)`. */
export function runValues(run: Run): unknown[] {
  return [
    run.id,
    run.task,
    ...Object.keys(COLUMNS).map((field) =>
      field === 'params' ? JSON.stringify(run.params) : run[field as keyof typeof COLUMNS],
    ),
  ]
}

export function toTaskState(row: TaskStateRow): TaskState {
  return {
    task: row.task,
    lastFireTime: row.last_fire_time,
    nextFireTime: row.next_fire_time,
    paused: row.paused,
  }
}

export function toHost(row: HostRow): HostRecord {
  return {
    id: row.id,
    name: row.name,
    pid: row.pid,
    url: row.url,
    startedAt: row.started_at,
    heartbeatAt: row.heartbeat_at,
  }
}
