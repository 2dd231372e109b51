/**
 * Timers of any length. Node keeps a timer's delay in a signed 32-bit integer: a delay above
 * 2^31-1 ms (24.86 days) is replaced by 1 ms, so `timeout: 30d` killed its run after a moment.
 * Every delay Tasse takes from a person (a timeout, a retry delay, a shutdown grace) goes through
 * `setLongTimeout`, which chains timers of at most that length.
 */

/** The longest delay one Node timer holds (2^31-1 ms, about 24.86 days). */
export const MAX_NODE_TIMER_MS = 2 ** 31 - 1

/** A timer started by `setLongTimeout`. */
export interface LongTimeout {
  /** Stops it; `callback` is not called. */
  clear(): void
  /** Lets the process exit while it waits (as `Timeout.unref`). */
  unref(): LongTimeout
}

/**
 * Calls `callback` once, `delayMs` from now, whatever the length of the delay (chained timers).
 * A delay that is not a finite number is refused: it would otherwise become 1 ms.
 *
 * @example
 * const timer = setLongTimeout(() => console.log('a month later'), 30 * 86_400_000)
 * timer.clear()
 */
export function setLongTimeout(callback: () => void, delayMs: number): LongTimeout {
  if (!Number.isFinite(delayMs))
    throw new RangeError(`a timer's delay must be a finite number of ms, got ${delayMs}`)
  // Counted down by the steps the timers took (monotonic), not by the wall clock: a clock
  // stepped back must not stretch a timeout.
  let remaining = Math.max(0, delayMs)
  let unref = false
  let timer: NodeJS.Timeout
  const arm = (): void => {
    const step = Math.min(remaining, MAX_NODE_TIMER_MS)
    timer = setTimeout(() => {
      remaining -= step
      if (remaining > 0) arm()
      else callback()
    }, step)
    if (unref) timer.unref()
  }
  arm()
  return {
    clear: () => clearTimeout(timer),
    unref() {
      unref = true
      timer.unref()
      return this
    },
  }
}
