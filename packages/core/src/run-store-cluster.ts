/**
 * What every `RunStore` shares for the calls that let several hosts share one schedule: the
 * checks of their arguments, the output cap cut on a character boundary, reading output from an
 * offset, and the words recorded on runs taken over from a dead host. Each store keeps only its
 * storage; the rules are written once, here.
 */
import { TasseError } from './errors.js'
import {
  type AdmissionWrites,
  FINAL_RUN_STATUSES,
  type HostRecord,
  type HostRegistration,
  type OutputChunk,
  type OutputPage,
  RUN_STATUSES,
  type Run,
  type RunPatch,
  type RunStatus,
} from './types.js'

/** The states of a run that is not over: what admission counts and recovery takes over. */
export const UNFINISHED_RUN_STATUSES: readonly RunStatus[] = RUN_STATUSES.filter(
  (status) => !FINAL_RUN_STATUSES.has(status),
)

/**
 * Output a store keeps per run, unless told otherwise: enough for the tail of a long job or a
 * whole report, small enough that 1,000 runs of a task stay under a gigabyte. The complete
 * output stays in `log.txt` on the host that ran the run.
 */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024

/** Chunks `readOutput` answers at most when not told. */
export const DEFAULT_OUTPUT_PAGE_CHUNKS = 1000

const STREAMS = new Set<string>(['stdout', 'stderr', 'tasse'])

/** Whether `patch` would move a run whose status is `current` out of a final state. */
export function changesFinalStatus(current: RunStatus, patch: RunPatch): boolean {
  return FINAL_RUN_STATUSES.has(current) && patch.status !== undefined && patch.status !== current
}

/** The rejection of `updateRun` for a patch that `changesFinalStatus`. */
export function finalStatusError(id: string, current: RunStatus, patch: RunPatch, store: string) {
  return new TasseError(
    'store',
    `run "${id}" is already ${current} and stays so (a final state is kept): not recording it ${patch.status}`,
    { tag: store },
  )
}

/** The `error` of a run taken over from a host that stopped heartbeating (or was never known). */
export function takenOverError(host: HostRecord | null, leaseMs: number): string {
  return host
    ? `its host ${host.name} (pid ${host.pid}) stopped: no heartbeat for ${Math.round(leaseMs / 1000)}s`
    : 'its host is no longer registered'
}

/** A host's registration, checked. */
export function checkHostRegistration(host: HostRegistration, store: string): HostRegistration {
  const problem =
    typeof host?.id !== 'string' || host.id === ''
      ? `id must be a non-empty string, got ${JSON.stringify(host?.id)}`
      : typeof host.name !== 'string'
        ? `name must be a string, got ${JSON.stringify(host.name)}`
        : !Number.isInteger(host.pid) || host.pid < 0
          ? `pid must be a whole number, got ${JSON.stringify(host.pid)}`
          : host.url !== null && typeof host.url !== 'string'
            ? `url must be a string or null, got ${JSON.stringify(host.url)}`
            : null
  if (problem) throw new TasseError('invalid_argument', `registerHost: ${problem}`, { tag: store })
  return host
}

/** `leaseMs` of `expireHosts`, checked. */
export function checkLease(leaseMs: number, store: string): number {
  if (!(Number.isFinite(leaseMs) && leaseMs >= 0))
    throw new TasseError(
      'invalid_argument',
      `expireHosts: leaseMs must be a number of milliseconds ≥ 0, got ${leaseMs}`,
      { tag: store },
    )
  return leaseMs
}

/** The arguments of `claimFire`, checked; resolves the attempt (1 unless given). */
export function checkClaim(
  task: string,
  scheduledAt: number,
  by: { hostId: string; attempt?: number },
  store: string,
  call = 'claimFire',
): number {
  const attempt = by?.attempt ?? 1
  const problem =
    typeof task !== 'string' || task === ''
      ? `task must be a task name, got ${JSON.stringify(task)}`
      : !Number.isSafeInteger(scheduledAt)
        ? `scheduledAt must be whole microseconds since the epoch, got ${scheduledAt}`
        : typeof by?.hostId !== 'string' || by.hostId === ''
          ? `hostId must be a non-empty string, got ${JSON.stringify(by?.hostId)}`
          : !Number.isInteger(attempt) || attempt < 1
            ? `attempt must be a whole number ≥ 1, got ${attempt}`
            : null
  if (problem) throw new TasseError('invalid_argument', `${call}: ${problem}`, { tag: store })
  return attempt
}

/**
 * Checks what an admission decision returned against the active runs it was given: a new run
 * of that task, not already recorded, and changes only to those active runs.
 */
