/**
 * The child process of a run, and everything about its process group: a run's command is
 * spawned without a shell, in the task's folder, as the leader of its own process group, so
 * that a timeout, a cancel or a shutdown ends the task's grandchildren too, and so that a host
 * restarted after a crash can find what is left of a run without touching an unrelated process.
 *
 * A process group is not a prison: a daemon (`setsid`, a double fork) leaves it. Where the run
 * has a control group of its own (`run-cgroup.ts`), the child joins it before it execs the task,
 * so nothing the task starts is ever outside it; elsewhere the run's leftovers are found in
 * `/proc` by the run's environment (`proc-sweep.ts`).
 *
 * This is the one module that spawns and signals; `startChild` gives a handle and the rest of
 * core never sees a `ChildProcess`.
 */
import type { ChildProcess } from 'node:child_process'
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import spawn from 'cross-spawn'
import type { ResourceUsage } from './cgroup-resources.js'
import {
  commandFile,
  fastSpawn,
  type ProcessRusage,
  type SpawnedProcess,
  spawnAddon,
} from './fast-spawn.js'
import { setLongTimeout } from './long-timer.js'
import { pidsWithEnv } from './proc-sweep.js'
import type { RunCgroup } from './run-cgroup.js'

export interface ChildCommand {
  command: string
  args: readonly string[]
}

export interface ChildOptions {
  /** The working directory (the task's folder). */
  cwd: string
  /** The whole environment of the process. */
  env: Readonly<Record<string, string>>
  /** The run's control group: the child joins it before the task's command starts. */
  cgroup?: RunCgroup | null
  /**
   * Without a control group, the variable (one of `env`'s) by which the run's processes that
   * left its group are found in `/proc` when it ends, such as `TASSE_RUN_ID`.
   */
  marker?: string
  /**
   * Whom the process runs as (the host must have CAP_SETUID and CAP_SETGID, i.e. be root):
   * supplementary groups dropped, then `gid`, then `uid`, before the command is executed.
   * Absent: the host's user.
   */
  user?: { uid: number; gid: number } | null
}

export interface ChildExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** What the run's processes used, and whether the OOM killer ended one of them. */
export interface ChildUsage extends ResourceUsage {
  oomKilled: boolean
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
   * Ends every process of the run, in its group or escaped from it: SIGTERM now, SIGKILL to
   * whatever is left `graceMs` later (the leader gone or not). Resolves once none is left (or
   * what is left cannot be killed), its control group removed. Called after the leader exited
   * on its own, it sweeps what the task left behind; each later call gets the same promise.
   */
  terminate(graceMs: number): Promise<void>
  /** Stops reading the output (a grandchild that keeps the pipes open must not hold the run). */
  closeOutput(): void
  /**
   * What the run used: its control group's counters (read before `terminate` removes it), what
   * they do not give from wait4's account of its first process (the spawn addon's); `null`s
   * where neither tells. Meaningful once `terminate` resolved.
   */
  usage(): ChildUsage
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
  const { cgroup = null, user = null } = options
  const addon = spawnAddon()
  // A command that cannot be found is spawned as it is, so that it fails as it would anyway.
  const file = commandFile(command.command, options.cwd, options.env.PATH)
  const found = file !== null
  // posix_spawn cannot change user: the addon starts the tiny helper that switches and execs.
  const helper = user && addon && found ? asUserHelper() : null
  const switched = helper && user ? withUser(helper, user, command, file) : command
  const fast = addon !== null && (user === null || helper !== null)
  // The run's first process joins its control groups before its exec, and as root, before the
  // switch: as the task's user it could not write cgroup.procs, and the host moves the process
  // in instead. The addon's child does it itself; otherwise a shell does, then execs.
  const joinsItself = cgroup !== null && found && (user === null || helper !== null)
  const addonJoins = joinsItself && fast && addon.joinsCgroups === true
  const spawned =
    joinsItself && !addonJoins
      ? {
          command: '/bin/sh',
          args: [
            '-c',
            JOIN_CGROUP,
            'tasse-join',
            ...cgroup.procsPaths,
            '--',
            switched.command,
            ...switched.args,
          ],
        }
      : switched
  let started: SpawnedProcess
  try {
    started = fast
      ? await fastSpawn(addon, spawned.command, spawned.args, {
          ...options,
          cgroupProcs: addonJoins ? cgroup.procsPaths : [],
          file: spawned === command ? (file ?? undefined) : undefined,
        })
      : await nodeSpawn(spawned, { ...options, user })
  } catch (cause) {
    const failed = cause as Error
    throw new Error(`could not start ${command.command}: ${failed.message}`, { cause: failed })
  }
  if (cgroup && !joinsItself && found) adopt(cgroup, started.pid)
  const { pid, stdout, stderr } = started
  let rusage: ProcessRusage | undefined
  const exited = started.exited.then(({ code, signal, rusage: usage }): ChildExit => {
    rusage = usage
    return { code, signal }
  })
  let counted: ChildUsage | null = null
  /** The cgroup's counters while it exists, kept for after `terminate` removed it. */
  const countNow = (): ChildUsage | null =>
    cgroup ? { ...cgroup.resources.usage(), oomKilled: cgroup.resources.oomKilled() } : null
  const marker = options.marker
  const markerValue = marker === undefined ? undefined : options.env[marker]
  /** The run's processes outside its process group's reach (or all of them, in its cgroup). */
  const others = (): number[] =>
    cgroup ? cgroup.pids() : marker && markerValue ? pidsWithEnv(marker, markerValue) : []
  const signalAll = (signal: NodeJS.Signals) => {
    signalGroup(pid, signal)
    if (signal === 'SIGKILL' && cgroup) return cgroup.kill()
    for (const other of others()) signalPid(other, signal)
  }
  const left = () => groupAlive(pid) || others().length > 0
  let ending: Promise<void> | null = null
  return {
    pid,
    startTime: started.startTime ?? processStartTime(pid),
    stdout,
    stderr,
    exited,
    kill: (signal) => signalGroup(pid, signal),
    terminate(graceMs) {
      ending ??= endAll(signalAll, left, graceMs).finally(() => {
        counted = countNow()
        cgroup?.remove()
      })
      return ending
    },
    closeOutput() {
      stdout.destroy()
      stderr.destroy()
    },
    usage() {
      const fromGroup = counted ?? countNow()
      return {
        peakMemoryBytes: fromGroup?.peakMemoryBytes ?? rusage?.maxRssBytes ?? null,
        cpuUserSeconds: fromGroup?.cpuUserSeconds ?? rusage?.userSeconds ?? null,
        cpuSystemSeconds: fromGroup?.cpuSystemSeconds ?? rusage?.systemSeconds ?? null,
        oomKilled: fromGroup?.oomKilled ?? false,
      }
    },
  }
}

