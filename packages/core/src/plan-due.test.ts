import { describe, expect, it } from 'vitest'
import { type DueState, MAX_LISTED_MISSES, planDue } from './plan-due.js'
import type { EpochMicros } from './types.js'

const s = (seconds: number): EpochMicros => seconds * 1_000_000
/** A fire every 10 s from 0, ending after 1000 s. */
const every10s = (previous: EpochMicros) => (previous + s(10) > s(1000) ? null : previous + s(10))
const state = (next: number | null, extra: Partial<DueState> = {}): DueState => ({
  next: next === null ? null : s(next),
  last: null,
  catchUpBefore: 0,
  paused: false,
  ...extra,
})
const plan = (at: DueState, now: number, misfireGraceTime: number | null, coalesce: boolean) =>
  planDue(at, s(now), { job: { misfireGraceTime, coalesce }, nextFireTime: every10s })
const seconds = (times: readonly EpochMicros[]) => times.map((t) => t / 1_000_000)
/** A plan in seconds, for tables that read. */
const readable = (p: ReturnType<typeof planDue>) => ({
  run: p.run.map((r) => r.at / 1_000_000),
  missed: p.missed && { ...p.missed, times: seconds(p.missed.times) },
  last: p.last === null ? null : p.last / 1_000_000,
  next: p.next === null ? null : p.next / 1_000_000,
})

const LATE_1 = 'more than 1s late (misfire_grace_time: 1)'
const LATE_30 = 'more than 30s late (misfire_grace_time: 30)'
const COALESCED = 'coalesced with a later fire time (coalesce: true)'

describe('planDue (APScheduler 3 misfire_grace_time and coalesce)', () => {
  it.each([
    // name, next, now, misfire_grace_time, coalesce → plan (seconds)
    ['nothing due yet', 20, 19.9, 1, true, { run: [], missed: null, last: null, next: 20 }],
    ['one fire, on time', 20, 20, 1, true, { run: [20], missed: null, last: 20, next: 30 }],
    [
      'one fire, within the grace',
      20,
      21,
      1,
      true,
      { run: [20], missed: null, last: 20, next: 30 },
    ],
    [
      'one fire, past the grace',
      20,
      21.5,
      1,
      true,
      { run: [], missed: { times: [20], more: 0, why: LATE_1 }, last: 20, next: 30 },
    ],
    [
      'null grace: never too late',
      20,
      5000,
      null,
      false,
      expect.objectContaining({ missed: null }),
    ],
    [
      'several due, coalesced into the last, within the grace',
      0,
      30.5,
      1,
      true,
      { run: [30], missed: { times: [0, 10, 20], more: 0, why: COALESCED }, last: 30, next: 40 },
    ],
    [
      'several due, coalesced, the last past the grace too',
      0,
      35,
      1,
      true,
      { run: [], missed: { times: [0, 10, 20, 30], more: 0, why: LATE_1 }, last: 30, next: 40 },
    ],
    [
      'several due, not coalesced, those within the grace run',
      0,
      45,
      30,
      false,
      { run: [20, 30, 40], missed: { times: [0, 10], more: 0, why: LATE_30 }, last: 40, next: 50 },
    ],
    [
      'several due, null grace and coalesce: one catch-up for all',
      0,
      45,
      null,
      true,
      {
        run: [40],
        missed: { times: [0, 10, 20, 30], more: 0, why: COALESCED },
        last: 40,
        next: 50,
      },
    ],
    [
      'several due, null grace, no coalescing: every one runs',
      0,
      45,
      null,
      false,
      { run: [0, 10, 20, 30, 40], missed: null, last: 40, next: 50 },
    ],
    [
      'the schedule ends among the due times',
      980,
      5000,
      null,
      true,
      {
        run: [1000],
        missed: { times: [980, 990], more: 0, why: COALESCED },
        last: 1000,
        next: null,
      },
    ],
    ['no next fire time', null, 5000, 1, true, { run: [], missed: null, last: null, next: null }],
  ] as const)('%s', (_, next, now, grace, coalesce, expected) => {
    expect(readable(plan(state(next), now, grace, coalesce))).toEqual(expected)
  })

  it('runs nothing and reaches nothing for a paused task', () => {
    const paused = state(0, { paused: true, last: s(-10) })
    expect(readable(plan(paused, 45, null, false))).toEqual({
      run: [],
      missed: null,
      last: -10,
      next: 0,
    })
  })

  it('marks the fires that fell due while the host was down as catch-ups', () => {
    const restarted = state(0, { catchUpBefore: s(25) })
    expect(plan(restarted, 31, null, false).run).toEqual([
      { at: s(0), catchUp: true },
      { at: s(10), catchUp: true },
      { at: s(20), catchUp: true },
      { at: s(30), catchUp: false },
    ])
  })

  it('lists at most MAX_LISTED_MISSES missed times and counts the rest, with bounded memory', () => {
    let calls = 0
    const everySecond = (previous: EpochMicros) => {
      calls++
      return previous + s(1)
    }
    const day = 86_400
    const coalesced = planDue(state(0), s(day), {
      job: { misfireGraceTime: 1, coalesce: true },
      nextFireTime: everySecond,
    })
    expect(calls).toBe(day + 1)
    expect(coalesced.run).toEqual([{ at: s(day), catchUp: false }])
    expect(coalesced.missed?.times).toHaveLength(MAX_LISTED_MISSES)
    expect((coalesced.missed?.times.length ?? 0) + (coalesced.missed?.more ?? 0)).toBe(day)
    expect(coalesced.next).toBe(s(day + 1))

    const all = planDue(state(0), s(day), {
      job: { misfireGraceTime: null, coalesce: false },
      nextFireTime: everySecond,
    })
    // Only the newest due times are kept to run; the older ones are counted as missed.
    expect(all.run.length).toBeLessThanOrEqual(MAX_LISTED_MISSES * 2)
    expect(all.run.at(-1)).toEqual({ at: s(day), catchUp: false })
    expect(all.run.length + (all.missed?.more ?? 0)).toBe(day + 1)
    expect(all.missed?.why).toMatch(/fire times due at once \(only the newest run\)$/)
  })
})
