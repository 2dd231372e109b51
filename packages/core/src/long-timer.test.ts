import { afterEach, describe, expect, it, vi } from 'vitest'
import { MAX_NODE_TIMER_MS, setLongTimeout } from './long-timer.js'

afterEach(() => {
  vi.useRealTimers()
})

describe('setLongTimeout', () => {
  // Issue #12, item 4: `timeout: 30d` killed its run after 41 ms (Node clamps the delay to 1 ms).
  it('waits 30 days, not 1 ms, through chained timers', () => {
    vi.useFakeTimers()
    const called = vi.fn()
    setLongTimeout(called, 30 * 86_400_000)
    vi.advanceTimersByTime(MAX_NODE_TIMER_MS)
    expect(called).not.toHaveBeenCalled()
    vi.advanceTimersByTime(30 * 86_400_000 - MAX_NODE_TIMER_MS - 1)
    expect(called).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(called).toHaveBeenCalledOnce()
  })

  it('is cleared in any of its links', () => {
    vi.useFakeTimers()
    const called = vi.fn()
    const timer = setLongTimeout(called, 3 * MAX_NODE_TIMER_MS)
    vi.advanceTimersByTime(MAX_NODE_TIMER_MS + 5)
    timer.clear()
    vi.advanceTimersByTime(3 * MAX_NODE_TIMER_MS)
    expect(called).not.toHaveBeenCalled()
  })

  it('calls a short one once, on time', async () => {
    const started = Date.now()
    await new Promise<void>((resolve) => setLongTimeout(resolve, 20))
    expect(Date.now() - started).toBeGreaterThanOrEqual(19)
  })

  it('refuses a delay that is not a finite number', () => {
    expect(() => setLongTimeout(() => {}, Number.POSITIVE_INFINITY)).toThrow(/finite/)
    expect(() => setLongTimeout(() => {}, Number.NaN)).toThrow(/finite/)
  })
})
