/**
 * When a task is overdue (`expect:` in task.yaml), decided over data: a fire time passed by
 * `start_within` with no run started since, or a run going for longer than `finish_within`.
 * Pure, so that a timer only asks and a test needs none.
 */
import { formatDuration } from './duration.js'
import { formatMillis } from './time/iso.js'
import { timeZone } from './time/zone.js'
import type { EpochMicros, TaskExpectation } from './types.js'

export interface OverdueInput {
  expect: TaskExpectation
  /**
   * The earliest fire time (µs) that no run has answered: the schedule's next fire time as it
   * was when the last run started (or as a previous host left it). `null`: none expected.
   */
  owedFire: EpochMicros | null
  /** A paused schedule owes no fire. */
  paused: boolean
  /** The task's runs running now (a run for an earlier fire answers no later one). */
  running: readonly { id: string; startedAt: number | null }[]
  /** Epoch ms. */
  now: number
}

const UTC = timeZone('UTC')

/**
 * Why the task is overdue now, in words, or `null` when it is not.
 *
 * @example
 * overdueReason({ expect: { startWithinMs: 3000, finishWithinMs: null }, owedFire: 1e15,
 *   paused: false, running: [], now: 1e12 + 5000 }) // 'no run started within 3s of …'
 */
export function overdueReason(input: OverdueInput): string | null {
  const { expect, owedFire, now } = input
  if (expect.finishWithinMs !== null)
    for (const run of input.running) {
      if (run.startedAt === null) continue
      const took = now - run.startedAt
      if (took > expect.finishWithinMs)
        return `run ${run.id} has been running for ${formatDuration(took)}, longer than expect.finish_within (${formatDuration(expect.finishWithinMs)})`
    }
  if (expect.startWithinMs !== null && owedFire !== null && !input.paused) {
    const fireMs = Math.floor(owedFire / 1000)
    if (now - fireMs > expect.startWithinMs)
      return `no run started within ${formatDuration(expect.startWithinMs)} of its fire time ${formatMillis(fireMs, UTC)} (expect.start_within)`
  }
  return null
}
