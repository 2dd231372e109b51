/**
 * Reading a run's own output file (`logs/<name>/runs/<id>.log`): all of it, a range of it as a
 * stream, or followed as it is written until the run ends. Following reads the file, not an
 * in-memory copy, so it starts with what was already written and costs nothing while nobody
 * follows.
 */
import { type FileHandle, open, readFile, unlink } from 'node:fs/promises'
import type { TasseEvents } from './events.js'
import { runLogPath } from './file-log-sink.js'
import { isValidTaskName } from './task-loader.js'
import type { Run, TasseLogger } from './types.js'

/** How much of a run log is read at a time when it is streamed. */
const STREAM_CHUNK_BYTES = 64 * 1024

/** A run log opened for reading: its size, and its bytes as a stream. */
export interface RunLogReader {
  /** Bytes in the file when it was opened; a running task's log grows, later bytes are not read. */
  readonly size: number
  /**
   * Bytes `start` to `end` (inclusive; the whole file by default) as a stream that reads a
   * chunk only when its consumer asks for one, so memory stays flat however large the file and
   * however slow the client. The file is closed when the stream ends or is cancelled.
   */
  stream(range?: { start: number; end: number }): ReadableStream<Uint8Array>
  /** Closes the file without streaming it. */
  close(): Promise<void>
}

/**
 * Opens a run log for streaming; a file not yet written reads as empty.
 *
 * @example
 * const log = await openRunLog('data/logs/report/runs/01m8g4dva07sk09q.log')
 * const firstKiB = new Response(log.stream({ start: 0, end: Math.min(log.size, 1024) - 1 }))
 */
export async function openRunLog(path: string): Promise<RunLogReader> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause
    return {
      size: 0,
      stream: () => new ReadableStream({ start: (controller) => controller.close() }),
      close: async () => {},
    }
  }
  let size: number
  try {
    size = (await handle.stat()).size
  } catch (cause) {
    await handle.close()
    throw cause
  }
  let closed: Promise<void> | null = null
  const close = () => {
    closed ??= handle.close()
    return closed
  }
  return {
    size,
    close,
    stream(range = { start: 0, end: size - 1 }) {
      let position = range.start
      return new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            const wanted = Math.min(STREAM_CHUNK_BYTES, range.end + 1 - position)
            let bytesRead = 0
            try {
              if (wanted > 0) {
                const chunk = Buffer.alloc(wanted)
                bytesRead = (await handle.read(chunk, 0, wanted, position)).bytesRead
                if (bytesRead > 0) controller.enqueue(chunk.subarray(0, bytesRead))
              }
            } catch (cause) {
              await close()
              throw cause
            }
            position += bytesRead
            if (bytesRead === 0 || position > range.end) {
              await close()
              controller.close()
            }
          },
          cancel: () => close(),
        },
        // Nothing read ahead: a chunk is read when the consumer asks for it.
        { highWaterMark: 0 },
      )
    },
  }
}

/**
 * Deletes the own log files (`logs/<task>/runs/<id>.log`) of runs that left the history. Runs
 * whose task or id could not have named a file here are passed over: the list comes from a
 * store, which another process may share.
 */
export async function removeRunLogs(
  logsDir: string,
  runs: readonly Pick<Run, 'id' | 'task'>[],
  logger: TasseLogger,
): Promise<void> {
  let failures = 0
  let firstFailure: unknown
  for (const run of runs) {
    if (!isValidTaskName(run.task) || !/^[0-9a-z]+$/.test(run.id)) continue
    try {
      await unlink(runLogPath(logsDir, run.task, run.id))
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') continue // skipped, missed: none
      failures++
      firstFailure ??= cause
    }
  }
  if (failures)
    logger.error(`could not delete ${failures} log file(s) of pruned runs`, firstFailure)
}

/** The output so far; empty when the run has written nothing (or not started). */
export async function readRunLog(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw cause
  }
}

/**
 * Wakes the followers of runs when a run writes output or ends. One pair of listeners on the
 * events serves every follower: a listener each would set off Node's "possible memory leak"
 * warning past ten followers, and cost every output batch a call per follower of any run.
 */
export class RunLogFollowers {
  private readonly waiting = new Map<string, Set<() => void>>()
  private listening = false

  constructor(private readonly events: TasseEvents) {}

  /** Calls `wake` whenever run `runId` writes or ends, until the returned function is called. */
  subscribe(runId: string, wake: () => void): () => void {
    let wakes = this.waiting.get(runId)
    if (!wakes) {
      wakes = new Set()
      this.waiting.set(runId, wakes)
    }
    wakes.add(wake)
    if (!this.listening) {
      this.listening = true
      this.events.on('run:output', this.poke)
      this.events.on('run:ended', this.poke)
    }
    return () => {
      wakes.delete(wake)
      if (wakes.size === 0) this.waiting.delete(runId)
      if (this.waiting.size === 0 && this.listening) {
        this.listening = false
        this.events.off('run:output', this.poke)
        this.events.off('run:ended', this.poke)
      }
    }
  }

  private readonly poke = (run: { id: string }): void => {
    const wakes = this.waiting.get(run.id)
    if (wakes) for (const wake of wakes) wake()
  }
}

export interface FollowRunLogOptions {
  path: string
  /** Subscribes a function to be called when the run writes or ends; returns the unsubscribe. */
  subscribe: (wake: () => void) => () => void
  /** Whether the run has ended (then the rest of the file is read and following stops). */
  ended: () => Promise<boolean>
  signal?: AbortSignal
  /** How often to look at the file when no event says it grew. @default 250 ms */
  pollMs?: number
}

/** Yields the file's text in chunks as it grows, from the start, until the run ends. */
export async function* followRunLog(options: FollowRunLogOptions): AsyncGenerator<string> {
  let offset = 0
  let wake: (() => void) | null = null
  const unsubscribe = options.subscribe(() => wake?.())
  const aborted = () => wake?.()
  options.signal?.addEventListener('abort', aborted)
  try {
    for (;;) {
      const finished = await options.ended()
      const chunk = await readFrom(options.path, offset)
      if (chunk.length) {
        offset += chunk.length
        yield chunk.toString('utf8')
        continue
      }
      if (finished || options.signal?.aborted) return
      await new Promise<void>((resolve) => {
        wake = resolve
        setTimeout(resolve, options.pollMs ?? 250)
      })
      wake = null
    }
  } finally {
    unsubscribe()
    options.signal?.removeEventListener('abort', aborted)
  }
}

/** What the file holds past `offset` (complete UTF-8 characters only), or nothing. */
async function readFrom(path: string, offset: number): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, 'r')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0)
    throw cause
  }
  try {
    const { size } = await handle.stat()
    if (size <= offset) return Buffer.alloc(0)
    const buffer = Buffer.alloc(Math.min(size - offset, 1 << 20))
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset)
    return buffer.subarray(0, completeUtf8Length(buffer, bytesRead))
  } finally {
    await handle.close()
  }
}

/** How many of the first `length` bytes end on a character boundary (a cut sequence is left). */
function completeUtf8Length(buffer: Buffer, length: number): number {
  let lead = length - 1
  while (lead >= 0 && lead > length - 4 && ((buffer[lead] as number) & 0xc0) === 0x80) lead--
  if (lead < 0) return length
  const byte = buffer[lead] as number
  const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
  return lead + size > length ? lead : length
}
