/**
 * A control group of its own for each run, where the system lets Tasse make one: every process
 * the run starts stays in it, whatever it does (a `setsid` daemon, a double fork), so the run's
 * end can find and kill them all. A process group cannot promise that: a daemon leaves it.
 *
 * - cgroup v2 (most systems today; `/sys/fs/cgroup`, or `/sys/fs/cgroup/unified` on a hybrid
 *   one): `cgroup.kill` kills every member at once, forks in flight included (Linux 5.14+).
 * - cgroup v1 freezer: the members are frozen (no fork can race the kill), sent SIGKILL, thawed.
 *
 * The run's groups sit in `tasse/` under the host's own group, writable as root or where the
 * group is delegated to the host's user; elsewhere `runCgroups()` answers `null` and
 * `proc-sweep.ts` finds what is left by the run's environment instead. The run's limits and
 * accounting (`cgroup-resources.ts`) use the same v2 group, or groups in the v1 hierarchies.
 */
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import {
  HOST_LEAF,
  type ResourceController,
  type ResourcePlaces,
  type RunResources,
  resourcePlaces,
  runResources,
} from './cgroup-resources.js'

export type CgroupKind = 'v2' | 'v1-freezer'
/** Which kind to use: the best the system offers (`auto`), one kind only, or none. */
export type CgroupChoice = 'auto' | 'v2' | 'v1' | 'off'

/** The group of one run. */
export interface RunCgroup {
  readonly kind: CgroupKind
  /** Its folder. */
  readonly path: string
  /** The file a process writes its pid into to join it (before it execs the task). */
  readonly procsPath: string
  /** Every `cgroup.procs` the run's first process joins: `procsPath`, then its v1 resource groups'. */
  readonly procsPaths: readonly string[]
  /** Its limits and accounting. */
  readonly resources: RunResources
  /** The pids in it now. */
  pids(): number[]
  /** Sends `signal` to every process in it (a SIGTERM that reaches escaped daemons too). */
  signal(signal: NodeJS.Signals): void
  /** SIGKILL to every process in it, those forked meanwhile included; resolves once sent. */
  kill(): Promise<void>
  /** Removes the folder once it is empty; false while a process remains (or it is gone). */
  remove(): boolean
}

/** Where the runs' groups are made. */
export interface RunCgroups {
  readonly kind: CgroupKind
  /** The folder that holds the runs' groups. */
  readonly root: string
  /** Where the limits and the accounting are, and which limits cannot be enforced here. */
  readonly places: ResourcePlaces
  /** Makes the group of run `runId` (throws with the system's reason when it cannot). */
  create(runId: string): RunCgroup
  /** The group of run `runId` if it exists (a run of a host that crashed). */
  open(runId: string): RunCgroup | null
}

/** Where the kernel says what is mounted and which groups this process is in. */
export interface CgroupSources {
  mountinfo: string
  cgroup: string
}

const SELF: CgroupSources = { mountinfo: '/proc/self/mountinfo', cgroup: '/proc/self/cgroup' }
/** How long a v1 freeze may take before the members are killed anyway (frozen or not). */
const FREEZE_WAIT_MS = 2000

/**
 * The runs' groups on this system, or `null` when none can be made here (no cgroup file
 * system, not writable, or `choice` is `off`). The folder `tasse/` is made on the way.
 *
 * @example
 * const cgroups = runCgroups()
 * const group = cgroups?.create('01m8g4dva07sk09q') // spawn: sh -c 'echo $$ > "$0"; exec "$@"'
 * await group?.kill()
 */
export function runCgroups(choice: CgroupChoice = 'auto', sources = SELF): RunCgroups | null {
  if (choice === 'off') return null
  let mounts: Mount[]
  let own: Map<string, string>
  try {
    mounts = readMounts(readFileSync(sources.mountinfo, 'utf8'))
    own = readOwnGroups(readFileSync(sources.cgroup, 'utf8'))
  } catch {
    return null
  }
  const kinds: CgroupKind[] =
    choice === 'v2' ? ['v2'] : choice === 'v1' ? ['v1-freezer'] : ['v2', 'v1-freezer']
  for (const kind of kinds) {
    const mount = mounts.find((m) =>
      kind === 'v2' ? m.type === 'cgroup2' : m.type === 'cgroup' && m.options.includes('freezer'),
    )
    const ownPath = own.get(kind === 'v2' ? '' : 'freezer')
    if (!mount || ownPath === undefined) continue
    // A host that moved itself into its leaf group (`cgroup-resources.ts`) keeps its place.
    const hostGroup = kind === 'v2' ? outOfHostLeaf(ownPath) : ownPath
    const root = join(mount.point, relativeTo(mount.root, hostGroup), 'tasse')
    try {
      mkdirSync(root, { recursive: true })
      accessSync(join(root, 'cgroup.procs'), constants.W_OK)
      // Without cgroup.kill (Linux before 5.14) a v2 group cannot be killed at once.
      if (kind === 'v2') accessSync(join(root, 'cgroup.kill'), constants.W_OK)
      else accessSync(join(root, 'freezer.state'), constants.W_OK)
    } catch {
      continue
    }
    const places = resourcePlaces(
      kind === 'v2' ? root : null,
      choice === 'v2' ? {} : v1Roots(mounts, own),
    )
    return {
      kind,
      root,
      places,
      create(runId) {
        const path = join(root, checkedId(runId))
        mkdirSync(path)
        try {
          return runCgroup(kind, path, runResources(places, kind === 'v2' ? path : null, runId))
        } catch (cause) {
          rmdirSync(path)
          throw cause
        }
      },
      open(runId) {
        const path = join(root, checkedId(runId))
        return existsSync(path)
          ? runCgroup(kind, path, runResources(places, kind === 'v2' ? path : null, runId))
          : null
      },
    }
  }
  return null
}

