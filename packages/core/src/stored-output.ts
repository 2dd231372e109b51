/**
 * A run's output as the run store keeps it (`readOutput`): how a host reads and follows a run
 * that another host executes, whose own log file is on that host's machine.
 */
import type { RunLogReader } from './run-log.js'
import type { RunStore } from './types.js'

/** How often a follower asks the store for more while the run goes on. */
const FOLLOW_POLL_MS = 250

/** The output the store holds for `runId` from byte `from` on, whole. */
export async function readStoredOutput(store: RunStore, runId: string, from = 0): Promise<string> {
  let text = ''
  for (let offset = from; ; ) {
    const page = await store.readOutput(runId, { from: offset })
    for (const chunk of page.chunks) text += chunk.text
    if (page.chunks.length === 0 || page.next === offset) return text
    offset = page.next
  }
}

/** The stored output as a `RunLogReader` (it is at most the store's cap: it fits in memory). */
export async function openStoredOutput(store: RunStore, runId: string): Promise<RunLogReader> {
  const bytes = Buffer.from(await readStoredOutput(store, runId))
  return {
    size: bytes.length,
    close: async () => {},
    stream(range = { start: 0, end: bytes.length - 1 }) {
      const part = bytes.subarray(range.start, range.end + 1)
      return new ReadableStream<Uint8Array>({
        start(controller) {
          if (part.length) controller.enqueue(new Uint8Array(part))
          controller.close()
        },
      })
    },
  }
}

/** Yields the stored output as it grows, from the start, until the run ends (`ended`). */
export async function* followStoredOutput(
  store: RunStore,
  runId: string,
  ended: () => Promise<boolean>,
  signal?: AbortSignal,
): AsyncGenerator<string> {
  let offset = 0
  for (;;) {
    // Asked before reading: output written before the run ended is read in this turn.
    const finished = await ended()
    const page = await store.readOutput(runId, { from: offset })
    const text = page.chunks.map((chunk) => chunk.text).join('')
    if (page.next > offset) {
      offset = page.next
      if (text) yield text
      continue
    }
    if (finished || signal?.aborted) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, FOLLOW_POLL_MS)
      signal?.addEventListener('abort', done, { once: true })
      function done() {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
    })
  }
}
