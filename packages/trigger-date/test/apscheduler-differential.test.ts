/**
 * The date trigger against APScheduler 3.9.1: random run_date strings (naive, `Z`, `±HH:MM`,
 * 1 to 6 fraction digits) in several zones; naive ones within a day of a DST transition are left
 * to the unit tests (pytz reads those differently from §7.2).
 */
import { formatInstant, timeZone } from '@tasse/core'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  chain,
  context,
  hasApscheduler,
  type OracleAnswer,
  type OracleCase,
  runOracle,
  seededRandom,
} from '../../trigger-cron/test/helpers.js'
import { dateTrigger } from '../src/index.js'

const SKIP = '(skipped: python3-apscheduler absent)'
const CASES = 800
const ZONES = ['UTC', 'Europe/Paris', 'America/Sao_Paulo', 'Pacific/Chatham', 'Asia/Kathmandu']
const random = seededRandom(7)
const integer = (min: number, max: number) => min + Math.floor(random() * (max - min + 1))

const cases: OracleCase[] = Array.from({ length: CASES }, (_, i) => {
  const zone = ZONES[i % ZONES.length] as string
  const at = integer(0, 2_100_000_000) * 1e6
  let text = formatInstant(at, timeZone('UTC'))
    .slice(0, 19)
    .replace('T', integer(0, 1) ? ' ' : 'T')
  if (integer(0, 2) === 0) text = text.slice(0, 10)
  else {
    if (integer(0, 1)) text += `.${String(integer(0, 999_999)).slice(0, integer(1, 6))}`
    text += ['', 'Z', '+05:45', '-03:00', '+13:45'][integer(0, 4)]
  }
  return {
    trigger: 'date',
    options: { run_date: text, timezone: zone },
    now: integer(0, 2e9) * 1e6,
    count: 2,
  }
})

describe('date trigger vs APScheduler 3.9.1', () => {
  let answers: OracleAnswer[] = []
  beforeAll(() => {
    if (hasApscheduler) answers = runOracle(cases)
  }, 120_000)

  it.skipIf(!hasApscheduler)(
    `agrees to the microsecond on ${CASES} random run dates ${hasApscheduler ? '' : SKIP}`,
    () => {
      let compared = 0
      const mismatches: string[] = []
      cases.forEach((c, i) => {
        const text = String(c.options.run_date)
        const naive = !/(Z|[+-]\d\d:\d\d)$/.test(text)
        const wall =
          Date.parse(
            `${text.slice(0, 19).replace(' ', 'T')}${text.length === 10 ? 'T00:00:00' : ''}Z`,
          ) / 1000
        const zone = timeZone(c.options.timezone as string)
        if (naive && zone.transitionsBetween(wall - 2 * 86_400, wall + 2 * 86_400).length > 0)
          return
        const answer = answers[i] as OracleAnswer
        const ours = chain(dateTrigger(c.options, context()), c.now, c.count)
        if (JSON.stringify(ours) !== JSON.stringify(answer.fires)) {
          mismatches.push(
            `${JSON.stringify(c.options)}: APScheduler ${answer.fires}, Tasse ${ours}`,
          )
        }
        compared += ours.length
      })
      console.info(
        `[differential] date: ${compared} fire times equal to APScheduler's; ${mismatches.length} mismatches`,
      )
      expect(mismatches.slice(0, 5)).toEqual([])
      expect(compared).toBeGreaterThan(CASES / 2)
    },
  )
})