/** Node's way (libuv: fork, then exec), where the posix_spawn addon is not built. */
async function nodeSpawn(command: ChildCommand, options: ChildOptions): Promise<SpawnedProcess> {
  const child: ChildProcess = spawn(command.command, [...command.args], {
    cwd: options.cwd,
    env: options.env,
    // libuv drops the supplementary groups, then sets the group, then the user.
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
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
    startTime: null, // read from /proc by the caller
    stdout: child.stdout as Readable,
    stderr: child.stderr as Readable,
    exited,
  }
}

/**
 * The command that runs `command` as `user` through `helper`: with the file the command names
 * on the run's PATH (looked up as the spawn would), so that the helper runs that very file.
 */
function withUser(
  helper: string,
  user: { uid: number; gid: number },
  command: ChildCommand,
  file: string | null,
): ChildCommand {
  return {
    command: helper,
    args: [String(user.uid), String(user.gid), file ?? command.command, ...command.args],
  }
}

let helperPath: string | null | undefined

/** The `tasse-as-user` helper built beside the addon (`native/tasse-as-user.c`), or null. */
export function asUserHelper(): string | null {
  if (helperPath === undefined) {
    // From dist/ and from src/ alike: the build is beside both, in the package's root.
    const path = fileURLToPath(new URL('../build/Release/tasse-as-user', import.meta.url))
    try {
      accessSync(path, constants.X_OK)
      helperPath = path
    } catch {
      helperPath = null
    }
  }
  return helperPath
}

/**
 * Moves a process started as another user into the run's control group, from the host (root):
 * what it started before this are in its process group, and found by its TASSE_RUN_ID.
 */
function adopt(cgroup: RunCgroup, pid: number): void {
  for (const procs of cgroup.procsPaths)
    try {
      writeFileSync(procs, String(pid))
    } catch {}
}

/**
 * Moves the shell into the run's control groups (the `cgroup.procs` files before `--`: the one
 * that holds and kills the run, then its v1 resource groups), then execs the task's command in
 * its place: the pid stays the same and nothing the task starts is ever outside the groups, so
 * the limits hold for all of it. If a group cannot be joined the task still runs, and says why.
 * Node's spawn uses it (and an addon built before its child could join by itself); the addon's
 * child does the same without the shell, whose exec costs ~2 ms more per run.
 */
const JOIN_CGROUP =
  'for f do [ "$f" = -- ] && break; { echo $$ > "$f"; } 2>/dev/null || missed="$missed $f";' +
  ' shift; done; shift; [ -z "$missed" ] || echo "tasse: could not join the run\'s control' +
  ' group(s)$missed: its limits may not hold, and processes that leave its process group may' +
  ' outlive it" >&2; exec "$@"'

/** How often the end of a run looks whether processes are left, and how long KILL may take. */
const POLL_MS = 50
const KILL_WAIT_MS = 10_000

/** SIGTERM, up to `graceMs` for everything to go, SIGKILL, and up to a while to see it gone. */
async function endAll(
  signalAll: (signal: NodeJS.Signals) => void | Promise<void>,
  left: () => boolean,
  graceMs: number,
): Promise<void> {
  if (!left()) return
  await signalAll('SIGTERM')
  if (await gone(left, graceMs)) return
  await signalAll('SIGKILL')
  await gone(left, KILL_WAIT_MS)
}

/** Polls `left` until it is false (true) or `ms` have passed (false). */
async function gone(left: () => boolean, ms: number): Promise<boolean> {
  let expired = false
  const timer = setLongTimeout(() => {
    expired = true
  }, ms).unref()
  try {
    while (left()) {
      if (expired) return false
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
    return true
  } finally {
    timer.clear()
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {}
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
 * Ends what is left of run `runId` after a host crash, outside its process group too: every
 * process in its control group when it has one (then removed), else every process whose
 * environment carries its `TASSE_RUN_ID`. True when there was something to end.
 */
export async function endLeftovers(runId: string, cgroup: RunCgroup | null): Promise<boolean> {
  if (cgroup) {
    const had = cgroup.pids().length > 0
    if (had) {
      await cgroup.kill()
      await gone(() => cgroup.pids().length > 0, KILL_WAIT_MS)
    }
    cgroup.remove()
    return had
  }
  const pids = pidsWithEnv('TASSE_RUN_ID', runId)
  for (const pid of pids) signalPid(pid, 'SIGKILL')
  return pids.length > 0
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
