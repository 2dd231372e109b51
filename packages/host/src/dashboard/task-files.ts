/**
 * A task's files as the task page shows them: its task.yaml and its entrypoint. Core's
 * `checkTaskFile` decides what may be read at all (a regular file inside the task's folder:
 * never a FIFO, which would block the host's one thread, nor a link to elsewhere); the page
 * shows at most the first `SHOWN_BYTES` (a page is no place for a 50 MB script).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { checkTaskFile } from '@tasse/core'

/** Bytes of a file the page shows at most. */
export const SHOWN_BYTES = 256 * 1024

export interface ShownFile {
  /** The path relative to the task's folder. */
  name: string
  text: string | null
  /** Why there is no text, or that it was cut. */
  note: string | null
}

/** `name` (relative to `dir`) read for display; its problem in words instead of a throw. */
export function showFile(dir: string, name: string): ShownFile {
  const check = checkTaskFile(dir, name, Number.MAX_SAFE_INTEGER)
  if (!check.ok) return { name, text: null, note: check.missing ? 'missing' : check.problem }
  let fd: number | undefined
  try {
    // Without blocking, and checked again through the descriptor: a file swapped for a FIFO
    // since the check must still not hold the host.
    fd = openSync(check.path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW)
    if (!fstatSync(fd).isFile()) return { name, text: null, note: 'not a regular file: not shown' }
    const buffer = Buffer.alloc(SHOWN_BYTES + 1)
    const size = readSync(fd, buffer, 0, buffer.length, 0)
    const cut = size > SHOWN_BYTES
    const bytes = buffer.subarray(0, Math.min(size, SHOWN_BYTES))
    if (bytes.includes(0)) return { name, text: null, note: 'a binary file: not shown' }
    return {
      name,
      text: bytes.toString('utf8'),
      note: cut ? `only the first ${SHOWN_BYTES / 1024} KiB are shown` : null,
    }
  } catch (cause) {
    return { name, text: null, note: `cannot be read (${(cause as NodeJS.ErrnoException).code})` }
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
