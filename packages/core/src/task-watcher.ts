/**
 * Watches the tasks folder so that tasks appear, change and disappear while the host runs. Events
 * are gathered for a moment (an editor writes a file in several steps) and then trigger one
 * rescan; the periodic rescan stays as the safety net for what a watcher can miss (network file
 * systems, a folder replaced as a whole, the inotify watch limit).
 */
import { type FSWatcher, watch } from 'node:fs'
import type { TasseLogger } from './types.js'

/** How long after the last file event the folder is read again. */
export const WATCH_DEBOUNCE_MS = 150

/** Starts watching `dir`; returns a function that stops it (a no-op when watching failed). */
export function watchTasks(dir: string, onChange: () => void, logger: TasseLogger): () => void {
  let timer: NodeJS.Timeout | null = null
  let watcher: FSWatcher
  try {
    watcher = watch(dir, { recursive: true, persistent: false }, () => {
      if (timer) clearTimeout(timer)
      timer = setTimeout(() => {
        timer = null
        onChange()
      }, WATCH_DEBOUNCE_MS)
    })
  } catch (cause) {
    logger.warn(
      `cannot watch ${dir} (${(cause as Error).message}); changes are picked up by the periodic rescan`,
    )
    return () => {}
  }
  watcher.on('error', (cause) =>
    logger.warn(
      `stopped watching ${dir} (${cause.message}); changes are picked up by the periodic rescan`,
    ),
  )
  return () => {
    if (timer) clearTimeout(timer)
    watcher.close()
  }
}
