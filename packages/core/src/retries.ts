/**
 * Retries: whether a run that ended gets another attempt, and after how long (`retries:` in
 * task.yaml: `max` further attempts, the first after `delay`, each next one `backoff` times
 * longer). Only failures and timeouts are retried; a cancel, a skip or an interruption is not.
 */
import { MAX_DURATION_MS } from './duration.js'
import type { RetryPolicy, Run } from './types.js'

/**
 * Milliseconds before the next attempt of `run`, or `null` when it gets none. A backoff never
 * takes the delay past `MAX_DURATION_MS` (366 days): `backoff: 10` would reach infinity.
 *
 * @example
 * retryDelay({ max: 2, delayMs: 30_000, backoff: 2 }, { status: 'failed', attempt: 2 }) // 60_000
 */
export function retryDelay(
  policy: RetryPolicy | null,
  run: Pick<Run, 'status' | 'attempt'>,
): number | null {
  if (!policy || (run.status !== 'failed' && run.status !== 'timed_out')) return null
  if (run.attempt > policy.max) return null
  return Math.min(policy.delayMs * policy.backoff ** (run.attempt - 1), MAX_DURATION_MS)
}
