/**
 * `serve --task-user NAME|UID[:GID]` / `TASSE_TASK_USER`: whom tasks without `user:` run as,
 * for a host that runs as root so that its own files (`.tasse/`: database, token) stay out of
 * its tasks' reach (the image's setup: tasks as the data folder's owner). Read here, checked at
 * start: a host that cannot switch, or a user that does not exist, stops it with the reason.
 */
import { chownSync, lchownSync, lstatSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import {
  readUser,
  resolveUser,
  switchUserProblem,
  type TaskUser,
  TasseConfigError,
  TasseError,
} from '@tasse/core'

/**
 * The setting's value: a user name, a uid or `uid:gid`, as `user:` in task.yaml.
 *
 * @example
 * readTaskUser('1000:1000', 'TASSE_TASK_USER') // { uid: 1000, gid: 1000 }
 */
export function readTaskUser(text: string, source: string): TaskUser | null {
  try {
    return readUser(text, { file: source, field: '' })
  } catch (cause) {
    if (cause instanceof TasseConfigError)
      throw new TasseError('config', `${source} ${cause.problem}`, { cause })
    throw cause
  }
}

/**
 * The ids of `user`, checked once at start; `null` without one. Throws a `TasseError`
 * (`config`) when this host cannot start processes as them, or they do not exist.
 *
 * @example
 * const owner = taskUserIds({ name: 'nobody' }) // { uid: 65534, gid: 65534 }
 */
export function taskUserIds(user: TaskUser | null): { uid: number; gid: number } | null {
  if (!user) return null
  const cannot = switchUserProblem()
  if (cannot) throw new TasseError('config', `--task-user / TASSE_TASK_USER: ${cannot}`)
  try {
    const { uid, gid } = resolveUser(user)
    return { uid, gid }
  } catch (cause) {
    throw new TasseError('config', `--task-user / TASSE_TASK_USER: ${(cause as Error).message}`, {
      cause,
    })
  }
}

/**
 * Gives `path` and, unless `deep` is false, everything below it back to this process's user when
 * the task user owns it (a data folder whose host ran as that user before): the host's state must
 * not be theirs to read.
 */
export function takeBack(path: string, taskUid: number, deep = true): void {
  let stats: ReturnType<typeof lstatSync>
  try {
    stats = lstatSync(path)
  } catch {
    return
  }
  if (deep && stats.isDirectory())
    for (const entry of readdirSync(path)) takeBack(join(path, entry), taskUid)
  if (stats.uid !== taskUid) return
  const chown = stats.isSymbolicLink() ? lchownSync : chownSync
  chown(path, process.geteuid?.() ?? 0, process.getegid?.() ?? 0)
}
