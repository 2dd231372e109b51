/**
 * The interval trigger against APScheduler 3.9.1 (APSCHEDULER.md §9): random amounts (floats
 * too), naive start dates with microseconds, `now` before and after the start, compared to the
 * microsecond. Start dates within a day of a DST transition are left to the unit tests: there
 * APScheduler's pytz reads ambiguous and missing wall times differently from §7.2.
 */
import { formatInstant, timeZone } from '@tasse/core'
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
import { intervalTrigger } from '../src/index.js'

const SKIP = '(skipped: python3-apscheduler absent)'
const CASES = 1500
const ZONES = ['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu']
const random = seededRandom(42)
const integer = (min: number, max: number) => min + Math.floor(random() * (max - min + 1))
const chance = (p: number) => random() < p

function amount(): number {
  return chance(0.6) ? integer(0, 40) : Math.round(random() * 4000) / 100
}

function makeCase(index: number): OracleCase {
  const zone = ZONES[index % ZONES.length] as string
  const options: Record<string, unknown> = { timezone: zone }
  for (const key of ['weeks', 'days', 'hours', 'minutes', 'seconds'])
    if (chance(0.3)) options[key] = amount()
  // Tasse refuses intervals under a second (APScheduler does not): those get whole seconds.
  const seconds = { weeks: 604_800, days: 86_400, hours: 3600, minutes: 60, seconds: 1 }
  const total = Object.entries(seconds).reduce(
    (sum, [key, size]) => sum + ((options[key] as number | undefined) ?? 0) * size,
    0,
  )
  if (total < 1) options.seconds = integer(1, 90)
  const start = integer(946_684_800, 2_000_000_000)
  let startText = formatInstant(start * 1e6, timeZone(zone))
    .slice(0, 19)
    .replace('T', chance(0.5) ? ' ' : 'T')
  if (chance(0.4)) startText += `.${String(integer(0, 999_999)).slice(0, integer(1, 6))}`
  options.start_date = startText
  if (chance(0.3))
    options.end_date = formatInstant((start + integer(0, 10_000_000)) * 1e6, timeZone('UTC'))
  const now =
    (start + integer(-2_000_000, 40_000_000)) * 1e6 + (chance(0.5) ? integer(0, 999_999) : 0)
  return { trigger: 'interval', options, now, count: 5 }
}

const cases = Array.from({ length: CASES }, (_, i) => makeCase(i))

describe('interval trigger vs APScheduler 3.9.1', () => {
  let answers: OracleAnswer[] = []
  beforeAll(() => {
    if (hasApscheduler) answers = runOracle(cases)
  }, 120_000)

  it.skipIf(!hasApscheduler)(
    `agrees to the microsecond on ${CASES} random intervals ${hasApscheduler ? '' : SKIP}`,
    () => {
      let compared = 0
      let nearTransition = 0
      const mismatches: string[] = []
      cases.forEach((c, i) => {
        const zone = timeZone(c.options.timezone as string)
        const start =
          Date.parse(`${String(c.options.start_date).slice(0, 19).replace(' ', 'T')}Z`) / 1000
        if (zone.transitionsBetween(start - 2 * 86_400, start + 2 * 86_400).length > 0) {
          nearTransition++
          return
        }
        const answer = answers[i] as OracleAnswer
        expect(answer.error).toBeNull()
        const ours = chain(intervalTrigger(c.options, context()), c.now, c.count)
        if (JSON.stringify(ours) !== JSON.stringify(answer.fires)) {
          mismatches.push(
            `${JSON.stringify(c.options)} now=${c.now}: APScheduler ${answer.fires}, Tasse ${ours}`,
          )
        }
        compared += ours.length
      })
      console.info(
        `[differential] interval: ${compared} fire times equal to APScheduler's; ${nearTransition} cases left out (start_date near a transition); ${mismatches.length} mismatches`,
      )
      expect(mismatches.slice(0, 5)).toEqual([])
      expect(compared).toBeGreaterThan(CASES * 2)
    },
  )

  // Issue #18: where Tasse departs from APScheduler on purpose, the oracle shows what it did.
  it.skipIf(!hasApscheduler)(
    `refuses the zero intervals that APScheduler 3.9.1 runs every second ${hasApscheduler ? '' : SKIP}`,
    () => {
      const now = Date.parse('2024-01-01T00:00:00Z') * 1000
      const zeros = [{}, { seconds: 0 }, { minutes: 0, hours: 0 }, { seconds: 1e-7 }].map(
        (amounts) => ({ ...amounts, start_date: '2024-01-01 00:00:00', timezone: 'UTC' }),
      )
      const found = runOracle(
        zeros.map((options) => ({ trigger: 'interval', options, now, count: 2 })),
      )
      for (const [i, options] of zeros.entries()) {
        expect(found[i]?.fires, JSON.stringify(options)).toEqual([now, now + 1e6])
        expect(() => intervalTrigger(options, context()), JSON.stringify(options)).toThrow(
          /needs an interval|not zero/,
        )
      }
    },
  )
})