export function checkAdmissionWrites(
  task: string,
  active: readonly Run[],
  writes: AdmissionWrites,
  store: string,
): void {
  const fail = (problem: string) => {
    throw new TasseError('invalid_argument', `admitRun(${JSON.stringify(task)}): ${problem}`, {
      tag: store,
    })
  }
  if (writes === null || typeof writes !== 'object')
    fail(`the decision must return an object, got ${String(writes)}`)
  const ids = new Set(active.map((run) => run.id))
  if (writes.insert) {
    if (writes.insert.task !== task)
      fail(`the run to insert is of task ${JSON.stringify(writes.insert.task)}`)
    if (ids.has(writes.insert.id)) fail(`run ${writes.insert.id} is already recorded`)
  }
  for (const { id } of writes.update ?? [])
    if (!ids.has(id)) fail(`cannot update run ${id}: it is not an active run of the task`)
  for (const { runId } of writes.cancel ?? [])
    if (!ids.has(runId)) fail(`cannot cancel run ${runId}: it is not an active run of the task`)
}

/** A chunk of output, checked. */
export function checkOutputChunk(runId: string, chunk: OutputChunk, store: string): OutputChunk {
  const problem =
    !Number.isSafeInteger(chunk?.offset) || chunk.offset < 0
      ? `offset must be a whole number of bytes ≥ 0, got ${chunk?.offset}`
      : !STREAMS.has(chunk.stream)
        ? `stream must be stdout, stderr or tasse, got ${JSON.stringify(chunk.stream)}`
        : !Number.isFinite(chunk.time)
          ? `time must be epoch ms, got ${chunk.time}`
          : typeof chunk.text !== 'string'
            ? `text must be a string, got ${typeof chunk.text}`
            : null
  if (problem)
    throw new TasseError('invalid_argument', `appendOutput(${runId}): ${problem}`, { tag: store })
  return chunk
}

/** `from` and `limit` of `readOutput`, checked, with their defaults. */
export function checkOutputRead(
  options: { from?: number; limit?: number } | undefined,
  store: string,
): { from: number; limit: number } {
  const from = options?.from ?? 0
  const limit = options?.limit ?? DEFAULT_OUTPUT_PAGE_CHUNKS
  if (!Number.isSafeInteger(from) || from < 0)
    throw new TasseError(
      'invalid_argument',
      `readOutput: from must be a byte offset ≥ 0, got ${from}`,
      { tag: store },
    )
  if (!Number.isInteger(limit) || limit < 1)
    throw new TasseError(
      'invalid_argument',
      `readOutput: limit must be a whole number ≥ 1, got ${limit}`,
      { tag: store },
    )
  return { from, limit }
}

/** `maxOutputBytes` of a store's options, checked, or the default. */
export function checkOutputCap(maxOutputBytes: number | undefined, store: string): number {
  const cap = maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES
  if (!Number.isSafeInteger(cap) || cap < 0)
    throw new TasseError(
      'invalid_argument',
      `maxOutputBytes must be a whole number of bytes ≥ 0, got ${cap}`,
      { tag: store },
    )
  return cap
}

/**
 * What of `chunk` a store keeps under a cap of `cap` bytes per run: all of it, the part before
 * the cap (cut where a character starts), or nothing.
 */
export function capChunk(
  chunk: OutputChunk,
  cap: number,
): { text: string; bytes: number; truncated: boolean } {
  const bytes = Buffer.byteLength(chunk.text)
  if (chunk.offset + bytes <= cap) return { text: chunk.text, bytes, truncated: false }
  const room = Math.max(0, cap - chunk.offset)
  const text = utf8Prefix(chunk.text, room)
  return { text, bytes: Buffer.byteLength(text), truncated: true }
}

/**
 * A page of output from stored chunks in offset order, each with its size in bytes (at least
 * `limit + 1` of those ending after `from`, when there are that many, so that the page knows
 * whether more follow): the first cut to start at `from`, on a character boundary. Empty chunks
 * (the marks a store leaves where its cap cut the output) are skipped.
 */
export function outputPage(
  stored: readonly (OutputChunk & { bytes: number })[],
  from: number,
  limit: number,
  truncated: boolean,
): OutputPage {
  const chunks: OutputChunk[] = []
  let next = from
  let more = false
  for (const chunk of stored) {
    const end = chunk.offset + chunk.bytes
    if (end <= from || chunk.bytes === 0) continue
    if (chunks.length === limit) {
      more = true
      break
    }
    const text = from > chunk.offset ? utf8Suffix(chunk.text, from - chunk.offset) : chunk.text
    chunks.push({
      offset: end - Buffer.byteLength(text),
      stream: chunk.stream,
      time: chunk.time,
      text,
    })
    next = end
  }
  // Only a reader that has everything stored needs to know that the rest was cut.
  return { chunks, next, truncated: truncated && !more }
}

/** The longest start of `text` that is at most `bytes` bytes of UTF-8, whole characters only. */
function utf8Prefix(text: string, bytes: number): string {
  const buffer = Buffer.from(text)
  let end = Math.min(bytes, buffer.length)
  while (end > 0 && end < buffer.length && ((buffer[end] as number) & 0xc0) === 0x80) end--
  return buffer.subarray(0, end).toString('utf8')
}

/** `text` without its first `bytes` bytes of UTF-8, starting at the next whole character. */
function utf8Suffix(text: string, bytes: number): string {
  const buffer = Buffer.from(text)
  let start = Math.min(bytes, buffer.length)
  while (start < buffer.length && ((buffer[start] as number) & 0xc0) === 0x80) start++
  return buffer.subarray(start).toString('utf8')
}
