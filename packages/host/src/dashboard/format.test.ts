import type { Run } from '@tasse/core'
import { describe, expect, it } from 'vitest'
import { formatDuration, runStrip, statusBadge } from './format.js'

describe('formatDuration', () => {
  it.each([
    [0, '0.0 s'],
    [420, '0.4 s'],
    [12_300, '12 s'],
    [185_000, '3 min 5 s'],
    [180_000, '3 min'],
    [3_900_000, '1 h 5 min'],
    [3 * 86_400_000 + 3_600_000, '3 d 1 h'],
  ])('%d ms is "%s"', (ms, text) => expect(formatDuration(ms)).toBe(text))
})

describe('status', () => {
  it('shows a symbol and the word, not colour alone', () => {
    expect(String(statusBadge('timed_out'))).toBe(
      '<span class="status status-timed_out">⏱ timed out</span>',
    )
  })

  it('strips runs oldest first with a summary in words', () => {
    const run = (id: string, status: Run['status']) => ({ id, status, queuedAt: 0 }) as Run
    const strip = String(
      runStrip([run('b', 'failed'), run('a', 'succeeded'), run('c', 'cancelled')]),
    )
    expect(strip).toContain('aria-label="last 3 runs: 1 cancelled, 1 succeeded, 1 failed"')
    expect(strip).toContain(
      '<i class="status-cancelled">⊘</i><i class="status-succeeded">✓</i><i class="status-failed">✗</i>',
    )
  })
})
