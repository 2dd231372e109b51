/**
 * The environment of a run that has a user (`user:`, `--task-user`): its installs run as that
 * user, so `venv/<task>/` is theirs, made by the host (root) in a `venv/` that stays the host's
 * (mode 0711: a task's user reaches their own environment, cannot list or change the others').
 * Everything the host itself does in a folder the user may write is done without following a
 * link the user planted there.
 */
import { constants } from 'node:fs'
import { chmod, chown, lstat, mkdir, open } from 'node:fs/promises'
import { runInstallCommand } from './install-command.js'

export interface Owner {
  uid: number
  gid: number
}

/** The mode of the folder that holds every task's environment, when tasks run as users. */
export const VENV_ROOT_MODE = 0o711

/**
 * Makes `venvRoot` a folder of the host's, mode 0711 (created when missing).
 *
 * @throws Error when it is not a folder (a link a user left there is not followed).
 */
export async function secureVenvRoot(venvRoot: string): Promise<void> {
  await mkdir(venvRoot, { recursive: true, mode: VENV_ROOT_MODE })
  const stats = await lstat(venvRoot)
  if (!stats.isDirectory())
    throw new Error(
      `${venvRoot} must be a folder, not a link or a file (it holds the environments)`,
    )
  const uid = process.geteuid?.() ?? stats.uid
  const gid = process.getegid?.() ?? stats.gid
  if (stats.uid !== uid || stats.gid !== gid) await chown(venvRoot, uid, gid)
  if ((stats.mode & 0o777) !== VENV_ROOT_MODE) await chmod(venvRoot, VENV_ROOT_MODE)
}

/**
 * Removes the environment at `venvPath`, whose files the user wrote: with coreutils' `rm -rf`,
 * which never follows a link (and checks each folder it enters), not with a walk that a process
 * of the user could redirect, by swapping a folder for a link, to delete the host's files.
 */
export async function removeOwnedVenv(
  venvPath: string,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  // Looked up on the host's own PATH, never the install's (it starts with the user's
  // venv/<task>/bin) nor the run's (a task's `env:` may set PATH): a `rm` of theirs would run as
  // root.
  const env = { PATH: process.env.PATH || '/usr/bin:/bin', LC_ALL: 'C' }
  await runInstallCommand(
    { command: 'rm', args: ['-rf', '--', venvPath], cwd: '/', env, display: `rm -rf ${venvPath}` },
    { log, signal, timeoutMs: 10 * 60_000 },
  )
}

/**
 * Creates the empty `venvPath` (in the host's `venv/`) and gives it to `owner`: their install
 * builds in it.
 */
export async function makeOwnedVenv(venvPath: string, owner: Owner): Promise<void> {
  await mkdir(venvPath, { mode: 0o755 })
  await chown(venvPath, owner.uid, owner.gid)
}

/**
 * Gives `file` (a `poetry.lock` an earlier install wrote as the host) to `owner`, so that their
 * install can rewrite it; a file already theirs (or another's) is left alone. Opened without
 * following a link, and changed through that descriptor: a link the user put there instead
 * gives them nothing.
 */
export async function giveToOwner(
  file: string,
  owner: Owner,
  log: (line: string) => void,
): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    const stats = await handle.stat()
    if (stats.isFile() && stats.uid === process.geteuid?.() && stats.uid !== owner.uid)
      await handle.chown(owner.uid, owner.gid)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    // ELOOP: a link, left as it is.
    if (code !== 'ENOENT' && code !== 'ELOOP')
      log(`cannot give ${file} to uid ${owner.uid}: ${(cause as Error).message}`)
  } finally {
    await handle?.close()
  }
}
