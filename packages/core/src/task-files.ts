/**
 * The files of a task folder that Tasse reads or runs (task.yaml, the entrypoint) must be
 * regular files inside that folder, of a bounded size. Anything else is refused before it is
 * opened for reading: a FIFO would block the host's one thread on `read`, a link to a device
 * would read without end, and a link to a file elsewhere would put that file's content in error
 * messages and the API.
 *
 * Links inside the folder are fine (`task.py -> src/main.py`); the folder itself may be a link
 * (`tasks/report -> /srv/report`): "inside" is decided on real paths.
 */
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readSync,
  realpathSync,
  type Stats,
  statSync,
} from 'node:fs'
import { join, sep } from 'node:path'

/** task.yaml is a page of settings; more than this is a mistake (or an attack). */
export const MAX_TASK_YAML_BYTES = 256 * 1024
/** An entrypoint is a script or a program; a compiled one fits in this. */
export const MAX_ENTRYPOINT_BYTES = 64 * 1024 * 1024

/** What a check found: the file's real path and size, or what is wrong with it. */
export type TaskFileCheck =
  | { ok: true; path: string; size: number }
  | {
      ok: false
      /** Nothing by that name: callers decide whether that is a problem. */
      missing: boolean
      /** Reads after the file's name: `is a folder, not a file`. */
      problem: string
    }

/**
 * Whether `relativePath` in the task folder `dir` is a regular file inside it, at most
 * `maxBytes` long. Never opens the file.
 *
 * @example
 * const check = checkTaskFile('data/tasks/report', 'task.py', MAX_ENTRYPOINT_BYTES)
 * if (!check.ok) throw new Error(`task.py ${check.problem}`)
 */
export function checkTaskFile(dir: string, relativePath: string, maxBytes: number): TaskFileCheck {
  const located = locate(dir, relativePath)
  if (!located.ok) return located
  let stats: Stats
  try {
    stats = statSync(located.path)
  } catch (cause) {
    return unreadable(cause)
  }
  return judge(located.path, stats, maxBytes)
}

/**
 * The text of `relativePath` in the task folder `dir`, checked as `checkTaskFile` does. The
 * file is opened without blocking and checked again through its descriptor, so a file swapped
 * for a FIFO between the check and the read is still refused.
 *
 * @example
 * const yaml = readTaskFile('data/tasks/report', 'task.yaml', MAX_TASK_YAML_BYTES)
 */
export function readTaskFile(
  dir: string,
  relativePath: string,
  maxBytes: number,
): { ok: true; text: string } | Extract<TaskFileCheck, { ok: false }> {
  const located = locate(dir, relativePath)
  if (!located.ok) return located
  let fd: number
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(located.path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW)
  } catch (cause) {
    return unreadable(cause)
  }
  try {
    const checked = judge(located.path, fstatSync(fd), maxBytes)
    if (!checked.ok) return checked
    // One byte more than expected, to notice a file that grows while it is read.
    const buffer = Buffer.alloc(checked.size + 1)
    let length = 0
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null)
      if (read === 0) break
      length += read
    }
    if (length === buffer.length)
      return length > maxBytes
        ? tooLarge(maxBytes, `more than ${maxBytes} bytes`)
        : {
            ok: false,
            missing: false,
            problem: 'changed while it was read; it is read again at the next change',
          }
    return { ok: true, text: buffer.toString('utf8', 0, length) }
  } catch (cause) {
    return unreadable(cause)
  } finally {
    closeSync(fd)
  }
}

/** The real path of `relativePath`, when it lies inside the real task folder. */
function locate(
  dir: string,
  relativePath: string,
): { ok: true; path: string } | Extract<TaskFileCheck, { ok: false }> {
  let realDir: string
  let real: string
  try {
    realDir = realpathSync.native(dir)
    real = realpathSync.native(join(dir, relativePath))
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR')
      return { ok: false, missing: true, problem: 'does not exist' }
    return unreadable(cause)
  }
  if (!real.startsWith(realDir + sep))
    return {
      ok: false,
      missing: false,
      problem:
        "is a link that leads outside the task's folder: it must be a regular file inside the folder",
    }
  return { ok: true, path: real }
}

function judge(path: string, stats: Stats, maxBytes: number): TaskFileCheck {
  if (!stats.isFile())
    return { ok: false, missing: false, problem: `is ${kind(stats)}, not a regular file` }
  if (stats.size > maxBytes) return tooLarge(maxBytes, `${stats.size} bytes`)
  return { ok: true, path, size: stats.size }
}

function kind(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder'
  if (stats.isFIFO()) return 'a FIFO (named pipe)'
  if (stats.isSocket()) return 'a socket'
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device'
  return 'not a file'
}

function tooLarge(maxBytes: number, size: string): Extract<TaskFileCheck, { ok: false }> {
  return {
    ok: false,
    missing: false,
    problem: `is larger than the ${formatBytes(maxBytes)} a task file may be (${size})`,
  }
}

/** The reason without the absolute path Node puts in its messages: `permission denied (EACCES)`. */
function unreadable(cause: unknown): Extract<TaskFileCheck, { ok: false }> {
  const error = cause as NodeJS.ErrnoException
  const reason = error.code
    ? `${error.message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '')} (${error.code})`
    : String(error.message)
  return { ok: false, missing: false, problem: `cannot be read: ${reason}` }
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`
}
