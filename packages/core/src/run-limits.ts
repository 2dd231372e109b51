/**
 * The limits of each run on this host: the task's `limits:` over the host's defaults, written
 * into the run's control group; what cannot be enforced here is said once, with the reason.
 * And how a run's end reads once its usage is known (`out of memory`).
 *
 * No rlimit stands in where there is no control group: RLIMIT_AS counts address space, not
 * memory (a JVM, Go or Node reserve gigabytes they never touch, and fail at start), and it is
 * per process, so ten processes get ten times the limit; RLIMIT_NPROC counts every process of
 * the user, the host's and other runs' included, so one run's fork loop would starve the rest;
 * RLIMIT_CPU is CPU seconds in total, which ends a run rather than slowing it.
 */
import type { ChildUsage } from './child-process.js'
import type { RunCgroup, RunCgroups } from './run-cgroup.js'
import {
  effectiveLimits,
  LIMIT_KEYS,
  type LimitKey,
  NO_LIMITS,
  type RunLimits,
  setLimits,
} from './task-limits.js'
import type { RunStatus, TaskDefinition, TasseLogger } from './types.js'

/** The reason of a run the kernel's OOM killer ended. */
export const OUT_OF_MEMORY = 'out of memory'

export class RunLimiter {
  /** The limits already said to be missing here (each is said once). */
  readonly #told = new Set<LimitKey>()

  constructor(
    private readonly cgroups: () => RunCgroups | null,
    private readonly defaults: RunLimits = NO_LIMITS,
    private readonly logger: TasseLogger,
    /** Why there is no control group where `cgroups()` gives none. */
    private readonly noCgroupReason = 'no writable control group for the host',
  ) {}

  /** What this host enforces, in one line (said at start). */
  describe(): string {
    const cgroups = this.cgroups()
    const defaults = setLimits(this.defaults)
    const suffix = defaults.length ? ` (host defaults: ${describeLimits(this.defaults)})` : ''
    if (!cgroups)
      return `limits: not enforced, ${this.noCgroupReason}; runs are still accounted (wait4)${suffix}`
    const { places } = cgroups
    const enforced = LIMIT_KEYS.filter((key) => !places.missing[key]).map(
      (key) => `${key} (cgroup ${places.v2.includes(key) ? 'v2' : 'v1'})`,
    )
    return [
      `limits enforced: ${enforced.length ? enforced.join(', ') : 'none'}${suffix}`,
      ...Object.entries(places.missing).map(([key, why]) => `limits: ${key} not enforced, ${why}`),
    ].join('\n')
  }

  /**
   * Writes the limits of `task`'s run into `cgroup`; a limit this host cannot enforce is said
   * once (a warning). Throws when the kernel refuses a value.
   */
  apply(task: TaskDefinition, cgroup: RunCgroup | null): void {
    const limits = effectiveLimits(task.limits, this.defaults)
    const wanted = setLimits(limits)
    if (wanted.length === 0) return
    for (const key of wanted) {
      const why = cgroup
        ? this.cgroups()?.places.missing[key]
        : this.cgroups()
          ? 'the run has no control group of its own'
          : this.noCgroupReason
      if (why && !this.#told.has(key)) {
        this.#told.add(key)
        this.logger.warn(
          `task "${task.name}": limits.${key} is not enforced on this host (${why}); said once`,
        )
      }
    }
    cgroup?.resources.apply(limits)
  }
}

/** `memory 64 MiB, cpu 0.2, pids 32`. */
export function describeLimits(limits: RunLimits): string {
  const parts: string[] = []
  if (limits.memoryBytes !== null) parts.push(`memory ${formatBytes(limits.memoryBytes)}`)
  if (limits.cpu !== null) parts.push(`cpu ${limits.cpu}`)
  if (limits.pids !== null) parts.push(`pids ${limits.pids}`)
  return parts.join(', ')
}

/** 1.5 GiB, 64 MiB, 12 KiB, 300 B. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  const text = unit === 0 || value >= 100 ? String(Math.round(value)) : value.toFixed(1)
  return `${text.replace(/\.0$/, '')} ${units[unit]}`
}

/**
 * A run's end once its usage is known: a run that failed after the OOM killer ended one of its
 * processes failed `out of memory` (a bare SIGKILL said nothing); one whose task survived the
 * kill and failed anyway says both.
 */
export function withOutOfMemory(
  ended: { status: RunStatus; error: string | null },
  signal: string | null,
  usage: Pick<ChildUsage, 'oomKilled'> | null,
): { status: RunStatus; error: string | null } {
  if (!usage?.oomKilled || ended.status !== 'failed') return ended
  if (signal === 'SIGKILL') return { status: 'failed', error: OUT_OF_MEMORY }
  return {
    status: 'failed',
    error: `${ended.error} (${OUT_OF_MEMORY}: the kernel killed one of its processes)`,
  }
}
