/**
 * The CPU time a piece of work takes, for tests that guard against a slow algorithm (a walk
 * from a start date on every call, a catastrophic pattern). Wall time would also count every
 * other process on a loaded CI machine; this process's CPU time does not.
 *
 * @example
 * import { cpuMillis } from '@tasse/core/testing'
 * const { result, ms } = cpuMillis(() => [3, 1, 2].sort())
 */
export function cpuMillis<T>(work: () => T): { result: T; ms: number } {
  const started = process.cpuUsage()
  const result = work()
  const used = process.cpuUsage(started)
  return { result, ms: (used.user + used.system) / 1000 }
}
