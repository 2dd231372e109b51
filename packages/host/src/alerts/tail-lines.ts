/** The last lines of a run's output, read from the end of its file (never the whole of it). */
import type { Tasse } from '@tasse/core'
import { OUTPUT_LINES } from './payloads.js'

/** Bytes read from the end of a run's output: enough for `OUTPUT_LINES` lines of most tasks. */
const TAIL_BYTES = 8 * 1024

/**
 * The last `count` lines of run `runId`'s output, each as its log shows it; `[]` when it has none
 * or it cannot be read (an alert goes out without them rather than not at all).
 *
 * @example
 * await tailLines(tasse, run.id) // ['12:00:01 | stderr | Traceback …', …]
 */
export async function tailLines(
  tasse: Pick<Tasse, 'openRunLog'>,
  runId: string,
  count = OUTPUT_LINES,
): Promise<string[]> {
  try {
    const log = await tasse.openRunLog(runId)
    if (log.size === 0) {
      await log.close()
      return []
    }
    const start = Math.max(0, log.size - TAIL_BYTES)
    const text = await new Response(log.stream({ start, end: log.size - 1 })).text()
    const lines = text.split('\n')
    if (start > 0) lines.shift() // cut in the middle of a line
    if (lines.at(-1) === '') lines.pop()
    return lines.slice(-count)
  } catch {
    return []
  }
}
