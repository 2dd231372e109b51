/**
 * `limits:` of task.yaml (and the host's defaults, in the same words): how much memory, CPU and
 * processes a run may use. Read here, enforced through the run's control group
 * (`cgroup-resources.ts`). A size is binary, as Docker's and systemd's are: `512M` is 512 MiB.
 */
import { TasseConfigError } from './errors.js'
import type { ConfigLocation, JsonSchema } from './types.js'
import { show, unknownKeyProblem } from './wording.js'

/** What a run may use; `null`: no limit. */
export interface RunLimits {
  /** Bytes of memory (RAM) for all of the run's processes together. */
  memoryBytes: number | null
  /** CPUs' worth of time per second: 0.5 is half of one core, 2 is two cores. */
  cpu: number | null
  /** Processes (and threads) at once, the run's first process included. */
  pids: number | null
}

export const LIMIT_KEYS = ['memory', 'cpu', 'pids'] as const
export type LimitKey = (typeof LIMIT_KEYS)[number]

export const NO_LIMITS: RunLimits = Object.freeze({ memoryBytes: null, cpu: null, pids: null })

/** A size such as `512M`, `1.5G`, `65536K` or a number of bytes: binary units, `B`/`iB` allowed. */
export const MEMORY_TEXT = /^\s*(\d+(?:\.\d+)?)\s*(?:([KMGTkmgt])(?:[iI]?[bB]|[iI])?|[bB])?\s*$/
/** Less than this cannot even start a shell: a typo such as `memory: 512` (bytes) is refused. */
export const MIN_MEMORY_BYTES = 4 * 1024 * 1024
/** cpu.max's quota is at least 1 ms a period: 0.01 of a 100 ms period. */
export const MIN_CPU = 0.01
const UNITS: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }

/**
 * Reads `limits:` at `at` (`{memory, cpu, pids}`, each optional); absent or `null`: none.
 * Throws a `TasseConfigError` naming the key (`limits.memory`), what is expected and the value.
 *
 * @example
 * const limits = readLimits({ memory: '512M', cpu: 0.5 }, { file: 'task.yaml', field: 'limits' })
 * // { memoryBytes: 536870912, cpu: 0.5, pids: null }
 */
export function readLimits(value: unknown, at: ConfigLocation): RunLimits {
  if (value === undefined || value === null) return { ...NO_LIMITS }
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TasseConfigError(
      at,
      `must be a mapping such as "{memory: 512M, cpu: 0.5, pids: 256}", got ${show(value)}`,
    )
  const limits = value as Record<string, unknown>
  const here = (key: string): ConfigLocation => ({
    ...at,
    field: at.field ? `${at.field}.${key}` : key,
  })
  for (const key of Object.keys(limits))
    if (!(LIMIT_KEYS as readonly string[]).includes(key))
      throw new TasseConfigError(here(key), unknownKeyProblem(key, LIMIT_KEYS))
  return {
    memoryBytes: readMemory(limits.memory, here('memory')),
    cpu: readCpu(limits.cpu, here('cpu')),
    pids: readPids(limits.pids, here('pids')),
  }
}

/** The task's own limits, and the host's defaults for those it does not set. */
export function effectiveLimits(task: RunLimits, defaults: RunLimits = NO_LIMITS): RunLimits {
  return {
    memoryBytes: task.memoryBytes ?? defaults.memoryBytes,
    cpu: task.cpu ?? defaults.cpu,
    pids: task.pids ?? defaults.pids,
  }
}

/** The limits that are set, by key (for messages: `memory 64 MiB, cpu 0.2`). */
export function setLimits(limits: RunLimits): LimitKey[] {
  const set: LimitKey[] = []
  if (limits.memoryBytes !== null) set.push('memory')
  if (limits.cpu !== null) set.push('cpu')
  if (limits.pids !== null) set.push('pids')
  return set
}

function readMemory(value: unknown, at: ConfigLocation): number | null {
  if (value === undefined || value === null) return null
  const expected = `must be a size such as 512M, 1G or 1.5G (binary units: 1M = 1024K), at least 4M`
  let bytes = Number.NaN
  if (typeof value === 'number') bytes = value
  else if (typeof value === 'string') {
    const match = MEMORY_TEXT.exec(value)
    if (match) bytes = Number(match[1]) * (UNITS[(match[2] ?? '').toUpperCase()] ?? 1)
  }
  if (!Number.isFinite(bytes) || bytes < MIN_MEMORY_BYTES || bytes > Number.MAX_SAFE_INTEGER)
    throw new TasseConfigError(at, `${expected}, got ${show(value)}`)
  return Math.floor(bytes)
}

function readCpu(value: unknown, at: ConfigLocation): number | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'number' && Number.isFinite(value) && value >= MIN_CPU && value <= 4096)
    return value
  throw new TasseConfigError(
    at,
    `must be a number of CPUs from ${MIN_CPU} to 4096 (0.5: half of one core), got ${show(value)}`,
  )
}

function readPids(value: unknown, at: ConfigLocation): number | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'number' && Number.isInteger(value) && value >= 2 && value <= 4_194_304)
    return value
  throw new TasseConfigError(
    at,
    `must be a whole number of processes, at least 2 (the run's shell and its command), got ${show(value)}`,
  )
}

/** `limits:`'s JSON Schema (as loose as `readLimits`, never stricter). */
export const LIMITS_SCHEMA: JsonSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  description:
    "What a run may use, enforced through its control group: memory (512M), cpu (0.5 of one core), pids. Default: the host's --limits.",
  properties: {
    memory: {
      anyOf: [
        { type: 'null' },
        { type: 'number', minimum: MIN_MEMORY_BYTES },
        { type: 'string', pattern: MEMORY_TEXT.source },
      ],
      description:
        "Memory of all of the run's processes together; past it the kernel's OOM killer ends the run (failed: out of memory).",
      examples: ['64M', '512M', '2G'],
    },
    cpu: {
      type: ['number', 'null'],
      minimum: MIN_CPU,
      maximum: 4096,
      description: 'CPUs the run may keep busy: 0.5 is half of one core.',
    },
    pids: {
      type: ['integer', 'null'],
      minimum: 2,
      maximum: 4_194_304,
      description: 'Processes and threads at once; a fork past it fails.',
    },
  } satisfies Record<LimitKey, JsonSchema>,
}
