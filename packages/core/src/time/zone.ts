/**
 * IANA time zones from the platform's `Intl` data, with their UTC offsets cached as transition
 * tables, so that schedule maths never calls `Intl` on a hot path.
 *
 * Units: instants and wall times here are whole **seconds** (`epochSeconds`: since
 * 1970-01-01T00:00:00Z; `localSeconds`: the wall clock read as if it were UTC). Offsets are
 * seconds east of UTC (`+02:00` is 7200).
 */
import { TasseError } from '../errors.js'
import { daysFromCivil } from './civil.js'

/** A change of UTC offset: from `at` (inclusive, epoch seconds) the offset is `offsetAfter`. */
export interface ZoneTransition {
  at: number
  offsetBefore: number
  offsetAfter: number
}

/**
 * Where a wall time falls (APSCHEDULER.md §7): once, in a gap (spring forward) or twice
 * (fall back). `earlier` is the instant Tasse uses for a single wall time: the only one, the
 * first of two, or, in a gap, the wall time read with the offset in force before the transition
 * (the same as moving it forward by the gap's length). `later` is the second pass of a repeated
 * wall time, and equals `earlier` otherwise.
 */
export interface WallTimeInstants {
  kind: 'unique' | 'gap' | 'overlap'
  earlier: number
  later: number
  /** The transition involved; `undefined` when `kind` is `unique`. */
  transition: ZoneTransition | undefined
}

/** A validated IANA zone. Obtain one with `timeZone(name)`; instances are shared and cached. */
export interface TimeZone {
  /** The name as configured (case fixed when the platform knows a canonical spelling). */
  readonly name: string
  /** UTC offset in seconds at an instant. O(1): a cached table read. */
  offsetAt(epochSeconds: number): number
  /**
   * The offset of a wall time that lies at least two days from any transition, else `NaN`.
   * The fast path of wall-time mapping: no allocation.
   */
  steadyOffsetAt(localSeconds: number): number
  /** Every instant of a wall time, with the DST policy of APSCHEDULER.md §7. */
  resolveWall(localSeconds: number): WallTimeInstants
  /** The instant of a wall time by RFC 5545 / PEP 495 `fold=0`: first occurrence, gaps moved forward. */
  wallToInstant(localSeconds: number): number
  /** Transitions with `from < at <= to`, oldest first. */
  transitionsBetween(fromEpochSeconds: number, toEpochSeconds: number): ZoneTransition[]
}

/** Fixed-offset spellings that some platforms accept as zones and APScheduler's pytz does not. */
const FIXED_OFFSET_SPELLING = /^(?:[+\-−]|(?:utc|gmt|ut)\s*[+\-−]\s*\d)/i

/**
 * Why `name` is not an IANA zone Tasse accepts (APSCHEDULER.md §1), or `undefined` if it is.
 * Links such as `US/Eastern`, `GMT` and `Etc/GMT+5` (= UTC−5) are zones; `+02:00`, `UTC+2`
 * and `Local` are not.
 */
export function timeZoneProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'must be an IANA time zone name such as "Europe/Paris"'
  if (name.trim() === '') return 'must be an IANA time zone name such as "Europe/Paris", not empty'
  if (FIXED_OFFSET_SPELLING.test(name)) {
    return 'must be an IANA time zone name such as "Europe/Paris"; a fixed UTC offset is not a zone (use "Etc/GMT-2" for a constant UTC+2)'
  }
  if (canonicalZoneName(name) === undefined) {
    return 'must be an IANA time zone name such as "Europe/Paris" or "America/New_York"'
  }
  return undefined
}

/** True when `name` is a zone `timeZone()` accepts. */
export function isTimeZoneName(name: unknown): name is string {
  return timeZoneProblem(name) === undefined
}

const zones = new Map<string, CachedZone>()

/**
 * The zone named `name` (an IANA name or link). Throws a `TasseError` (`invalid_argument`) for anything
 * `timeZoneProblem` rejects; configuration code should call that first and report the problem.
 */
export function timeZone(name: string): TimeZone {
  let zone = zones.get(name)
  if (!zone) {
    const problem = timeZoneProblem(name)
    if (problem)
      throw new TasseError('invalid_argument', `time zone ${JSON.stringify(name)} ${problem}`)
    zone = new CachedZone(displayName(name))
    zones.set(name, zone)
  }
  return zone
}

