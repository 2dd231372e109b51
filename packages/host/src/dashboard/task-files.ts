/**
 * A task's files as the task page shows them: its task.yaml and its entrypoint, read with a cap
 * (a page is no place for a 50 MB script) and never outside the task's folder.
 */
import { closeSync, openSync, readSync } from 'node:fs'
import { isAbsolute, join, relative } from 'node:path'

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
  const path = join(dir, name)
  const rel = relative(dir, path)
  if (rel.startsWith('..') || isAbsolute(rel))
    return { name, text: null, note: 'outside the task folder: not shown' }
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
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
    const code = (cause as NodeJS.ErrnoException).code
    return { name, text: null, note: code === 'ENOENT' ? 'missing' : `cannot be read (${code})` }
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
