import { describe, expect, it, vi } from 'vitest'
import { formatLocal } from './iso.js'
import { transitionNote } from './transition-note.js'
import { timeZone, timeZoneProblem } from './zone.js'

const seconds = (iso: string) => Date.parse(iso) / 1000

describe('timeZoneProblem (APSCHEDULER.md §1)', () => {
  it.each(['Europe/Paris', 'US/Eastern', 'Etc/GMT+5', 'GMT', 'UTC', 'Asia/Kathmandu'])(
    'accepts %s',
    (name) => {
      expect(timeZoneProblem(name)).toBeUndefined()
    },
  )

  it.each([['+02:00'], ['UTC+2'], ['GMT-3'], ['Local'], ['Mars/Olympus'], [''], [5], [null]])(
    'rejects %j',
    (name) => {
      expect(timeZoneProblem(name)).toMatch(/must be an IANA time zone name/)
    },
  )
})

describe('TimeZone', () => {
  it('gives the offset at an instant from its cached table, equal to Intl every hour of a year', () => {
    const zone = timeZone('America/Sao_Paulo')
    const format = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/Sao_Paulo',
      timeZoneName: 'longOffset',
    })
    for (let t = seconds('2018-01-01T00:00:00Z'); t < seconds('2019-12-31T00:00:00Z'); t += 3600) {
      const name = format
        .formatToParts(new Date(t * 1000))
        .find((p) => p.type === 'timeZoneName')?.value
      const [, sign, h, m] = /GMT([+-])(\d\d):(\d\d)/.exec(name ?? '') ?? []
      expect(zone.offsetAt(t)).toBe((sign === '-' ? -1 : 1) * (Number(h) * 3600 + Number(m) * 60))
    }
  })

  it('agrees with Intl at random instants 1970-2040 in every tenth zone the platform knows', () => {
    let seed = 7
    const random = () => {
      seed = (seed * 16_807) % 2_147_483_647
      return seed / 2_147_483_647
    }
    const mismatches: string[] = []
    const names = Intl.supportedValuesOf('timeZone').filter((_, i) => i % 10 === 0)
    for (const name of names) {
      const zone = timeZone(name)
      const format = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      })
      for (let i = 0; i < 100; i++) {
        const t = Math.floor(random() * 2_208_988_800)
        const [mo, d, y, h, mi, s] = (format.format(new Date(t * 1000)).match(/\d+/g) ?? []).map(
          Number,
        )
        const offset = Date.UTC(y as number, (mo as number) - 1, d, h, mi, s) / 1000 - t
        if (zone.offsetAt(t) !== offset)
          mismatches.push(`${name} at ${t}: ${zone.offsetAt(t)} ≠ ${offset}`)
      }
    }
    expect(names.length).toBeGreaterThan(35)
    expect(mismatches).toEqual([])
  })

  it('finds transitions to the second, with the offsets on each side', () => {
    expect(
      timeZone('Europe/Paris').transitionsBetween(
        seconds('2024-01-01T00:00:00Z'),
        seconds('2024-12-31T00:00:00Z'),
      ),
    ).toEqual([
      { at: seconds('2024-03-31T01:00:00Z'), offsetBefore: 3600, offsetAfter: 7200 },
      { at: seconds('2024-10-27T01:00:00Z'), offsetBefore: 7200, offsetAfter: 3600 },
    ])
    expect(timeZone('UTC').transitionsBetween(0, seconds('2100-01-01T00:00:00Z'))).toEqual([])
  })

  it('resolves wall times once, in a gap (moved forward) or twice (both passes)', () => {
    const paris = timeZone('Europe/Paris')
    const wall = (iso: string) => seconds(`${iso}Z`)
    expect(paris.resolveWall(wall('2024-03-31T02:30:00'))).toMatchObject({
      kind: 'gap',
      earlier: seconds('2024-03-31T03:30:00+02:00'),
    })
    expect(paris.resolveWall(wall('2024-10-27T02:30:00'))).toMatchObject({
      kind: 'overlap',
      earlier: seconds('2024-10-27T02:30:00+02:00'),
      later: seconds('2024-10-27T02:30:00+01:00'),
    })
    expect(paris.resolveWall(wall('2024-10-27T03:00:00'))).toMatchObject({
      kind: 'unique',
      earlier: seconds('2024-10-27T03:00:00+01:00'),
    })
    expect(paris.wallToInstant(wall('2024-07-01T12:00:00'))).toBe(
      seconds('2024-07-01T12:00:00+02:00'),
    )
  })

  it('handles Samoa skipping 2011-12-30 entirely (a 24-hour gap)', () => {
    const apia = timeZone('Pacific/Apia')
    const resolved = apia.resolveWall(seconds('2011-12-30T12:00:00Z'))
    expect(resolved.kind).toBe('gap')
    expect(formatLocal(resolved.earlier + apia.offsetAt(resolved.earlier))).toBe(
      '2011-12-31T12:00:00',
    )
  })

  it('keeps Etc/GMT+5 five hours behind UTC (POSIX sign) and knows far-future rules', () => {
    expect(timeZone('Etc/GMT+5').offsetAt(0)).toBe(-5 * 3600)
    expect(timeZone('Europe/Paris').offsetAt(seconds('9999-07-01T00:00:00Z'))).toBe(7200)
  })
})

