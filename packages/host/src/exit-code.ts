/** The exit status a command reports for a run, as a shell would for the task itself. */
import { constants } from 'node:os'
import type { RunStatus } from '@tasse/core'

/**
 * 0 for a success, the task's own exit code when it has one, 124 for a timeout (as
 * `timeout(1)`), 128 + N for a task ended by signal N, 130 for a cancel (as Ctrl-C), and 1
 * for a run that never ran (skipped, missed, failed to start, interrupted).
 */
export function runExitCode(run: {
  status: RunStatus
  exitCode: number | null
  signal: string | null
}): number {
  if (run.status === 'succeeded') return 0
  if (run.status === 'timed_out') return 124
  if (run.status === 'cancelled') return 130
  if (run.exitCode !== null) return run.exitCode === 0 ? 1 : run.exitCode
  const signal = run.signal && (constants.signals as Record<string, number>)[run.signal]
  return signal ? 128 + signal : 1
}
