/**
 * The fast way to start a run's process: posix_spawn's way (clone with CLONE_VM|CLONE_VFORK,
 * then exec) through a small addon (`native/tasse-spawn.c`, built at install by
 * `native/build.mjs`). Node 20's libuv starts a child with a full fork() of the host, whose
 * cost grows with the host's memory and which blocks the main thread meanwhile; a vfork-style
 * child copies no page tables. Measured on a loaded 2-core VM, in a host of 77 MB: spawn call
 * 29 → 11 ms, first command 44 → 26 ms; with 267 MB: 80 → 7 ms and 96 → 34 ms. The child joins
 * the run's control groups and reads its own start time before its exec, which posix_spawn
 * itself cannot do: no shell to join them (an exec: ~2 ms), and no read of /proc/<pid>/stat by
 * the host, which waits for the child's exec to finish (~2.5 ms of the main thread per run).
 *
 * Same contract as child_process for what the executor uses: a process group of its own, the
 * given environment only, no shell, stdin closed, stdout and stderr as streams, the exit code
 * or signal. `TASSE_SPAWN=child_process` (or an addon that is not built) takes Node's way.
 */
import { accessSync, constants, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Socket } from 'node:net'
import { constants as os } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import type { Readable } from 'node:stream'

export interface SpawnedProcess {
  pid: number
  /** Its start time (clock ticks since boot, `/proc/<pid>/stat`'s field 22), where known. */
  startTime: number | null
  stdout: Readable
  stderr: Readable
  exited: Promise<SpawnedExit>
}

export interface SpawnedExit {
  code: number | null
  signal: NodeJS.Signals | null
  /** wait4's account of the process and the descendants it waited for (the addon only). */
  rusage?: ProcessRusage
}

export interface ProcessRusage {
  maxRssBytes: number
  userSeconds: number
  systemSeconds: number
}

interface Addon {
  spawn(
    file: string,
    argv: string[],
    envp: string[],
    cwd: string,
    onExit: (
      code: number | null,
      signal: number | null,
      usage?: [maxRssKiB: number, user: number, system: number],
    ) => void,
    cgroupProcs: readonly string[],
    // A promise since the addon starts on a worker thread (one built before answered at once).
  ):
    | Promise<[pid: number, stdout: number, stderr: number, startTicks: number]>
    | [pid: number, stdout: number, stderr: number]
  trimMemory(): boolean
  /** The child joins `cgroupProcs` itself before its exec (undefined: an addon built before). */
  joinsCgroups?: boolean
}

let loaded: Addon | null | undefined

/** The addon, or null where it is not built (or not Linux). */
function addon(): Addon | null {
  if (process.platform !== 'linux') return null
  if (loaded === undefined)
    try {
      // From src/, dist/ and bundle/ alike: the build is beside them, in the package's root.
      loaded = createRequire(import.meta.url)('../build/Release/tasse_spawn.node') as Addon
    } catch {
      loaded = null
    }
  return loaded
}

/** The addon to start runs with, or null where it is not built (or `TASSE_SPAWN=child_process`). */
export function spawnAddon(): Addon | null {
  return process.env.TASSE_SPAWN === 'child_process' ? null : addon()
}

/**
 * Gives the system back the memory the C library holds free (glibc's `malloc_trim`): after
 * start-up, whose parsing and compiling freed several MB that stay counted in the host's RSS
 * otherwise. Whether anything was released; false without the addon, or with one built before
 * it could (`npm rebuild @tasse/core` builds it again). Never throws: it only saves memory.
 */
export function releaseFreeMemory(): boolean {
  const built = addon()
  if (typeof built?.trimMemory !== 'function') return false
  try {
    return built.trimMemory()
  } catch {
    return false
  }
}

/** How this process starts runs: `posix_spawn` (the addon) or `child_process`. */
export function spawnPath(): 'posix_spawn' | 'child_process' {
  return spawnAddon() ? 'posix_spawn' : 'child_process'
}

/**
 * Starts `command` through the addon. Throws as spawn reports it (`code` ENOENT, EACCES…) when
 * it cannot start: a command not found on the environment's PATH, a working directory gone.
 * With `cgroupProcs` (an addon that `joinsCgroups` only), the child writes itself into each of
 * these `cgroup.procs` before its exec, so that nothing the command starts is outside them.
 */
export async function fastSpawn(
  addon: Addon,
  command: string,
  args: readonly string[],
  options: {
    cwd: string
    env: Readonly<Record<string, string>>
    cgroupProcs?: readonly string[]
    /** `command`'s file where the caller looked it up already (`commandFile`). */
    file?: string
  },
): Promise<SpawnedProcess> {
  // A name with a slash goes to execve as it is, which says why it cannot run (EACCES…).
  const file = command.includes('/')
    ? command
    : (options.file ?? commandFile(command, options.cwd, options.env.PATH))
  if (file === null) throw Object.assign(new Error(`spawn ${command} ENOENT`), { code: 'ENOENT' })
  let onExit: Parameters<Addon['spawn']>[4] = () => {}
  const exited = new Promise<SpawnedExit>((resolve) => {
    onExit = (code, signal, usage) => {
      const exit: SpawnedExit = { code, signal: signal === null ? null : name(signal) }
      // An addon built before wait4 gives no usage.
      if (usage)
        exit.rusage = {
          maxRssBytes: usage[0] * 1024,
          userSeconds: usage[1],
          systemSeconds: usage[2],
        }
      resolve(exit)
    }
  })
  const envp = Object.entries(options.env).map(([key, value]) => `${key}=${value}`)
  const cgroupProcs = options.cgroupProcs ?? []
  if (cgroupProcs.length > 0 && !addon.joinsCgroups)
    throw new Error('this build of the spawn addon cannot join control groups')
  let started: Awaited<ReturnType<Addon['spawn']>>
  try {
    started = await addon.spawn(file, [command, ...args], envp, options.cwd, onExit, cgroupProcs)
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    throw Object.assign(new Error(`spawn ${command} ${code}`, { cause }), { code })
  }
  const [pid, out, err, startTicks] = started
  const startTime = startTicks !== undefined && startTicks >= 0 ? startTicks : null
  return { pid, startTime, stdout: pipe(out), stderr: pipe(err), exited }
}

function pipe(fd: number): Readable {
  return new Socket({ fd, readable: true, writable: false })
}

const SIGNAL_NAMES = new Map(
  Object.entries(os.signals).map(([signal, number]) => [number, signal as NodeJS.Signals]),
)

function name(signal: number): NodeJS.Signals {
  return SIGNAL_NAMES.get(signal) ?? (`SIG${signal}` as NodeJS.Signals)
}

/**
 * The file `command` names, found as execvp finds it but on the child's PATH (as libuv does):
 * a name with a slash as it is (relative to `cwd`, which the child enters first), else the
 * first executable file of that name in PATH's folders (an empty entry is `cwd`). Null when
 * there is none. A missing file is not an exception here: most of PATH's folders miss.
 */
export function commandFile(command: string, cwd: string, path: string | undefined): string | null {
  if (command.includes('/')) return executableFile(resolve(cwd, command)) ? command : null
  for (const dir of (path ?? '/usr/bin:/bin').split(delimiter)) {
    // `./name` for an empty entry, so that the file stays a path (a helper that execs it by
    // name would look it up on PATH again).
    const candidate = dir ? join(dir, command) : `./${command}`
    if (executableFile(resolve(cwd, candidate))) return candidate
  }
  return null
}

function executableFile(file: string): boolean {
  try {
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) return false
    accessSync(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}
