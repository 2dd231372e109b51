/**
 * What a run is, as `user:`, `env_files:` and `secrets:` say, worked out when it starts: whom it
 * runs as (checked: the host may switch, the user can enter the task's folder and read its
 * entrypoint), the variables read from files, and the mask of its output. Each problem throws an
 * Error whose message is the run's reason for failing, naming the file or the user, never a
 * secret's value.
 */
import { realpathSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { readRunFiles, secretMask } from './run-secrets.js'
import { type RunUser, reachProblem, resolveUser, switchUserProblem, userEnv } from './run-user.js'
import type { TaskDefinition, TaskUser } from './types.js'

export interface RunAccess {
  /** The task, its `env:` with the secrets added (they win over `env:`). */
  task: TaskDefinition
  /** The variables of its `env_files:` (under `env:`). */
  env: Record<string, string>
  /** Replaces every secret's value in a line of output with `***`. */
  mask: (line: string) => string
  /** Whom the process runs as (ids, name, home); `null`: the host's user. */
  user: RunUser | null
  /** HOME, USER and LOGNAME of that user (empty for the host's user). */
  userEnv: Record<string, string>
  /** Throws when the user cannot execute `command` (a runner's venv out of their reach). */
  checkCommand(command: string): void
}

/**
 * The run's user, files and mask for `task`; throws with the reason the run cannot start.
 * `fallback` is whom a task without `user:` runs as (the host's `--task-user`).
 *
 * @example
 * declare const task: TaskDefinition
 * const access = await runAccess(task)
 * const env = { ...access.env, ...access.task.env, ...access.userEnv }
 */
export async function runAccess(
  task: TaskDefinition,
  fallback: TaskUser | null = null,
): Promise<RunAccess> {
  const files = await readRunFiles(task)
  const mask = secretMask(Object.values(files.secrets))
  const withSecrets = Object.keys(files.secrets).length
    ? { ...task, env: { ...task.env, ...files.secrets } }
    : task
  const wanted = task.user ?? fallback
  if (!wanted)
    return { task: withSecrets, env: files.env, mask, user: null, userEnv: {}, checkCommand() {} }
  const said = task.user ? 'user:' : "the host's --task-user"
  const user = runUser(task, wanted, said)
  const shown = userShown(wanted)
  return {
    task: withSecrets,
    env: files.env,
    mask,
    user,
    userEnv: userEnv(user),
    checkCommand(command) {
      if (!isAbsolute(command)) return
      // A venv's python is a link to the interpreter it was made with (pyenv's, under /root?):
      // the user must reach both.
      let real = command
      try {
        real = realpathSync(command)
      } catch {}
      const problem =
        reachProblem(command, 'x', user) ??
        (real === command ? null : reachProblem(real, 'x', user))
      if (problem) throw new Error(`cannot run as user ${shown} (${said}): ${problem}`)
    },
  }
}

/**
 * Why a run of `task` could not start as its `user:` from this process, or `null` (also when it
 * has no `user:`): for `tasse validate`, which says so before a run fails.
 *
 * @example
 * declare const task: TaskDefinition
 * const problem = taskUserProblem(task) // 'cannot run as user nobody (user:): the host runs as uid 1000, not root: …'
 */
export function taskUserProblem(task: TaskDefinition): string | null {
  if (!task.user) return null
  try {
    runUser(task, task.user)
    return null
  } catch (cause) {
    return (cause as Error).message
  }
}

/** The user of `task`, checked: this host may switch to them, and they reach the task's files. */
function runUser(task: TaskDefinition, wanted: TaskUser, said = 'user:'): RunUser {
  const shown = userShown(wanted)
  const cannot = switchUserProblem()
  if (cannot) throw new Error(`cannot run as user ${shown} (${said}): ${cannot}`)
  let user: RunUser
  try {
    user = resolveUser(wanted)
  } catch (cause) {
    throw new Error(`cannot run as user ${shown} (${said}): ${(cause as Error).message}`, { cause })
  }
  const unreachable =
    reachProblem(task.dir, 'x', user) ?? reachProblem(join(task.dir, task.entrypoint), 'r', user)
  if (unreachable)
    throw new Error(`cannot run as user ${shown} (${said}): ${unreachable}; see README, "user:"`)
  return user
}

function userShown(user: TaskUser): string {
  return 'name' in user ? user.name : `${user.uid}${user.gid === undefined ? '' : `:${user.gid}`}`
}
