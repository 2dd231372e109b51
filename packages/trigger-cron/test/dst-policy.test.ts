/**
 * Every worked example of APSCHEDULER.md §7.3 (cron rows), one `it` each, plus the rules of §7.1
 * they illustrate. Times are written as the spec writes them, in the zone with its real offset.
 */

import { chainIso, context } from '@tasse/test-support'
import { describe, expect, it } from 'vitest'
import { cronTrigger } from '../src/index.js'

function fires(options: Record<string, unknown>, from: string, count: number): string[] {
  return chainIso(cronTrigger(options, context()), from, count)
}

describe('Paris, spring forward 2024-03-31 (02:00 CET → 03:00 CEST)', () => {
  const paris = { timezone: 'Europe/Paris' }

  it('a fixed time in the gap is read with the old offset: 02:30 fires at 03:30+02:00', () => {
    expect(fires({ ...paris, hour: 2, minute: 30 }, '2024-03-30T12:00:00+01:00', 2)).toEqual([
      '2024-03-31T03:30:00+02:00',
      '2024-04-01T02:30:00+02:00',
    ])
  })

  it('every slot of the missing hour moves forward by the gap, and the next day is normal', () => {
    expect(fires({ ...paris, hour: 2, minute: '*/15' }, '2024-03-31T00:10:00+01:00', 5)).toEqual([
      '2024-03-31T03:00:00+02:00',
      '2024-03-31T03:15:00+02:00',
      '2024-03-31T03:30:00+02:00',
      '2024-03-31T03:45:00+02:00',
      '2024-04-01T02:00:00+02:00',
    ])
  })

  it('gap slots that land on another slot merge with it (fire once)', () => {
    expect(
      fires({ ...paris, hour: '2-3', minute: '0,30' }, '2024-03-31T00:10:00+01:00', 3),
    ).toEqual([
      '2024-03-31T03:00:00+02:00',
      '2024-03-31T03:30:00+02:00',
      '2024-04-01T02:00:00+02:00',
    ])
  })

  it('an every-20-minutes job goes straight from 01:40+01 to 03:00+02', () => {
    expect(fires({ ...paris, minute: '*/20' }, '2024-03-31T01:10:00+01:00', 4)).toEqual([
      '2024-03-31T01:20:00+01:00',
      '2024-03-31T01:40:00+01:00',
      '2024-03-31T03:00:00+02:00',
      '2024-03-31T03:20:00+02:00',
    ])
  })
})

describe('Paris, fall back 2024-10-27 (03:00 CEST → 02:00 CET)', () => {
  const paris = { timezone: 'Europe/Paris' }

  it('with hour "*", the repeated hour fires in both passes', () => {
    expect(fires({ ...paris, minute: '0,30' }, '2024-10-27T01:10:00+02:00', 6)).toEqual([
      '2024-10-27T01:30:00+02:00',
      '2024-10-27T02:00:00+02:00',
      '2024-10-27T02:30:00+02:00',
      '2024-10-27T02:00:00+01:00',
      '2024-10-27T02:30:00+01:00',
      '2024-10-27T03:00:00+01:00',
    ])
    expect(fires({ ...paris, minute: 0 }, '2024-10-27T00:30:00+02:00', 4)).toEqual([
      '2024-10-27T01:00:00+02:00',
      '2024-10-27T02:00:00+02:00',
      '2024-10-27T02:00:00+01:00',
      '2024-10-27T03:00:00+01:00',
    ])
  })

  it('a fixed wall time fires once, in the first pass', () => {
    expect(fires({ ...paris, hour: 2, minute: 30 }, '2024-10-26T00:00:00+02:00', 3)).toEqual([
      '2024-10-26T02:30:00+02:00',
      '2024-10-27T02:30:00+02:00',
      '2024-10-28T02:30:00+01:00',
    ])
  })

  it('a start after the first pass does not bring the slot back in the second pass', () => {
    expect(fires({ ...paris, hour: 2, minute: 30 }, '2024-10-27T02:59:59+02:00', 1)).toEqual([
      '2024-10-28T02:30:00+01:00',
    ])
    expect(fires({ ...paris, hour: 2, minute: 30 }, '2024-10-27T02:00:00+01:00', 1)).toEqual([
      '2024-10-28T02:30:00+01:00',
    ])
  })

  it('a fixed hour with a minute pattern runs through the first pass only', () => {
    expect(fires({ ...paris, hour: 2, minute: '*/10' }, '2024-10-27T01:55:00+02:00', 7)).toEqual([
      '2024-10-27T02:00:00+02:00',
      '2024-10-27T02:10:00+02:00',
      '2024-10-27T02:20:00+02:00',
      '2024-10-27T02:30:00+02:00',
      '2024-10-27T02:40:00+02:00',
      '2024-10-27T02:50:00+02:00',
      '2024-10-28T02:00:00+01:00',
    ])
  })

  it('"*/1" counts as a fixed hour, not as "*"', () => {
    expect(fires({ ...paris, hour: '*/1', minute: 30 }, '2024-10-27T01:10:00+02:00', 4)).toEqual([
      '2024-10-27T01:30:00+02:00',
      '2024-10-27T02:30:00+02:00',
      '2024-10-27T03:30:00+01:00',
      '2024-10-27T04:30:00+01:00',
    ])
  })
})