describe('transitionNote', () => {
  it('explains a fire time just after a spring forward, and each pass of a repeated hour', () => {
    const paris = timeZone('Europe/Paris')
    const at = (iso: string) => Date.parse(iso) * 1000
    expect(transitionNote(at('2024-03-31T03:30:00+02:00'), paris)).toBe(
      'clocks went forward at 02:00 on 2024-03-31 (+01:00 → +02:00): 02:00-03:00 never happened; times in it move forward by 1:00',
    )
    expect(transitionNote(at('2024-10-27T02:30:00+02:00'), paris)).toBe(
      '02:00-03:00 happens twice on 2024-10-27 (+02:00 → +01:00); this is the first pass',
    )
    expect(transitionNote(at('2024-10-27T02:30:00+01:00'), paris)).toMatch(
      /this is the second pass$/,
    )
    expect(transitionNote(at('2024-10-27T03:30:00+01:00'), paris)).toBeUndefined()
    expect(transitionNote(at('2024-07-01T12:00:00Z'), timeZone('UTC'))).toBeUndefined()
  })
})

describe('UTC', () => {
  it('is made without Intl (whose first use costs a host 8 MB) and has offset 0 at every instant', async () => {
    vi.resetModules()
    const real = Intl.DateTimeFormat
    let made = 0
    Intl.DateTimeFormat = new Proxy(real, {
      construct(target, args, newTarget) {
        made++
        return Reflect.construct(target, args, newTarget)
      },
    })
    try {
      const fresh = await import('./zone.js')
      const utc = fresh.timeZone('UTC')
      expect(fresh.timeZoneProblem('UTC')).toBeUndefined()
      expect(utc.name).toBe('UTC')
      for (const iso of ['1970-01-01T00:00:00Z', '2024-03-31T01:30:00Z', '2099-10-27T02:30:00Z'])
        expect(utc.offsetAt(seconds(iso))).toBe(0)
      expect(utc.wallToInstant(seconds('2024-03-31T02:30:00Z'))).toBe(
        seconds('2024-03-31T02:30:00Z'),
      )
      expect(utc.transitionsBetween(0, seconds('2100-01-01T00:00:00Z'))).toEqual([])
      expect(made).toBe(0)
      // Another spelling of it still goes through Intl, and means the same zone.
      expect(fresh.timeZone('Etc/UTC').offsetAt(seconds('2024-07-01T00:00:00Z'))).toBe(0)
      expect(made).toBeGreaterThan(0)
    } finally {
      Intl.DateTimeFormat = real
    }
  })
})
