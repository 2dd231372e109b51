/**
 * Naive date-times at daylight-saving transitions (APSCHEDULER.md §7.2) against Python's
 * zoneinfo with PEP 495 `fold=0`, which is the same rule: an ambiguous wall time is its first
 * occurrence, one in a gap is read with the offset before the jump. Thousands of wall times
 * within two hours of every transition 2018-2026 in seven zones (Kathmandu: 1986), through the
 * date trigger's `run_date`.
 */
import { spawnSync } from 'node:child_process'
import { formatInstant, timeZone } from '@tasse/core'
import { formatLocal } from '@tasse/core/plugin-kit'
import { chain, context, hasPython, PYTHON, seededRandom } from '@tasse/test-support'
import { describe, expect, it } from 'vitest'
import { dateTrigger } from '../src/index.js'

const ZONES: Array<[string, number, number]> = [
  ['Europe/Paris', 2018, 2026],
  ['America/New_York', 2018, 2026],
  ['America/Sao_Paulo', 2017, 2019],
  ['Australia/Lord_Howe', 2018, 2026],
  ['Pacific/Chatham', 2018, 2026],
  ['Asia/Kathmandu', 1985, 1986],
  ['Pacific/Apia', 2011, 2012],
]
const PER_TRANSITION = 30
const random = seededRandom(495)

const cases: Array<{ zone: string; wall: string }> = []
for (const [zone, fromYear, toYear] of ZONES) {
  const transitions = timeZone(zone).transitionsBetween(
    Date.UTC(fromYear, 0, 1) / 1000,
    Date.UTC(toYear, 11, 31) / 1000,
  )
  for (const { at, offsetBefore } of transitions) {
    for (let i = 0; i < PER_TRANSITION; i++) {
      const wall = at + offsetBefore + Math.floor((random() * 4 - 2) * 3600)
      cases.push({ zone, wall: formatLocal(wall).replace('T', ' ') })
    }
  }
}

const PEP495 = `
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
out = []
for case in json.load(sys.stdin):
    wall = datetime.strptime(case["wall"], "%Y-%m-%d %H:%M:%S")
    out.append(int(wall.replace(tzinfo=ZoneInfo(case["zone"]), fold=0).timestamp()))
json.dump(out, sys.stdout)
`

describe('naive date-times at transitions vs PEP 495 fold=0', () => {
  it.skipIf(!hasPython)(
    `${cases.length} wall times near transitions resolve as Python's zoneinfo does ${hasPython ? '' : '(skipped: /usr/bin/python3 absent)'}`,
    () => {
      const result = spawnSync(PYTHON, ['-c', PEP495], {
        input: JSON.stringify(cases),
        encoding: 'utf8',
      })
      expect(result.stderr).toBe('')
      const expected = JSON.parse(result.stdout) as number[]
      const mismatches: string[] = []
      cases.forEach(({ zone, wall }, i) => {
        const [fire] = chain(dateTrigger({ run_date: wall, timezone: zone }, context()), 0, 1)
        const want = (expected[i] as number) * 1e6
        if (fire !== want) {
          const z = timeZone(zone)
          mismatches.push(
            `${zone} ${wall}: zoneinfo ${formatInstant(want, z)}, Tasse ${formatInstant(fire as number, z)}`,
          )
        }
      })
      expect(mismatches.slice(0, 10)).toEqual([])
    },
  )
})
