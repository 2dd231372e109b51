/**
 * Reading a run's own output file (`logs/<name>/runs/<id>.log`): all of it, or followed as it
 * is written until the run ends. Following reads the file, not an in-memory copy, so it starts
 * with what was already written and costs nothing while nobody follows.
 */
import { open, readFile } from 'node:fs/promises'
import type { TasseEvents } from './events.js'

/** The output so far; empty when the run has written nothing (or not started). */
export async function readRunLog(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return ''
    throw cause
  }
}

export interface FollowRunLogOptions {
  path: string
  runId: string
  events: TasseEvents
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
  const poke = (run: { id: string }) => {
    if (run.id === options.runId) wake?.()
  }
  options.events.on('run:output', poke)
  options.events.on('run:ended', poke)
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
    options.events.off('run:output', poke)
    options.events.off('run:ended', poke)
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
