/**
 * A run's limits and its accounting through control groups: where each controller is (on the
 * run's cgroup v2 group, or in a v1 hierarchy of its own), how a limit is written and how what
 * the run used is read back.
 *
 * - cgroup v2: `memory.max` (and `memory.swap.max` 0, so that swap is no way around it),
 *   `cpu.max`, `pids.max`; `memory.peak` (Linux 5.19+), `cpu.stat`, `memory.events`' oom_kill.
 *   The controllers must be enabled in `tasse/cgroup.subtree_control`, which the kernel allows
 *   only where the host's own group passes them down, and it refuses that while the group has
 *   processes of its own (cgroup v2 has no processes in inner groups but the root): a container
 *   or a systemd service with `Delegate=yes` puts the host in such a group. So the host moves
 *   itself into a leaf of its group, `tasse-host/`, beside `tasse/` (as systemd's delegation
 *   guide asks); where other processes share its group the reason is kept and said at start.
 * - cgroup v1: a group per run in each of the memory, cpu, cpuacct and pids hierarchies
 *   (`memory.limit_in_bytes`, `cpu.cfs_quota_us`, `pids.max`; `memory.max_usage_in_bytes`,
 *   `cpuacct.usage_user`/`usage_sys`, `memory.oom_control`'s oom_kill).
 */