/** The folders for the runs' groups in each v1 resource hierarchy mounted here. */
function v1Roots(
  mounts: readonly Mount[],
  own: ReadonlyMap<string, string>,
): Partial<Record<ResourceController, string>> {
  const roots: Partial<Record<ResourceController, string>> = {}
  for (const controller of ['memory', 'cpu', 'cpuacct', 'pids'] as const) {
    const mount = mounts.find((m) => m.type === 'cgroup' && m.options.includes(controller))
    const ownPath = own.get(controller)
    if (mount && ownPath !== undefined)
      roots[controller] = join(mount.point, relativeTo(mount.root, ownPath), 'tasse')
  }
  return roots
}

function runCgroup(kind: CgroupKind, path: string, resources: RunResources): RunCgroup {
  const procsPath = join(path, 'cgroup.procs')
  const pids = (): number[] => {
    try {
      return readFileSync(procsPath, 'utf8').split('\n').filter(Boolean).map(Number)
    } catch {
      return []
    }
  }
  const signal = (name: NodeJS.Signals) => {
    for (const pid of pids()) signalPid(pid, name)
  }
  return {
    kind,
    path,
    procsPath,
    procsPaths: [procsPath, ...resources.procsPaths],
    resources,
    pids,
    signal,
    async kill() {
      if (kind === 'v2') {
        try {
          writeFileSync(join(path, 'cgroup.kill'), '1')
        } catch {}
        return
      }
      const state = join(path, 'freezer.state')
      try {
        writeFileSync(state, 'FROZEN')
        const deadline = Date.now() + FREEZE_WAIT_MS
        while (readFileSync(state, 'utf8').trim() !== 'FROZEN' && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 10))
      } catch {}
      // Frozen, nothing in it can fork; SIGKILL takes effect as soon as it is thawed.
      signal('SIGKILL')
      try {
        writeFileSync(state, 'THAWED')
      } catch {}
    },
    remove() {
      try {
        rmdirSync(path)
      } catch {
        return false
      }
      resources.remove()
      return true
    },
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {}
}

/** A run id names a folder: only what a run id is made of, never a path. */
function checkedId(runId: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(runId)) throw new Error(`not a run id: ${JSON.stringify(runId)}`)
  return runId
}

interface Mount {
  root: string
  point: string
  type: string
  options: string[]
}

/** `/proc/self/mountinfo`: `id parent dev root point opts [tags…] - type source superopts`. */
function readMounts(text: string): Mount[] {
  const mounts: Mount[] = []
  for (const line of text.split('\n')) {
    const [before, after] = line.split(' - ')
    if (!before || !after) continue
    const fields = before.split(' ')
    const [type, , superOptions] = after.split(' ')
    mounts.push({
      root: unescapeMount(fields[3] ?? '/'),
      point: unescapeMount(fields[4] ?? ''),
      type: type ?? '',
      options: (superOptions ?? '').split(','),
    })
  }
  return mounts
}

/** `/proc/self/cgroup`: `id:controllers:path`; v2's line has no controllers (key ''). */
function readOwnGroups(text: string): Map<string, string> {
  const own = new Map<string, string>()
  for (const line of text.split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line)
    if (!match) continue
    for (const controller of (match[1] as string).split(','))
      own.set(controller, match[2] as string)
  }
  return own
}

/** The host's group: the parent of its leaf group, where it moved itself into one. */
function outOfHostLeaf(path: string): string {
  return path.endsWith(`/${HOST_LEAF}`) ? path.slice(0, -HOST_LEAF.length - 1) || '/' : path
}

/** The group's path below a mount of the hierarchy at `mountRoot` (a container sees a part). */
function relativeTo(mountRoot: string, path: string): string {
  if (mountRoot === '/' || !path.startsWith(mountRoot)) return path
  return path.slice(mountRoot.length) || '/'
}

/** Mount points write a space as `\040` (and so on). */
function unescapeMount(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  )
}
