/**
 * What is left of a run where it has no control group of its own (`run-cgroup.ts`): the
 * processes whose environment carries the run's `TASSE_RUN_ID`, found in `/proc`. A `setsid`
 * daemon leaves the run's process group but keeps the environment it was given, unless it
 * clears it; this is the best a host without cgroups can do, and the README says so.
 */
import { readdirSync, readFileSync } from 'node:fs'

/**
 * The pids of live processes whose environment holds `name=value` (those of other users are
 * not readable, and not ours to end anyway). Empty where there is no /proc.
 *
 * @example
 * const runId = '01m8g4dva07sk09q'
 * for (const pid of pidsWithEnv('TASSE_RUN_ID', runId)) process.kill(pid, 'SIGKILL')
 */
export function pidsWithEnv(name: string, value: string, proc = '/proc'): number[] {
  const entry = Buffer.from(`${name}=${value}\0`)
  const found: number[] = []
  let names: string[]
  try {
    names = readdirSync(proc)
  } catch {
    return found
  }
  for (const pidText of names) {
    if (!/^\d+$/.test(pidText)) continue
    const pid = Number(pidText)
    if (pid === process.pid) continue
    try {
      const environ = readFileSync(`${proc}/${pid}/environ`)
      // The variable starts the block or follows a NUL: `XTASSE_RUN_ID=` is another variable.
      const at = environ.indexOf(entry)
      if (at === 0 || (at > 0 && environ.indexOf(Buffer.concat([Buffer.from([0]), entry])) >= 0))
        found.push(pid)
    } catch {}
  }
  return found
}