describe('Sao Paulo: transitions at midnight', () => {
  const saoPaulo = { timezone: 'America/Sao_Paulo' }

  it('2018-11-04 has no 00:00: day "*" fires at 01:00-02:00 that day, and no day is skipped', () => {
    expect(fires({ ...saoPaulo, day: '*' }, '2018-11-02T12:00:00-03:00', 3)).toEqual([
      '2018-11-03T00:00:00-03:00',
      '2018-11-04T01:00:00-02:00',
      '2018-11-05T00:00:00-02:00',
    ])
  })

  it('00:59 that night fires at 01:59-02:00', () => {
    expect(fires({ ...saoPaulo, hour: 0, minute: 59 }, '2018-11-03T12:00:00-03:00', 1)).toEqual([
      '2018-11-04T01:59:00-02:00',
    ])
  })

  it('day_of_week "sun" fires on the Sunday at 01:00-02:00', () => {
    expect(fires({ ...saoPaulo, day_of_week: 'sun' }, '2018-11-02T12:00:00-03:00', 1)).toEqual([
      '2018-11-04T01:00:00-02:00',
    ])
  })

  it('2019-02-16 23:00-24:00 happens twice: a fixed 23:30 fires once, minute 30 twice', () => {
    expect(fires({ ...saoPaulo, hour: 23, minute: 30 }, '2019-02-16T12:00:00-02:00', 2)).toEqual([
      '2019-02-16T23:30:00-02:00',
      '2019-02-17T23:30:00-03:00',
    ])
    expect(fires({ ...saoPaulo, minute: 30 }, '2019-02-16T22:45:00-02:00', 3)).toEqual([
      '2019-02-16T23:30:00-02:00',
      '2019-02-16T23:30:00-03:00',
      '2019-02-17T00:30:00-03:00',
    ])
  })
})

describe('New York', () => {
  const newYork = { timezone: 'America/New_York' }

  it('every 30 s runs on elapsed time through both passes of 2024-11-03 01:00-02:00', () => {
    expect(fires({ ...newYork, second: '*/30' }, '2024-11-03T01:59:00-04:00', 4)).toEqual([
      '2024-11-03T01:59:00-04:00',
      '2024-11-03T01:59:30-04:00',
      '2024-11-03T01:00:00-05:00',
      '2024-11-03T01:00:30-05:00',
    ])
  })

  it('and never goes silent on 2024-03-10: 01:59:30-05:00 then 03:00:00-04:00', () => {
    expect(fires({ ...newYork, second: '*/30' }, '2024-03-10T01:59:30-05:00', 2)).toEqual([
      '2024-03-10T01:59:30-05:00',
      '2024-03-10T03:00:00-04:00',
    ])
  })

  it('01:30 fires once on 2025-11-02, at 01:30-04:00', () => {
    expect(fires({ ...newYork, hour: 1, minute: 30 }, '2025-11-01T12:00:00-04:00', 2)).toEqual([
      '2025-11-02T01:30:00-04:00',
      '2025-11-03T01:30:00-05:00',
    ])
  })
})

