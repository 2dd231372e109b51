import { describe, expect, it } from 'vitest'
import { overdueReason } from './overdue.js'

const FIRE = Date.UTC(2026, 0, 30, 12, 0, 0) // ms
const both = { startWithinMs: 3000, finishWithinMs: 60_000 }

describe('overdueReason', () => {
  it('is not overdue until start_within has passed after an unanswered fire time', () => {
    const input = { expect: both, owedFire: FIRE * 1000, paused: false, running: [] }
    expect(overdueReason({ ...input, now: FIRE + 3000 })).toBeNull()
    expect(overdueReason({ ...input, now: FIRE + 3001 })).toBe(
      'no run started within 3s of its fire time 2026-01-30T12:00:00.000+00:00 (expect.start_within)',
    )
  })

  it('owes nothing while paused, or without a fire time', () => {
    const late = { expect: both, running: [], now: FIRE + 10_000 }
    expect(overdueReason({ ...late, owedFire: FIRE * 1000, paused: true })).toBeNull()
    expect(overdueReason({ ...late, owedFire: null, paused: false })).toBeNull()
  })

  it('is overdue when a run goes on past finish_within, naming it', () => {
    const input = { expect: both, owedFire: null, paused: false }
    const running = [{ id: 'r1', startedAt: FIRE }]
    expect(overdueReason({ ...input, running, now: FIRE + 60_000 })).toBeNull()
    expect(overdueReason({ ...input, running, now: FIRE + 61_000 })).toBe(
      'run r1 has been running for 1m 1s, longer than expect.finish_within (1m)',
    )
  })

  it('checks only what expect sets', () => {
    const running = [{ id: 'r1', startedAt: FIRE }]
    const now = FIRE + 3_600_000
    expect(
      overdueReason({
        expect: { startWithinMs: null, finishWithinMs: 60_000 },
        owedFire: FIRE * 1000,
        paused: false,
        running: [],
        now,
      }),
    ).toBeNull()
    expect(
      overdueReason({
        expect: { startWithinMs: 3000, finishWithinMs: null },
        owedFire: null,
        paused: false,
        running,
        now,
      }),
    ).toBeNull()
  })
})
