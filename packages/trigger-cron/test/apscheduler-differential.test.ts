/**
 * Differential tests against APScheduler 3.9.1 itself (APSCHEDULER.md §9): thousands of seeded
 * random cron schedules over every field form and seven zones, chained as the scheduler chains
 * them, compared instant for instant wherever the wall clock is continuous. A fire time whose
 * search crossed a daylight-saving transition ends the comparison of its case: there Tasse
 * follows its own policy (checked in dst-model.test.ts), and APScheduler 3.9 has known bugs.
 *
 * The same random generator also makes invalid values: whatever APScheduler rejects, Tasse must
 * reject, and whatever it accepts (outside the "may reject" list of §8), Tasse must accept.
 *
 * APScheduler runs once for the whole file, in one Python process.
 */
import { type EpochMicros, formatInstant, TasseConfigError, timeZone } from '@tasse/core'
import {
  chain,
  context,
  hasApscheduler,
  type OracleAnswer,
  type OracleCase,
  runOracle,
  seededRandom,
} from '@tasse/test-support'
import { beforeAll, describe, expect, it } from 'vitest'
import { cronTrigger } from '../src/index.js'

const SKIP = '(skipped: python3-apscheduler absent)'
const ZONES = [
  'UTC',
  'Europe/Paris',
  'America/New_York',
  'America/Sao_Paulo',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
]
const VALID_CASES = 5000
const INVALID_CASES = 600
const FIRES_PER_CASE = 6
const DAY_MICROS = 86_400_000_000

const random = seededRandom(20240331)
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
const integer = (min: number, max: number) => min + Math.floor(random() * (max - min + 1))
const chance = (p: number) => random() < p

const FIELD_RANGES: Record<string, [number, number]> = {
  year: [1970, 9999],
  month: [1, 12],
  day: [1, 31],
  week: [1, 53],
  day_of_week: [0, 6],
  hour: [0, 23],
  minute: [0, 59],
  second: [0, 59],
}
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']

/** One valid item of a field, in any of APScheduler's forms. */
function validItem(field: string): string | number {
  const [min, max] = FIELD_RANGES[field] as [number, number]
  const low = field === 'year' ? 2000 : min
  const high = field === 'year' ? 2045 : max
  const span = max - min
  const a = integer(low, high)
  const b = integer(a, high)
  switch (integer(0, field === 'day' || field === 'month' || field === 'day_of_week' ? 9 : 7)) {
    case 0:
      return a
    case 1:
      return chance(0.3) ? ` ${String(a).padStart(2, '0')} ` : String(a)
    case 2:
      return '*'
    case 3:
      return `*/${integer(1, Math.min(span, field === 'year' ? 5 : span))}`
    case 4:
      return `${a}-${b}`
    case 5:
      return b > a ? `${a}-${b}/${integer(1, b - a)}` : `${a}-${b}`
    case 6:
      return max - a >= 1 ? `${a}/${integer(1, max - a)}` : a
    case 7:
      return `${a},${b}`
    default:
      if (field === 'day') {
        return pick([
          'last',
          `${pick(['1st', '2nd', '3rd', '4th', '5th', 'last'])} ${pick(WEEKDAYS)}`,
        ])
      }
      if (field === 'month') {
        const first = integer(0, 11)
        return chance(0.5)
          ? (MONTHS[first] as string)
          : `${MONTHS[first]}-${MONTHS[integer(first, 11)]}`.toUpperCase()
      }
      {
        const first = integer(0, 6)
        return chance(0.5)
          ? (WEEKDAYS[first] as string)
          : `${WEEKDAYS[first]}-${WEEKDAYS[integer(first, 6)]}`
      }
  }
}

function validField(field: string): string | number {
  if (chance(0.8)) return validItem(field)
  return [validItem(field), validItem(field)].map(String).join(chance(0.5) ? ',' : ' , ')
}

/** A random valid cron mapping: a few fields, sometimes start/end dates. */
function validOptions(zone: string, now: EpochMicros): Record<string, unknown> {
  const options: Record<string, unknown> = { timezone: zone }
  const weights: Record<string, number> = {
    year: 0.05,
    month: 0.2,
    day: 0.25,
    week: 0.06,
    day_of_week: 0.25,
    hour: 0.45,
    minute: 0.55,
    second: 0.3,
  }
  for (const [field, weight] of Object.entries(weights))
    if (chance(weight)) options[field] = validField(field)
  if (chance(0.15)) {
    const fraction = chance(0.5) ? `.${String(integer(0, 999_999)).slice(0, integer(1, 6))}` : ''
    options.start_date = naiveDate(now + integer(0, 40) * DAY_MICROS, zone) + fraction
  }
  // Caps APScheduler's search for schedules that are impossible (or nearly): it walks to 9999.
  options.end_date = naiveDate(now + integer(200, 3000) * DAY_MICROS, 'UTC').replace(' ', 'T') + 'Z'
  return options
}