describe('Lord Howe: 30-minute shifts (+10:30 ↔ +11:00)', () => {
  const lordHowe = { timezone: 'Australia/Lord_Howe' }

  it('gap 2024-10-06 02:00 → 02:30: the 02:00 and 02:15 slots merge into 02:30 and 02:45', () => {
    expect(fires({ ...lordHowe, minute: '*/15' }, '2024-10-06T01:40:00+10:30', 4)).toEqual([
      '2024-10-06T01:45:00+10:30',
      '2024-10-06T02:30:00+11:00',
      '2024-10-06T02:45:00+11:00',
      '2024-10-06T03:00:00+11:00',
    ])
  })

  it('02:15 on the gap day fires at 02:45+11:00', () => {
    expect(fires({ ...lordHowe, hour: 2, minute: 15 }, '2024-10-05T12:00:00+10:30', 2)).toEqual([
      '2024-10-06T02:45:00+11:00',
      '2024-10-07T02:15:00+11:00',
    ])
  })

  it('overlap 2024-04-07 01:30-02:00: every 10 minutes runs through both passes', () => {
    expect(fires({ ...lordHowe, minute: '*/10' }, '2024-04-07T01:35:00+11:00', 6)).toEqual([
      '2024-04-07T01:40:00+11:00',
      '2024-04-07T01:50:00+11:00',
      '2024-04-07T01:30:00+10:30',
      '2024-04-07T01:40:00+10:30',
      '2024-04-07T01:50:00+10:30',
      '2024-04-07T02:00:00+10:30',
    ])
  })

  it('every 20 minutes leaves 30 min between 01:40+11 and 01:40+10:30', () => {
    expect(fires({ ...lordHowe, minute: '*/20' }, '2024-04-07T01:35:00+11:00', 3)).toEqual([
      '2024-04-07T01:40:00+11:00',
      '2024-04-07T01:40:00+10:30',
      '2024-04-07T02:00:00+10:30',
    ])
  })

  it('01:45 fires once, at 01:45+11:00', () => {
    expect(fires({ ...lordHowe, hour: 1, minute: 45 }, '2024-04-06T12:00:00+11:00', 2)).toEqual([
      '2024-04-07T01:45:00+11:00',
      '2024-04-08T01:45:00+10:30',
    ])
  })

  it('midnight on the 1st fires every month (APScheduler skips the one after a spring forward)', () => {
    expect(
      fires({ ...lordHowe, day: 1, hour: 0, minute: 0 }, '2025-09-15T12:00:00+10:30', 2),
    ).toEqual(['2025-10-01T00:00:00+10:30', '2025-11-01T00:00:00+11:00'])
  })
})

describe('Chatham and Kathmandu', () => {
  it("Chatham's repeated hour 02:45-03:45 crosses an hour boundary", () => {
    const options = { timezone: 'Pacific/Chatham', minute: '*/15' }
    expect(fires(options, '2024-04-07T03:15:00+13:45', 4)).toEqual([
      '2024-04-07T03:15:00+13:45',
      '2024-04-07T03:30:00+13:45',
      '2024-04-07T02:45:00+12:45',
      '2024-04-07T03:00:00+12:45',
    ])
  })

  it("Kathmandu's 15-minute gap at midnight on 1986-01-01 moves midnight to 00:15+05:45", () => {
    const options = { timezone: 'Asia/Kathmandu', month: 1, day: 1, hour: 0, minute: 0 }
    expect(fires(options, '1985-12-01T00:00:00+05:30', 1)).toEqual(['1986-01-01T00:15:00+05:45'])
  })
})

describe('§7.1 rules in isolation', () => {
  it('two slots that land on the same instant fire once (sorted and merged)', () => {
    // 02:00 (in the gap) and 03:00 both land on 03:00+02:00.
    const options = { timezone: 'Europe/Paris', hour: '2,3', minute: 0 }
    expect(fires(options, '2024-03-31T00:00:00+01:00', 2)).toEqual([
      '2024-03-31T03:00:00+02:00',
      '2024-04-01T02:00:00+02:00',
    ])
  })

  it('end_date filters the mapped instants (inclusive)', () => {
    const options = { timezone: 'Europe/Paris', minute: 0, end_date: '2024-10-27T02:00:00+01:00' }
    expect(fires(options, '2024-10-27T01:30:00+02:00', 5)).toEqual([
      '2024-10-27T02:00:00+02:00',
      '2024-10-27T02:00:00+01:00',
    ])
  })

  it('a search that starts inside the second pass keeps the hourly pattern going', () => {
    const options = { timezone: 'Europe/Paris', minute: '*/20' }
    expect(fires(options, '2024-10-27T02:05:00+01:00', 3)).toEqual([
      '2024-10-27T02:20:00+01:00',
      '2024-10-27T02:40:00+01:00',
      '2024-10-27T03:00:00+01:00',
    ])
  })

  it('a search that starts inside the gap window still finds the moved slots', () => {
    // 03:10+02:00 is 01:10 UTC; the 02:15 slot (moved to 03:15+02:00) is still ahead.
    const options = { timezone: 'Europe/Paris', hour: 2, minute: '15,45' }
    expect(fires(options, '2024-03-31T03:10:00+02:00', 3)).toEqual([
      '2024-03-31T03:15:00+02:00',
      '2024-03-31T03:45:00+02:00',
      '2024-04-01T02:15:00+02:00',
    ])
  })
})
