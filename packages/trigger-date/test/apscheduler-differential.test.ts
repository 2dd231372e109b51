/**
 * The date trigger against APScheduler 3.9.1: random run_date strings (naive, `Z`, `±HH:MM`,
 * 1 to 6 fraction digits) in several zones; naive ones within a day of a DST transition are left
 * to the unit tests (pytz reads those differently from §7.2).
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

/** Date strings near the accepted pattern, many just outside it (APSCHEDULER.md §2). */
const STRING_CASES = 1000
function mutatedDateString(): string {
  const pad = (n: number, width: number) => String(n).padStart(width, '0')
  const year = [pad(integer(1, 9999), 4), String(integer(1, 999)), String(integer(10_000, 99_999))][
    integer(0, 6) % 3 === 0 ? integer(0, 2) : 0
  ]
  const month = integer(0, 9) ? String(integer(1, 12)) : String(integer(0, 13))
  const day = integer(0, 9) ? String(integer(1, 28)) : String(integer(29, 32))
  const parts = [`${year}-${integer(0, 1) ? pad(Number(month), 2) : month}-${day}`]
  if (integer(0, 4)) {
    const hour = integer(0, 9) ? integer(0, 23) : 24
    const minute = integer(0, 9) ? integer(0, 59) : 60
    const second = integer(0, 9) ? integer(0, 59) : 60
    parts.push(
      [' ', 'T', 't', '  ', '_'][integer(0, 9) % 5 === 4 ? integer(2, 4) : integer(0, 1)] as string,
    )
    parts.push(
      integer(0, 6) ? `${hour}:${pad(minute, 2)}:${pad(second, 2)}` : `${hour}:${pad(minute, 2)}`,
    )
    if (integer(0, 1)) parts.push(`.${String(integer(0, 99_999_999)).slice(0, integer(0, 8))}`)
    parts.push(
      ['', 'Z', '+01:00', '-05:30', '+0100', '+01', 'z', '+24:00', '+23:59', ' Z'][
        integer(0, 9)
      ] as string,
    )
  } else if (!integer(0, 4)) parts.push(['Z', ' ', 'T', '+01:00'][integer(0, 3)] as string)
  return parts.join('')
}
const stringCases: OracleCase[] = Array.from({ length: STRING_CASES }, () => ({
  trigger: 'date',
  options: { run_date: mutatedDateString(), timezone: 'UTC' },
  now: 0,
  count: 1,
}))

describe('date trigger vs APScheduler 3.9.1', () => {
  let answers: OracleAnswer[] = []
  let stringAnswers: OracleAnswer[] = []
  beforeAll(() => {
    if (!hasApscheduler) return
    const all = runOracle([...cases, ...stringCases])
    answers = all.slice(0, cases.length)
    stringAnswers = all.slice(cases.length)
  }, 120_000)

  it.skipIf(!hasApscheduler)(
    `accepts and rejects the same ${STRING_CASES} date strings, to the same instant ${hasApscheduler ? '' : SKIP}`,
    () => {
      const disagreements: string[] = []
      let accepted = 0
      stringCases.forEach((c, i) => {
        const theirs = stringAnswers[i] as OracleAnswer
        let ours: number[] | string
        try {
          ours = chain(dateTrigger(c.options, context()), c.now, 1)
        } catch (error) {
          ours = (error as Error).message
        }
        const agree =
          typeof ours === 'string'
            ? theirs.error !== null
            : JSON.stringify(ours) === JSON.stringify(theirs.fires)
        if (!agree)
          disagreements.push(
            `${JSON.stringify(c.options.run_date)}: APScheduler ${theirs.error ?? theirs.fires}; Tasse ${ours}`,
          )
        if (typeof ours !== 'string') accepted++
      })
      console.info(
        `[differential] date strings: ${accepted} accepted, ${STRING_CASES - accepted} rejected, ${disagreements.length} disagreements`,
      )
      expect(disagreements.slice(0, 10)).toEqual([])
    },
  )

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