/** A random value APScheduler should reject (each checked against APScheduler all the same). */
function invalidOptions(): Record<string, unknown> {
  const field = pick(Object.keys(FIELD_RANGES))
  const [min, max] = FIELD_RANGES[field] as [number, number]
  const value = pick<string | number>([
    max + integer(1, 5),
    min - 1,
    `${min - 1}`,
    `*/0`,
    `*/${max - min + integer(1, 3)}`,
    `${max}-${min}`,
    `${min}-${max}/0`,
    `1-2-3`,
    `*/5/2`,
    `5.5`,
    5.5,
    `12pm`,
    `L`,
    `15W`,
    `?`,
    `5#3`,
    `6th fri`,
    `first mon`,
    `1st 5`,
    '',
    '1,,2',
    '*/5,',
    'monday',
    'january',
    'last',
    'fri-mon',
    '22-2',
    `${integer(min, max)}/${max - min + 1}`,
  ])
  return { [field]: value }
}

function naiveDate(instant: EpochMicros, zone: string): string {
  return formatInstant(Math.floor(instant / 1e6) * 1e6, timeZone(zone))
    .slice(0, 19)
    .replace('T', ' ')
}

function randomNow(): EpochMicros {
  // 2000-01-01 .. 2035-12-31, on a whole second or not.
  const seconds = integer(946_684_800, 2_082_758_399)
  return seconds * 1e6 + (chance(0.3) ? integer(1, 999_999) : 0)
}

/** True when the zone's offset changes in [from − 1 day, to + 1 day]. */
function crossesTransition(zone: string, from: EpochMicros, to: EpochMicros): boolean {
  const found = timeZone(zone).transitionsBetween(from / 1e6 - 86_400, to / 1e6 + 86_400)
  return found.length > 0
}

interface ValidCase {
  oracle: OracleCase
  zone: string
}

const validCases: ValidCase[] = []
for (let i = 0; i < VALID_CASES; i++) {
  const zone = ZONES[i % ZONES.length] as string
  const now = randomNow()
  validCases.push({
    zone,
    oracle: { trigger: 'cron', options: validOptions(zone, now), now, count: FIRES_PER_CASE },
  })
}
const invalidCases: OracleCase[] = Array.from({ length: INVALID_CASES }, () => ({
  trigger: 'cron',
  options: invalidOptions(),
  now: 0,
  count: 1,
}))

describe('cron trigger vs APScheduler 3.9.1', () => {
  let validAnswers: OracleAnswer[] = []
  let invalidAnswers: OracleAnswer[] = []

  beforeAll(() => {
    if (!hasApscheduler) return
    const answers = runOracle([...validCases.map((c) => c.oracle), ...invalidCases])
    validAnswers = answers.slice(0, validCases.length)
    invalidAnswers = answers.slice(validCases.length)
  }, 120_000)

  it.skipIf(!hasApscheduler)(
    `agrees on every fire time away from DST transitions, ${VALID_CASES} random schedules ${hasApscheduler ? '' : SKIP}`,
    () => {
      let compared = 0
      let cutAtTransition = 0
      const mismatches: string[] = []
      validCases.forEach(({ oracle, zone }, index) => {
        const answer = validAnswers[index] as OracleAnswer
        expect(answer.error, JSON.stringify(oracle)).toBeNull()
        const ours = chain(cronTrigger(oracle.options, context()), oracle.now, oracle.count)
        let from = oracle.now
        for (let k = 0; k < Math.max(ours.length, answer.fires.length); k++) {
          const theirs = answer.fires[k]
          const mine = ours[k]
          const until = Math.max(theirs ?? from, mine ?? from)
          if (crossesTransition(zone, from, until)) {
            cutAtTransition++
            return
          }
          if (theirs !== mine) {
            const show = (v: number | undefined) =>
              v === undefined ? 'none' : formatInstant(v, timeZone(zone))
            mismatches.push(
              `${JSON.stringify(oracle.options)} now=${oracle.now} #${k}: APScheduler ${show(theirs)}, Tasse ${show(mine)}`,
            )
            return
          }
          if (mine === undefined) return
          compared++
          from = mine
        }
      })
      console.info(
        `[differential] cron: ${compared} fire times equal to APScheduler's; ${cutAtTransition} cases cut at a DST transition; ${mismatches.length} mismatches`,
      )
      expect(mismatches.slice(0, 10)).toEqual([])
      expect(compared).toBeGreaterThan(VALID_CASES * 2)
    },
  )

  it.skipIf(!hasApscheduler)(
    `rejects what APScheduler rejects and accepts what it accepts, ${INVALID_CASES} random values ${hasApscheduler ? '' : SKIP}`,
    () => {
      const disagreements: string[] = []
      let rejected = 0
      invalidCases.forEach((oracle, index) => {
        const theirs = (invalidAnswers[index] as OracleAnswer).error
        let ours: string | null = null
        try {
          cronTrigger(oracle.options, context())
        } catch (error) {
          expect(error).toBeInstanceOf(TasseConfigError)
          ours = (error as Error).message
        }
        if ((theirs === null) !== (ours === null)) {
          disagreements.push(
            `${JSON.stringify(oracle.options)}: APScheduler ${theirs ?? 'accepts'}; Tasse ${ours ?? 'accepts'}`,
          )
        }
        if (ours !== null) rejected++
      })
      console.info(
        `[differential] cron validation: ${rejected} rejected, ${INVALID_CASES - rejected} accepted, ${disagreements.length} disagreements`,
      )
      expect(disagreements).toEqual([])
    },
  )
})
