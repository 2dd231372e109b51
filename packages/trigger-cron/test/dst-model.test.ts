/**
 * Daylight-saving transitions against an independent brute-force model of APSCHEDULER.md §7.1
 * (as §9 asks): enumerate the matching wall times on a transition-free calendar over a window
 * starting a few hours before `now`'s wall time, map each through the zone by PEP 495 (fold 0,
 * and fold 1 when `hour` is `*`; a gap reads with the offset before it), then sort, merge and
 * filter. The model asks `Intl` directly, not `@tasse/core`'s transition tables, and computes
 * each field's values from how the case was generated, not by parsing the expression.
 */
import { timeZone } from '@tasse/core'
import { chain, context, intlOffset, pep495, seededRandom } from '@tasse/test-support'
import { describe, expect, it } from 'vitest'
import { cronTrigger } from '../src/index.js'

const random = seededRandom(1986_01_01)
const integer = (min: number, max: number) => min + Math.floor(random() * (max - min + 1))
const chance = (p: number) => random() < p

/** Where the transitions are: each zone with a span of years to look for them in. */
const ZONES: Array<[zone: string, fromYear: number, toYear: number]> = [
  ['Europe/Paris', 2024, 2025],
  ['America/New_York', 2024, 2025],
  ['America/Sao_Paulo', 2018, 2019],
  ['Australia/Lord_Howe', 2024, 2025],
  ['Pacific/Chatham', 2024, 2025],
  ['Asia/Kathmandu', 1985, 1986],
]
const CASES_PER_TRANSITION = 60
const FIRES = 6

type TimeField = 'hour' | 'minute' | 'second'
const RANGES: Record<TimeField, [number, number]> = {
  hour: [0, 23],
  minute: [0, 59],
  second: [0, 59],
}

interface GeneratedField {
  expression: string
  values: number[]
}

/** A random expression and, computed apart from any parser, the values it stands for. */
function generateField(field: TimeField, near: number): GeneratedField {
  const [min, max] = RANGES[field]
  const range = (from: number, to: number, step = 1) => {
    const values: number[] = []
    for (let v = from; v <= to; v += step) values.push(v)
    return values
  }
  // Bias values towards the transition's wall time, where the policy matters.
  const value = () =>
    chance(0.7) ? Math.min(max, Math.max(min, near + integer(-1, 1))) : integer(min, max)
  // Seconds stay sparse so that the model's window holds few wall times.
  const forms = field === 'second' ? [1, 3, 5] : [0, 1, 2, 3, 4, 5]
  switch (forms[integer(0, forms.length - 1)]) {
    case 0:
      return { expression: '*', values: range(min, max) }
    case 1: {
      const step = field === 'second' ? integer(10, 30) : integer(1, Math.min(30, max - min))
      return { expression: `*/${step}`, values: range(min, max, step) }
    }
    case 2: {
      const a = value()
      return { expression: String(a), values: [a] }
    }
    case 3: {
      const a = value()
      const b = Math.min(max, a + integer(0, 3))
      return { expression: `${a}-${b}`, values: range(a, b) }
    }
    case 4: {
      const a = Math.min(value(), max - 1)
      const step = integer(1, Math.min(20, max - a))
      return { expression: `${a}/${step}`, values: range(a, max, step) }
    }
    default: {
      const a = value()
      const b = value()
      return { expression: `${a},${b}`, values: [...new Set([a, b])].sort((x, y) => x - y) }
    }
  }
}

interface ModelCase {
  zone: string
  options: Record<string, unknown>
  sets: Record<TimeField, number[]>
  hourIsStar: boolean
  now: number
}