// ---------------------------------------------------------------------------------------------

/**
 * Offsets are cached per chunk of 2^25 s (≈ 388 days). A chunk is found by sampling `Intl`
 * every three days and bisecting each change to the second, then kept for good, so a lookup is
 * a map read (usually the last chunk) plus a scan of the chunk's one or two transitions.
 * NOTE: two transitions less than three days apart that cancel each other out would be missed
 * (the offset is the same at both samples). Real transitions are months apart; such a pair is
 * a historical curiosity, and the wall-time maths assume at most one transition in four days.
 */
const CHUNK_SECONDS = 2 ** 25
const SAMPLE_SECONDS = 3 * 86_400
/** Walls within this distance of a transition take the careful path (covers ±14 h offsets and Samoa's 24 h jump). */
const NEAR_SECONDS = 2 * 86_400
/** `Date` cannot go below year 1 in a way `Intl` formats sanely; earlier instants use year 1's offset. */
const MIN_SAMPLE_SECONDS = -62_135_596_800

interface Chunk {
  /** Offset at the chunk's first second. */
  base: number
  /** Transition instants inside the chunk, ascending, and the offset from each on. */
  times: number[]
  offsets: number[]
}

class CachedZone implements TimeZone {
  readonly name: string
  /** Set for zones whose offset never changes (UTC, Etc/GMT±N): no table needed. */
  private readonly fixedOffset: number | undefined
  /** Made on the first offset read: a fixed-offset zone never needs one (see `canonicalZoneName`). */
  private format: Intl.DateTimeFormat | undefined
  private readonly chunks = new Map<number, Chunk>()
  private lastKey = Number.NaN
  private lastChunk: Chunk = { base: 0, times: [], offsets: [] }

  constructor(name: string) {
    this.name = name
    this.fixedOffset = fixedOffsetOf(canonicalZoneName(name) as string)
  }

  offsetAt(epochSeconds: number): number {
    if (this.fixedOffset !== undefined) return this.fixedOffset
    const key = Math.floor(epochSeconds / CHUNK_SECONDS)
    const chunk = key === this.lastKey ? this.lastChunk : this.chunkAt(key)
    const times = chunk.times
    if (times.length === 0 || epochSeconds < (times[0] as number)) return chunk.base
    let i = 0
    while (i + 1 < times.length && epochSeconds >= (times[i + 1] as number)) i++
    return chunk.offsets[i] as number
  }

  steadyOffsetAt(localSeconds: number): number {
    if (this.fixedOffset !== undefined) return this.fixedOffset
    const before = this.offsetAt(localSeconds - NEAR_SECONDS)
    return before === this.offsetAt(localSeconds + NEAR_SECONDS) ? before : Number.NaN
  }

  resolveWall(localSeconds: number): WallTimeInstants {
    const steady = this.steadyOffsetAt(localSeconds)
    if (!Number.isNaN(steady)) {
      const instant = localSeconds - steady
      return { kind: 'unique', earlier: instant, later: instant, transition: undefined }
    }
    const transition = this.transitionsBetween(
      localSeconds - NEAR_SECONDS,
      localSeconds + NEAR_SECONDS,
    )[0] as ZoneTransition
    const { at, offsetBefore, offsetAfter } = transition
    const first = localSeconds - offsetBefore
    const second = localSeconds - offsetAfter
    const firstExists = first < at
    const secondExists = second >= at
    if (firstExists && secondExists)
      return { kind: 'overlap', earlier: first, later: second, transition }
    if (firstExists) return { kind: 'unique', earlier: first, later: first, transition: undefined }
    if (secondExists)
      return { kind: 'unique', earlier: second, later: second, transition: undefined }
    // In the gap: read with the offset before the jump, i.e. moved forward by the gap's length.
    return { kind: 'gap', earlier: first, later: first, transition }
  }

  wallToInstant(localSeconds: number): number {
    const steady = this.steadyOffsetAt(localSeconds)
    return Number.isNaN(steady) ? this.resolveWall(localSeconds).earlier : localSeconds - steady
  }

