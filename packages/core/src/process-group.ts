/**
 * Process groups: every run is spawned as the leader of its own group, so that a timeout, a
 * cancel or a shutdown ends the task's grandchildren too, and so that a host restarted after a
 * crash can find what is left of a run without touching an unrelated process.
 */
import { readFileSync } from 'node:fs'

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