function generateCase(zone: string, transitionAt: number): ModelCase {
  const nowSeconds = transitionAt + integer(-5 * 3600, 2 * 3600)
  const now = nowSeconds * 1e6 + (chance(0.2) ? integer(1, 999_999) : 0)
  const wall = transitionAt + intlOffset(zone, transitionAt - 1)
  const near: Record<TimeField, number> = {
    hour: Math.floor((wall % 86_400) / 3600),
    minute: Math.floor((wall % 3600) / 60),
    second: 0,
  }
  const given = (['hour', 'minute', 'second'] as const).filter(() => chance(0.55))
  if (given.length === 0) given.push('minute')
  const least = (['hour', 'minute', 'second'] as const).indexOf(
    given[given.length - 1] as TimeField,
  )
  const options: Record<string, unknown> = { timezone: zone }
  const sets = {} as Record<TimeField, number[]>
  let hourIsStar = false
  ;(['hour', 'minute', 'second'] as const).forEach((field, index) => {
    if (given.includes(field)) {
      const generated = generateField(field, near[field])
      options[field] = generated.expression
      sets[field] = generated.values
      if (field === 'hour') hourIsStar = generated.expression === '*'
    } else if (index > least) {
      sets[field] = [0]
    } else {
      sets[field] = Array.from({ length: RANGES[field][1] + 1 }, (_, v) => v)
      if (field === 'hour') hourIsStar = true
    }
  })
  return { zone, options, sets, hourIsStar, now }
}

/** §7.1 by brute force: the first `count` instants ≥ now (epoch seconds). */
function model(c: ModelCase, count: number): number[] {
  const start = Math.ceil(c.now / 1e6)
  const startWall = start + intlOffset(c.zone, start)
  const firstDay = Math.floor((startWall - 3 * 3600) / 86_400)
  const instants = new Set<number>()
  // A wall time W lands at W minus one of the zone's offsets around now (the cases stay within
  // a day or two of one transition), so at or after W − (largest offset).
  const largestOffset = Math.max(
    intlOffset(c.zone, start - 3 * 86_400),
    intlOffset(c.zone, start),
    intlOffset(c.zone, start + 3 * 86_400),
  )
  for (let day = firstDay; day < firstDay + 40; day++) {
    for (const hour of c.sets.hour) {
      // Complete once `count` instants are known and no later wall can land below them.
      const sorted = [...instants].filter((i) => i >= start).sort((a, b) => a - b)
      const nextWall = day * 86_400 + hour * 3600
      if (sorted.length >= count && nextWall - largestOffset > (sorted[count - 1] as number)) {
        return sorted.slice(0, count)
      }
      for (const minute of c.sets.minute) {
        for (const second of c.sets.second) {
          const wall = day * 86_400 + hour * 3600 + minute * 60 + second
          if (wall < startWall - 3 * 3600) continue
          const { fold0, fold1, gap } = pep495(c.zone, wall)
          instants.add(fold0)
          if (!gap && c.hourIsStar) instants.add(fold1)
        }
      }
    }
  }
  return [...instants]
    .filter((i) => i >= start)
    .sort((a, b) => a - b)
    .slice(0, count)
}

describe('cron trigger at DST transitions vs a brute-force model of §7.1', () => {
  for (const [zone, fromYear, toYear] of ZONES) {
    const from = Date.UTC(fromYear, 0, 1) / 1000
    const to = Date.UTC(toYear, 11, 31) / 1000
    const transitions = timeZone(zone).transitionsBetween(from, to)

    it(`${zone}: ${transitions.length} transitions × ${CASES_PER_TRANSITION} random schedules agree with the model`, () => {
      expect(transitions.length).toBeGreaterThan(0)
      const mismatches: string[] = []
      let compared = 0
      for (const transition of transitions) {
        for (let i = 0; i < CASES_PER_TRANSITION; i++) {
          const c = generateCase(zone, transition.at)
          const expected = model(c, FIRES).map((s) => s * 1e6)
          const actual = chain(cronTrigger(c.options, context()), c.now, FIRES)
          if (JSON.stringify(expected) !== JSON.stringify(actual)) {
            mismatches.push(
              `${JSON.stringify(c.options)} now=${c.now}: model ${expected}, Tasse ${actual}`,
            )
          }
          compared += expected.length
        }
      }
      console.info(
        `[dst-model] ${zone}: ${compared} fire times compared, ${mismatches.length} mismatches`,
      )
      expect(mismatches.slice(0, 5)).toEqual([])
      expect(compared).toBeGreaterThan(transitions.length * CASES_PER_TRANSITION * (FIRES - 1))
    })
  }
})
