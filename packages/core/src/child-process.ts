/**
 * The child process of a run, and everything about its process group: a run's command is
 * spawned without a shell, in the task's folder, as the leader of its own process group, so
 * that a timeout, a cancel or a shutdown ends the task's grandchildren too, and so that a host
 * restarted after a crash can find what is left of a run without touching an unrelated process.
 *
 * This is the one module that spawns and signals; `startChild` gives a handle and the rest of
 * core never sees a `ChildProcess`.
 */
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { Readable } from 'node:stream'
import spawn from 'cross-spawn'
import { fastSpawn, type SpawnedProcess, spawnAddon } from './fast-spawn.js'

export interface ChildCommand {
  command: string
  args: readonly string[]
}

export interface ChildOptions {
  /** The working directory (the task's folder). */
  cwd: string
  /** The whole environment of the process. */
  env: Readonly<Record<string, string>>
}

export interface ChildExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** A started child process: the leader of its own process group. */
export interface ChildHandle {
  /** Its pid, which is also its process group's id. */
  readonly pid: number
  /** Its start time (`processStartTime`), stored with the pid for crash recovery. */
  readonly startTime: number | null
  readonly stdout: Readable
  readonly stderr: Readable
  /** Resolves when the leader exits (its group's other members may live on). */
  readonly exited: Promise<ChildExit>
  /** Sends `signal` to the whole group; false when the group is gone. */
  kill(signal: NodeJS.Signals): boolean
  /**
   * Ends the group: SIGTERM now, SIGKILL `graceMs` later unless the leader has exited by then.
   */
  terminate(graceMs: number): void
  /** Stops reading the output (a grandchild that keeps the pipes open must not hold the run). */
  closeOutput(): void
}

/**
 * Spawns `command` as the leader of a new process group, stdin closed, stdout and stderr piped.
 * Rejects (with the system's reason as `cause`) when it cannot start: a missing executable, a
 * working directory that is gone.
 *
 * @example
 * declare const task: TaskDefinition
 * const env = { PATH: '/usr/bin:/bin' }
 * const child = await startChild({ command: 'bash', args: ['task.sh'] }, { cwd: task.dir, env })
 * const { code, signal } = await child.exited
 */
export async function startChild(
  command: ChildCommand,
  options: ChildOptions,
): Promise<ChildHandle> {
  const addon = spawnAddon()
  let started: SpawnedProcess
  try {
    started = addon
      ? fastSpawn(addon, command.command, command.args, options)
      : await nodeSpawn(command, options)
  } catch (cause) {
    const failed = cause as Error
    throw new Error(`could not start ${command.command}: ${failed.message}`, { cause: failed })
  }
  const { pid, stdout, stderr, exited } = started
  let killTimer: NodeJS.Timeout | null = null
  void exited.then(() => {
    if (killTimer) clearTimeout(killTimer)
  })
  return {
    pid,
    startTime: processStartTime(pid),
    stdout,
    stderr,
    exited,
    kill: (signal) => signalGroup(pid, signal),
    terminate(graceMs) {
      signalGroup(pid, 'SIGTERM')
      killTimer ??= setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs)
      killTimer.unref()
    },
    closeOutput() {
      stdout.destroy()
      stderr.destroy()
    },
  }
}

/** Node's way (libuv: fork, then exec), where the posix_spawn addon is not built. */
async function nodeSpawn(command: ChildCommand, options: ChildOptions): Promise<SpawnedProcess> {
  const child: ChildProcess = spawn(command.command, [...command.args], {
    cwd: options.cwd,
    env: options.env,
    detached: true, // its own process group, so that signals reach grandchildren
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const failed = await new Promise<Error | null>((resolve) => {
    child.once('spawn', () => resolve(null))
    child.once('error', resolve)
  })
  if (failed) throw failed
  // Errors after a successful spawn (a signal to a process already reaped) are not the run's.
  child.on('error', () => {})
  return {
    pid: child.pid as number,
    stdout: child.stdout as Readable,
    stderr: child.stderr as Readable,
    exited,
  }
}

/** Sends `signal` to the whole group led by `pid`. False when the group is gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal)
    return true
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw cause
  }
}

/** Whether any process of the group led by `pid` is alive. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch (cause) {
    return (cause as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The start time of process `pid` in clock ticks since boot (`/proc/<pid>/stat`, field 22), or
 * `null` where there is no /proc or no such process. Stored with a run's pid so that a later
 * host can tell the run's process from an unrelated one that reused the pid.
 */
export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may contain spaces: count after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[19])
    return Number.isFinite(ticks) ? ticks : null
  } catch {
    return null
  }
}

/**
 * Ends what is left of a run's process group after a host crash: only when the group leader
 * still has the start time recorded for it (otherwise the pid was reused), or when the leader is
 * gone but members of its group remain (a pgid is not reused while any member lives).
 */
export function killOrphanedGroup(pid: number, startedAt: number | null): boolean {
  const leaderStart = processStartTime(pid)
  if (leaderStart !== null && startedAt !== null && leaderStart !== startedAt) return false
  if (leaderStart === null && !groupAlive(pid)) return false
  return signalGroup(pid, 'SIGKILL')
}