  transitionsBetween(fromEpochSeconds: number, toEpochSeconds: number): ZoneTransition[] {
    const found: ZoneTransition[] = []
    if (this.fixedOffset !== undefined) return found
    const lastKey = Math.floor(toEpochSeconds / CHUNK_SECONDS)
    for (let key = Math.floor(fromEpochSeconds / CHUNK_SECONDS); key <= lastKey; key++) {
      const chunk = this.chunkAt(key)
      let before = chunk.base
      if (key * CHUNK_SECONDS > fromEpochSeconds && key * CHUNK_SECONDS <= toEpochSeconds) {
        const previous = this.offsetAt(key * CHUNK_SECONDS - 1)
        if (previous !== chunk.base) {
          found.push({ at: key * CHUNK_SECONDS, offsetBefore: previous, offsetAfter: chunk.base })
        }
      }
      for (let i = 0; i < chunk.times.length; i++) {
        const at = chunk.times[i] as number
        const after = chunk.offsets[i] as number
        if (at > fromEpochSeconds && at <= toEpochSeconds) {
          found.push({ at, offsetBefore: before, offsetAfter: after })
        }
        before = after
      }
    }
    return found
  }

  private chunkAt(key: number): Chunk {
    let chunk = this.chunks.get(key)
    if (!chunk) {
      chunk = this.buildChunk(key * CHUNK_SECONDS)
      this.chunks.set(key, chunk)
    }
    this.lastKey = key
    this.lastChunk = chunk
    return chunk
  }

  private buildChunk(start: number): Chunk {
    const end = start + CHUNK_SECONDS - 1
    const base = this.intlOffset(start)
    const times: number[] = []
    const offsets: number[] = []
    let previousTime = start
    let previousOffset = base
    for (let t = start + SAMPLE_SECONDS; previousTime < end; t += SAMPLE_SECONDS) {
      const sampleTime = Math.min(t, end)
      const sampleOffset = this.intlOffset(sampleTime)
      // Several transitions may hide between two samples; find each in turn.
      while (sampleOffset !== previousOffset) {
        const at = this.firstChange(previousTime, previousOffset, sampleTime)
        const offset = this.intlOffset(at)
        times.push(at)
        offsets.push(offset)
        previousTime = at
        previousOffset = offset
      }
      previousTime = sampleTime
    }
    return { base, times, offsets }
  }

  /** The first second in (from, to] whose offset differs from `offset` (the offset at `from`). */
  private firstChange(from: number, offset: number, to: number): number {
    let low = from
    let high = to
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2)
      if (this.intlOffset(middle) === offset) low = middle
      else high = middle
    }
    return high
  }

  /** The offset `Intl` reports at an instant: its wall clock minus the instant. */
  private intlOffset(epochSeconds: number): number {
    const t = Math.max(epochSeconds, MIN_SAMPLE_SECONDS)
    this.format ??= new Intl.DateTimeFormat('en-US', {
      timeZone: this.name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    const text = this.format.format(new Date(t * 1000))
    const match = INTL_WALL.exec(text)
    if (!match) throw new Error(`unexpected Intl date format ${JSON.stringify(text)}`)
    const [, month, day, year, hour, minute, second] = match as unknown as string[]
    const local =
      daysFromCivil(Number(year), Number(month), Number(day)) * 86_400 +
      Number(hour) * 3600 +
      Number(minute) * 60 +
      Number(second)
    return local - t
  }
}

const INTL_WALL = /^(\d+)\/(\d+)\/(\d+),? (\d+):(\d+):(\d+)$/

/**
 * The platform's spelling of a zone, or `undefined` if it knows none. "UTC", the zone of most
 * servers and containers, is answered without `Intl`: its first use loads ICU's locale and zone
 * data, 8 MB of a host's memory that a host in UTC never needs otherwise.
 */
function canonicalZoneName(name: string): string | undefined {
  if (name === 'UTC') return name
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone
  } catch {
    return undefined
  }
}

/** The name as written, with its case fixed when it only differs from the canonical one in case. */
function displayName(name: string): string {
  const canonical = canonicalZoneName(name) as string
  return canonical.toLowerCase() === name.toLowerCase() ? canonical : name
}

function fixedOffsetOf(canonical: string): number | undefined {
  if (canonical === 'UTC' || canonical === 'Etc/UTC' || canonical === 'Etc/GMT') return 0
  // POSIX-style sign: Etc/GMT+5 is five hours *behind* UTC.
  const etc = /^Etc\/GMT([+-])(\d{1,2})$/.exec(canonical)
  if (etc) return (etc[1] === '+' ? -1 : 1) * Number(etc[2]) * 3600
  return undefined
}
