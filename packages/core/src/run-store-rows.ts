/**
 * The columns of a run store on a SQL database, and the mapping between rows and core's types,
 * shared by the SQLite and PostgreSQL stores (same column names; each database returns `params`
 * and booleans in its own way, both read here).
 */
import type { CancelRequest, HostRecord, OutputChunk, Run, TaskState } from './types.js'

/** Each patchable field of a run and its column (`id` and `task` are the first two columns). */
export const RUN_COLUMNS = {
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
  peakMemoryBytes: 'peak_memory_bytes',
  cpuUserSeconds: 'cpu_user_seconds',
  cpuSystemSeconds: 'cpu_system_seconds',
  outputBytes: 'output_bytes',
} as const satisfies Record<Exclude<keyof Run, 'id' | 'task'>, string>

export interface RunRow {
  id: string
  task: string
  reason: Run['reason']
  /** JSON text (SQLite) or the parsed object (PostgreSQL's jsonb). */
  params: string | Record<string, string>
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
  /** Bytes as a number (SQLite) or PostgreSQL's bigint as text (read back with `Number`). */
  peak_memory_bytes: number | string | null
  cpu_user_seconds: number | null
  cpu_system_seconds: number | null
  output_bytes: number | string | null
}

export interface TaskStateRow {
  task: string
  last_fire_time: number | null
  next_fire_time: number | null
  /** 0/1 (SQLite) or a boolean. */
  paused: boolean | 0 | 1
}

export interface HostRow {
  id: string
  name: string
  pid: number
  url: string | null
  started_at: number
  heartbeat_at: number
}

export function runFromRow(row: RunRow): Run {
  return {
    id: row.id,
    task: row.task,
    reason: row.reason,
    params: typeof row.params === 'string' ? JSON.parse(row.params) : row.params,
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
    peakMemoryBytes: numberOrNull(row.peak_memory_bytes),
    cpuUserSeconds: numberOrNull(row.cpu_user_seconds),
    cpuSystemSeconds: numberOrNull(row.cpu_system_seconds),
    outputBytes: numberOrNull(row.output_bytes),
  }
}

/** A column that a row of an older schema lacks (`undefined`) or a database gives as text. */
function numberOrNull(value: number | string | null | undefined): number | null {
  return value === null || value === undefined ? null : Number(value)
}

/** A run's values in the order of `INSERT INTO runs (id, task, <RUN_COLUMNS>…)`, params as JSON. */
export function runRowValues(run: Run): unknown[] {
  return [
    run.id,
    run.task,
    ...Object.keys(RUN_COLUMNS).map((field) =>
      field === 'params' ? JSON.stringify(run.params) : run[field as keyof typeof RUN_COLUMNS],
    ),
  ]
}

export function taskStateFromRow(row: TaskStateRow): TaskState {
  return {
    task: row.task,
    lastFireTime: row.last_fire_time,
    nextFireTime: row.next_fire_time,
    paused: row.paused === true || row.paused === 1,
  }
}

export function hostFromRow(row: HostRow): HostRecord {
  return {
    id: row.id,
    name: row.name,
    pid: row.pid,
    url: row.url,
    startedAt: row.started_at,
    heartbeatAt: row.heartbeat_at,
  }
}

export interface CancelRequestRow {
  run_id: string
  task: string
  host_id: string | null
  reason: string
  requested_by: string | null
  requested_at: number
}

/** The query of `cancelRequests`, for a store whose `$host` placeholder is the host's id. */
export function cancelRequestsQuery(host: string, unfinished: string): string {
  return `SELECT c.run_id, r.task, r.host_id, c.reason, c.requested_by, c.requested_at
    FROM cancel_requests c JOIN runs r ON r.id = c.run_id
    WHERE r.host_id IS NOT DISTINCT FROM ${host} AND r.status IN ${unfinished}
    ORDER BY c.requested_at, c.run_id`
}

export function cancelRequestFromRow(row: CancelRequestRow): CancelRequest {
  return {
    runId: row.run_id,
    task: row.task,
    hostId: row.host_id,
    reason: row.reason,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
  }
}

export interface OutputRow {
  byte_offset: number
  stream: OutputChunk['stream']
  time: number
  text: string
  bytes: number
}

export function outputChunkFromRow(row: OutputRow): OutputChunk & { bytes: number } {
  return {
    offset: row.byte_offset,
    stream: row.stream,
    time: row.time,
    text: row.text,
    bytes: row.bytes,
  }
}
