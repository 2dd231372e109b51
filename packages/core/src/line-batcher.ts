/**
 * A task's output as batches of lines. `splitLines` is the pure rule (complete lines out, the
 * incomplete rest kept, an endless line cut); `readLines` applies it to a stream: what arrives
 * within one turn of the event loop is delivered as one batch, since a task that writes line by
 * line (Python with PYTHONUNBUFFERED, `echo` in a loop) would otherwise cost the sinks a write
 * and a pause per line.
 */
import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'

/** Output gathered before it is handed on without waiting for the next loop turn. */
export const BATCH_CHARS = 32 * 1024
/** A longer line without a newline is delivered in pieces of this size, so memory stays bounded. */
export const MAX_LINE_CHARS = 1024 * 1024

/**
 * The complete lines of `text` and the incomplete rest. Once the stream is `closed`, the rest
 * is a last line of its own (a final newline makes no empty line). A rest longer than
 * `maxLineChars` is cut off as a line.
 *
 * @example
 * splitLines('a\nb\nc', false) // { lines: ['a', 'b'], rest: 'c' }
 * splitLines('a\nb\nc', true)  // { lines: ['a', 'b', 'c'], rest: '' }
 */
export function splitLines(
  text: string,
  closed: boolean,
  maxLineChars = MAX_LINE_CHARS,
): { lines: string[]; rest: string } {
  const lines = text.split('\n')
  let rest = lines.pop() as string
  if (closed) {
    if (rest !== '') lines.push(rest)
    rest = ''
  } else if (rest.length > maxLineChars) {
    lines.push(rest)
    rest = ''
  }
  return { lines, rest }
}

/**
 * Reads `stream` as UTF-8 lines into `deliver`, a batch per loop turn (sooner past
 * `BATCH_CHARS`). When `deliver` returns a promise the stream is paused until it settles:
 * backpressure from the sinks reaches the task. Resolves once the stream has closed and its last
 * batch is handed over.
 */
export function readLines(
  stream: Readable,
  deliver: (lines: string[]) => Promise<void> | undefined,
): Promise<void> {
  return new Promise((resolve) => {
    const decoder = new StringDecoder('utf8')
    let text = '' // read, not yet delivered
    let scheduled = false
    let closed = false
    const flush = () => {
      scheduled = false
      const split = splitLines(text, closed)
      text = split.rest
      if (split.lines.length) {
        const pending = deliver(split.lines)
        if (pending && !closed) {
          stream.pause()
          void pending.then(() => stream.resume())
        }
      }
      if (closed) resolve()
    }
    stream.on('data', (chunk: Buffer) => {
      text += decoder.write(chunk)
      if (text.length >= BATCH_CHARS) flush()
      else if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    })
    stream.once('close', () => {
      text += decoder.end()
      closed = true
      flush()
    })
  })
}
