/** Following a run's output to its end, for `trigger --follow` and `logs --follow`. */
import type { RunView } from '../api/views.js'
import type { TasseClient } from '../client.js'
import { printJson } from './shared.js'

/**
 * Prints the run's output as it comes (as text, or as `{"event":"output","text"}` lines), then
 * how it ended (`{"event":"end","run"}` with `json`). Resolves with the run, or `null` when
 * Ctrl-C stopped the following (the run itself goes on).
 */
export async function followRun(
  client: TasseClient,
  id: string,
  options: { json: boolean },
): Promise<RunView | null> {
  const controller = new AbortController()
  const stop = () => controller.abort()
  process.once('SIGINT', stop)
  try {
    const ended = await client.followLogs(
      id,
      (text) => (options.json ? printJson({ event: 'output', text }) : process.stdout.write(text)),
      controller.signal,
    )
    if (options.json) printJson({ event: 'end', run: ended })
    else
      console.error(
        `[tasse] run ${ended.id} ${ended.status}${ended.error ? `: ${ended.error}` : ''}`,
      )
    return ended
  } catch (cause) {
    if (controller.signal.aborted) return null
    throw cause
  } finally {
    process.off('SIGINT', stop)
  }
}