import { accessSync, constants, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { LimitKey, RunLimits } from './task-limits.js'

export type ResourceController = 'memory' | 'cpu' | 'cpuacct' | 'pids'
const V1_CONTROLLERS: readonly ResourceController[] = ['memory', 'cpu', 'cpuacct', 'pids']
const V2_CONTROLLERS = ['memory', 'cpu', 'pids'] as const
/** The leaf group the host moves itself into, beside `tasse/`, to pass controllers down. */
export const HOST_LEAF = 'tasse-host'

/** The file writes that `enableV2` makes (a test gives a kernel of its own). */
export interface CgroupWriter {
  write(file: string, text: string): void
}
const FS_WRITER: CgroupWriter = { write: (file, text) => writeFileSync(file, text) }

/** cpu.max's period: 100 ms, the kernel's default, so a quota is CPUs × 100 000 µs. */
const CPU_PERIOD_US = 100_000

/** Where the controllers are for the runs' groups of one host. */
export interface ResourcePlaces {
  /** Controllers enabled on the runs' v2 groups (the groups that hold and kill the run). */
  v2: readonly LimitKey[]
  /** Whether the v2 groups give `cpu.stat` (every v2 group does, controller or not). */
  v2Accounting: boolean
  /** v1 hierarchies: the folder that holds the runs' groups (`…/tasse`), per controller. */
  v1: Partial<Record<ResourceController, string>>
  /** Why a limit cannot be enforced here, for each that cannot. */
  missing: Partial<Record<LimitKey, string>>
}

/** What a run used, as far as its groups tell (`null`: not told). */
export interface ResourceUsage {
  peakMemoryBytes: number | null
  cpuUserSeconds: number | null
  cpuSystemSeconds: number | null
}

/** The resource side of one run's groups. */
export interface RunResources {
  /** The `cgroup.procs` of its v1 groups, which its first process joins with the v2 one. */
  readonly procsPaths: readonly string[]
  /** Writes `limits` (throws with the file and the system's reason when the kernel refuses). */
  apply(limits: RunLimits): void
  usage(): ResourceUsage
  /** Whether the kernel's OOM killer killed a process of the run. */
  oomKilled(): boolean
  /** Removes its v1 groups (once empty). */
  remove(): void
}

/**
 * Finds the controllers for runs whose v2 groups are in `v2Root` (`null`: no v2 group), and in
 * the v1 hierarchies `v1Roots` gives (controller → the folder for the runs' groups), making the
 * `tasse/` folders and enabling the v2 controllers on the way. Never throws.
 */
export function resourcePlaces(
  v2Root: string | null,
  v1Roots: Partial<Record<ResourceController, string>>,
  writer: CgroupWriter = FS_WRITER,
): ResourcePlaces {
  const places: ResourcePlaces = { v2: [], v2Accounting: v2Root !== null, v1: {}, missing: {} }
  const v2Missing = v2Root ? enableV2(v2Root, writer) : null
  if (v2Root)
    for (const controller of V2_CONTROLLERS)
      if (!v2Missing?.has(controller)) (places.v2 as LimitKey[]).push(controller)
  for (const controller of V1_CONTROLLERS) {
    const root = v1Roots[controller]
    if (!root || (controller !== 'cpuacct' && places.v2.includes(controller as LimitKey))) continue
    try {
      mkdirSync(root, { recursive: true })
      accessSync(join(root, 'cgroup.procs'), constants.W_OK)
      places.v1[controller] = root
    } catch {}
  }
  // v2's cpu.stat counts every run already: a v1 cpuacct group would only repeat it.
  if (places.v2Accounting) delete places.v1.cpuacct
  for (const key of V2_CONTROLLERS) {
    if (places.v2.includes(key) || places.v1[key]) continue
    places.missing[key] =
      v2Missing?.get(key) ??
      (v1Roots[key] ? `the ${key} hierarchy (cgroup v1) is not writable` : `no ${key} controller`)
  }
  return places
}

/** The resource side of the run whose v2 group is `v2Path` (`null`: none) and id `runId`. */
export function runResources(
  places: ResourcePlaces,
  v2Path: string | null,
  runId: string,
): RunResources {
  const v1: Partial<Record<ResourceController, string>> = {}
  const made: string[] = []
  for (const [controller, root] of Object.entries(places.v1) as [ResourceController, string][]) {
    const path = join(root, runId)
    // cpu and cpuacct often share one hierarchy (`cpu,cpuacct`): one group serves both.
    if (!made.includes(path)) {
      mkdirSync(path, { recursive: true })
      made.push(path)
    }
    v1[controller] = path
  }
  const v2 = (key: LimitKey) => (v2Path && places.v2.includes(key) ? v2Path : null)
  return {
    procsPaths: made.map((path) => join(path, 'cgroup.procs')),
    apply(limits) {
      const memory = limits.memoryBytes
      if (memory !== null) {
        const onV2 = v2('memory')
        if (onV2) {
          write(onV2, 'memory.max', memory)
          optional(() => write(onV2, 'memory.swap.max', 0))
        } else if (v1.memory) {
          write(v1.memory, 'memory.limit_in_bytes', memory)
          // Where swap is counted, memory + swap gets the same limit: swap is no way around it.
          optional(() => write(v1.memory as string, 'memory.memsw.limit_in_bytes', memory))
        }
      }
      if (limits.cpu !== null) {
        const quota = Math.max(1000, Math.round(limits.cpu * CPU_PERIOD_US))
        const onV2 = v2('cpu')
        if (onV2) write(onV2, 'cpu.max', `${quota} ${CPU_PERIOD_US}`)
        else if (v1.cpu) {
          write(v1.cpu, 'cpu.cfs_period_us', CPU_PERIOD_US)
          write(v1.cpu, 'cpu.cfs_quota_us', quota)
        }
      }
      if (limits.pids !== null) {
        const path = v2('pids') ?? v1.pids
        if (path) write(path, 'pids.max', limits.pids)
      }
    },
    usage() {
      const usage: ResourceUsage = {
        peakMemoryBytes: null,
        cpuUserSeconds: null,
        cpuSystemSeconds: null,
      }
      const memoryV2 = v2('memory')
      if (memoryV2) usage.peakMemoryBytes = readNumber(join(memoryV2, 'memory.peak'))
      else if (v1.memory)
        usage.peakMemoryBytes = readNumber(join(v1.memory, 'memory.max_usage_in_bytes'))
      if (v2Path && places.v2Accounting) {
        const stat = readKeyed(join(v2Path, 'cpu.stat'))
        if (stat.user_usec !== undefined) usage.cpuUserSeconds = stat.user_usec / 1e6
        if (stat.system_usec !== undefined) usage.cpuSystemSeconds = stat.system_usec / 1e6
      } else if (v1.cpuacct) {
        const user = readNumber(join(v1.cpuacct, 'cpuacct.usage_user'))
        const system = readNumber(join(v1.cpuacct, 'cpuacct.usage_sys'))
        usage.cpuUserSeconds = user === null ? null : user / 1e9
        usage.cpuSystemSeconds = system === null ? null : system / 1e9
      }
      return usage
    },
    oomKilled() {
      const memoryV2 = v2('memory')
      if (memoryV2) return (readKeyed(join(memoryV2, 'memory.events')).oom_kill ?? 0) > 0
      if (v1.memory) return (readKeyed(join(v1.memory, 'memory.oom_control')).oom_kill ?? 0) > 0
      return false
    },
    remove() {
      for (const path of made)
        try {
          rmdirSync(path)
        } catch {}
    },
  }
}

/**
 * Enables the memory, cpu and pids controllers for the groups in `root` (`<own>/tasse`), the
 * host's own group first, moving the host into its leaf group when processes in its group stop
 * that (EBUSY): what stays missing, with the kernel's reason.
 */
function enableV2(root: string, writer: CgroupWriter): Map<LimitKey, string> {
  const missing = new Map<LimitKey, string>()
  const own = join(root, '..')
  const available = readWords(join(own, 'cgroup.controllers'))
  const wanted = V2_CONTROLLERS.filter((controller) => {
    if (available.includes(controller)) return true
    missing.set(
      controller,
      `cgroup v2 does not give the ${controller} controller to the host's group ${own} (not delegated, or taken by a cgroup v1 hierarchy)`,
    )
    return false
  })
  let moved = false
  for (const controller of wanted) {
    const enable = (group: string) => {
      if (!readWords(join(group, 'cgroup.subtree_control')).includes(controller))
        writer.write(join(group, 'cgroup.subtree_control'), `+${controller}`)
    }
    try {
      try {
        enable(own)
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code !== 'EBUSY' || moved) throw cause
        moved = true
        const leaf = join(own, HOST_LEAF)
        mkdirSync(leaf, { recursive: true })
        writer.write(join(leaf, 'cgroup.procs'), String(process.pid))
        enable(own)
      }
      enable(root)
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code
      missing.set(
        controller,
        code === 'EBUSY'
          ? `cgroup v2 refuses to pass the ${controller} controller down from the host's group ${own} while other processes are in it (the host moved itself into ${HOST_LEAF}/): start the host alone in a group of its own (a container's, or a systemd service with Delegate=yes)`
          : `cannot enable the ${controller} controller in ${own}: ${(cause as Error).message}`,
      )
    }
  }
  return missing
}

function write(dir: string, file: string, value: string | number): void {
  try {
    writeFileSync(join(dir, file), String(value))
  } catch (cause) {
    throw new Error(`cannot write ${value} to ${join(dir, file)}: ${(cause as Error).message}`, {
      cause,
    })
  }
}

function optional(action: () => void): void {
  try {
    action()
  } catch {}
}

function readNumber(file: string): number | null {
  try {
    const value = Number(readFileSync(file, 'utf8').trim())
    return Number.isFinite(value) ? value : null
  } catch {
    return null
  }
}

function readWords(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean)
  } catch {
    return []
  }
}

/** A flat-keyed file (`cpu.stat`, `memory.events`, `memory.oom_control`): `key value` lines. */
function readKeyed(file: string): Record<string, number> {
  const values: Record<string, number> = {}
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [key, value] = line.trim().split(/\s+/)
      if (key && value !== undefined && Number.isFinite(Number(value))) values[key] = Number(value)
    }
  } catch {}
  return values
}
