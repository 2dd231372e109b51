/**
 * The contract every `Trigger` and `TriggerFactory` passes. `testTrigger({ name, create })`
 * registers a Vitest `describe` block that checks what the scheduler relies on: a valid zone and
 * a description; a first fire time at or after `now`; chained fire times that strictly increase
 * (the scheduler's catch-up loop would never end otherwise); pure maths (the same question gets
 * the same answer, in any order, with no timer and no clock); and speed. `testTriggerFactory`
 * runs those checks on a trigger built from each valid option set, and checks that invalid ones
 * are refused with a `TasseConfigError` that names the file and the `scheduler.<key>`.
 */
import { afterEach, describe, expect, vi } from 'vitest'
import { TasseConfigError } from '../errors.js'
import { formatInstant } from '../time/iso.js'
import { timeZone, timeZoneProblem } from '../time/zone.js'
import type { EpochMicros, Trigger, TriggerContext, TriggerFactory } from '../types.js'
import { cpuMillis } from './cpu-time.js'
import { contractIt, type SkippedTests } from './skip.js'

/** The tests of `testTrigger`, by title (for `skip`). */
export const TRIGGER_CONTRACT_TESTS = [
  'has a type, an IANA zone and a description',
  'gives a first fire time at or after now, or null',
  'gives chained fire times that strictly increase, or end with null',
  'gives a fire time after the previous one however late now is',
  'answers the same question the same way, in any order',
  'answers as another trigger made alike does',
  'uses no timer and no clock',
  'computes 10,000 chained fire times in well under a second',
] as const
export type TriggerContractTest = (typeof TRIGGER_CONTRACT_TESTS)[number]

/** The tests of `testTriggerFactory` itself, by title (for `skip`). */
export const TRIGGER_FACTORY_CONTRACT_TESTS = [
  'has a type and lists its option keys',
  'builds a trigger of its type from each valid option set',
  "uses the context's default zone when the options name none",
  "draws randomness only from the context's random",
  'refuses each invalid option set with a TasseConfigError naming the file and the key',
  'describes in its schema, when it has one, exactly the options it lists',
] as const
export type TriggerFactoryContractTest = (typeof TRIGGER_FACTORY_CONTRACT_TESTS)[number]

export interface TestTriggerOptions {
  /** Shown in the suite's title, e.g. `cron mon-fri 17:30`. */
  name: string
  /** A new trigger; called by each test (twice where two alike are compared). */
  create: () => Trigger
  /**
   * The instants asked from, as `now` (µs since the epoch, or ISO strings with an offset).
   * @default `TRIGGER_CONTRACT_FROM`: 1970 to 9999, with leap days, DST changes and 2038
   */
  from?: readonly (EpochMicros | string)[]
  /** Fire times chained from each instant. @default 300 */
  steps?: number
  /**
   * The trigger delays fires at random (`jitter`) with a `random` that is not pinned: the tests
   * that compare two answers are skipped. Pin the context's `random` instead where you can.
   * @default false
   */
  jitter?: boolean
  /** Tests this trigger does not pass by design, with the reason. */
  skip?: readonly SkippedTests<TriggerContractTest>[]
}

/** An invalid option set and what the error must say. */
export interface InvalidTriggerOptions {
  options: Readonly<Record<string, unknown>>
  /** The error's `field`: the dotted key at fault, e.g. `scheduler.hour` (or `scheduler`). */
  field: string
  /** Matched against the error's message (a string is looked for as is). */
  message?: string | RegExp
}

export interface TestTriggerFactoryOptions {
  factory: TriggerFactory
  /** Option sets the factory accepts (the `scheduler` mapping without `trigger`); at least one. */
  valid: readonly Readonly<Record<string, unknown>>[]
  /** Option sets it refuses. */
  invalid?: readonly InvalidTriggerOptions[]
  /** Passed to `testTrigger` for the trigger of every valid option set. */
  from?: TestTriggerOptions['from']
  steps?: TestTriggerOptions['steps']
  /** Tests of the factory suite, or of `testTrigger` for every valid option set, not run, and why. */
  skip?: readonly SkippedTests<TriggerContractTest | TriggerFactoryContractTest>[]
}

/** µs since the epoch of an ISO string with an offset, keeping up to six fraction digits. */
function micros(iso: string): EpochMicros {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) throw new Error(`testTrigger: not an ISO date-time: ${iso}`)
  const fraction = /\.(\d{1,6})/.exec(iso)?.[1] ?? ''
  return Math.floor(ms / 1000) * 1_000_000 + Number(fraction.padEnd(6, '0'))
}

/**
 * Where the suite asks from: ordinary days, leap days, the daylight-saving changes of Europe and
 * North America (and the southern hemisphere's), instants with microseconds, the 2038 rollover of
 * 32-bit seconds, and the last minutes of year 9999, where every schedule must end.
 */
export const TRIGGER_CONTRACT_FROM: readonly string[] = [
  '1970-01-01T00:00:00Z',
  '1999-12-31T23:59:59.999999Z',
  '2000-02-29T12:34:56.789012Z',
  '2024-03-31T00:59:59.999999Z',
  '2024-03-10T06:30:00Z',
  '2024-10-27T00:30:00.5Z',
  '2024-11-03T05:59:59Z',
  '2024-04-06T15:00:00Z',
  '2026-01-01T00:00:00Z',
  '2038-01-19T03:14:07.999999Z',
  '2100-02-28T23:59:59.000001Z',
  '9999-12-31T23:58:00Z',
]

/**
 * Registers the trigger contract suite in the calling test file.
 *
 * @example
 * // packages/trigger-foo/test/contract.test.ts
 * import type { Trigger, TriggerContext } from '@tasse/core'
 * import { testTrigger } from '@tasse/core/testing'
 * // The package's trigger:
 * declare function fooTrigger(options: { every: number }, context: TriggerContext): Trigger
 * testTrigger({
 *   name: 'foo every other day',
 *   create: () => fooTrigger({ every: 2 }, { at: { file: 'task.yaml', field: 'scheduler' }, defaultTimezone: 'UTC', random: () => 0.5 }),
 * })
 */
export function testTrigger(options: TestTriggerOptions): void {
  describe(`Trigger contract: ${options.name}`, () => {
    registerTriggerTests(options, options.skip ?? [])
  })
}

/**
 * Registers the trigger factory contract suite in the calling test file: the factory's own
 * checks, then `testTrigger`'s for a trigger built from each valid option set (with `random`
 * pinned, so a jittered trigger is deterministic too).
 *
 * @example
 * // packages/trigger-foo/test/contract.test.ts
 * import type { TriggerFactory } from '@tasse/core'
 * import { testTriggerFactory } from '@tasse/core/testing'
 * declare const fooTriggerFactory: TriggerFactory // the package's factory
 * testTriggerFactory({
 *   factory: fooTriggerFactory,
 *   valid: [{ every: 2 }, { every: 1, timezone: 'Europe/Paris' }],
 *   invalid: [{ options: { every: 'often' }, field: 'scheduler.every', message: /"often"/ }],
 * })
 */
export function testTriggerFactory(options: TestTriggerFactoryOptions): void {
  const { factory } = options
  const skip = options.skip ?? []
  const factorySkip = skip.map((entry) => ({
    reason: entry.reason,
    tests: entry.tests.filter((t) =>
      (TRIGGER_FACTORY_CONTRACT_TESTS as readonly string[]).includes(t),
    ),
  }))
  const triggerSkip = skip.map((entry) => ({
    reason: entry.reason,
    tests: entry.tests.filter((t) => (TRIGGER_CONTRACT_TESTS as readonly string[]).includes(t)),
  })) as SkippedTests<TriggerContractTest>[]
  for (const entry of skip)
    for (const title of entry.tests)
      if (
        !(TRIGGER_FACTORY_CONTRACT_TESTS as readonly string[]).includes(title) &&
        !(TRIGGER_CONTRACT_TESTS as readonly string[]).includes(title)
      )
        throw new Error(
          `TriggerFactory contract: cannot skip ${JSON.stringify(title)}, no test has that title`,
        )

  describe(`TriggerFactory contract: ${factory.type}`, () => {
    const check = contractIt('TriggerFactory contract', TRIGGER_FACTORY_CONTRACT_TESTS, factorySkip)
    const file = `tasks/${factory.type}-contract/task.yaml`
    /** The default zone the suite passes: one no schedule would pick by chance. */
    const defaultTimezone = 'Asia/Kathmandu'
    const context = (): TriggerContext => ({
      at: { file, field: 'scheduler' },
      defaultTimezone,
      random: () => 0.5,
    })

    check('has a type and lists its option keys', () => {
      expect(typeof factory.type).toBe('string')
      expect(factory.type.length, 'type').toBeGreaterThan(0)
      expect(factory.type.trim(), 'type has no surrounding spaces').toBe(factory.type)
      expect(Array.isArray(factory.options), 'options is an array').toBe(true)
      expect(factory.options.length, 'options lists at least one key').toBeGreaterThan(0)
      for (const key of factory.options) expect(typeof key, `option key ${key}`).toBe('string')
      expect(new Set(factory.options).size, 'option keys are unique').toBe(factory.options.length)
      // Core splits these off before the factory sees the mapping.
      for (const reserved of ['trigger', 'misfire_grace_time', 'coalesce', 'max_instances'])
        expect(factory.options, `lists the job option ${reserved}`).not.toContain(reserved)
    })

    check('describes in its schema, when it has one, exactly the options it lists', () => {
      // task.yaml's JSON Schema takes the keys from `options` and their forms from `schema`:
      // a key in one and not the other would be refused by an editor and accepted by Tasse.
      if (!factory.schema) return
      expect(Object.keys(factory.schema.properties).sort()).toEqual([...factory.options].sort())
      for (const key of factory.schema.required ?? [])
        expect(factory.options, `required option ${key}`).toContain(key)
    })

    check('builds a trigger of its type from each valid option set', () => {
      expect(options.valid.length, 'at least one valid option set is given').toBeGreaterThan(0)
      for (const valid of options.valid) {
        // Core refuses a key the factory does not list before the factory sees it.
        for (const key of Object.keys(valid))
          expect(factory.options, `${show(valid)}: key ${key} is listed`).toContain(key)
        const trigger = factory.create(valid, context())
        expect(trigger.type, show(valid)).toBe(factory.type)
      }
    })

    check("uses the context's default zone when the options name none", () => {
      for (const valid of options.valid) {
        if (valid.timezone !== undefined && valid.timezone !== null) continue
        expect(factory.create(valid, context()).timezone, show(valid)).toBe(defaultTimezone)
      }
    })

    check("draws randomness only from the context's random", () => {
      const random = vi.spyOn(Math, 'random')
      try {
        for (const valid of options.valid) {
          const trigger = factory.create(valid, context())
          let previous: EpochMicros | null = null
          for (let i = 0; i < 50; i++) {
            previous = trigger.nextFireTime(previous, micros('2026-01-01T00:00:00Z'))
            if (previous === null) break
          }
        }
        expect(random, 'Math.random calls').not.toHaveBeenCalled()
      } finally {
        random.mockRestore()
      }
    })

    check(
      'refuses each invalid option set with a TasseConfigError naming the file and the key',
      () => {
        for (const invalid of options.invalid ?? []) {
          let error: unknown
          try {
            factory.create(invalid.options, context())
          } catch (caught) {
            error = caught
          }
          const label = show(invalid.options)
          expect(error, `${label} is refused`).toBeInstanceOf(TasseConfigError)
          const configError = error as TasseConfigError
          // The key at fault, or the mapping itself when what is wrong is what it lacks.
          expect(configError.field, `${label}: field`).toMatch(/^scheduler(\.|$)/)
          expect(configError.field, `${label}: field`).toBe(invalid.field)
          expect(configError.file, `${label}: file`).toBe(file)
          expect(configError.message, `${label}: message names the file`).toContain(file)
          expect(configError.message, `${label}: message names the key`).toContain(invalid.field)
          if (typeof invalid.message === 'string')
            expect(configError.message, label).toContain(invalid.message)
          else if (invalid.message) expect(configError.message, label).toMatch(invalid.message)
        }
      },
    )

    for (const valid of options.valid) {
      describe(`trigger from ${show(valid)}`, () => {
        registerTriggerTests(
          {
            name: show(valid),
            create: () => factory.create(valid, context()),
            ...(options.from ? { from: options.from } : {}),
            ...(options.steps !== undefined ? { steps: options.steps } : {}),
          },
          triggerSkip,
        )
      })
    }
  })
}

// ---------------------------------------------------------------------------------------------

function registerTriggerTests(
  options: TestTriggerOptions,
  skip: readonly SkippedTests<TriggerContractTest>[],
): void {
  const jitterSkip: SkippedTests<TriggerContractTest>[] = options.jitter
    ? [
        {
          reason: 'its fires are jittered at random',
          tests: [
            'answers the same question the same way, in any order',
            'answers as another trigger made alike does',
          ],
        },
      ]
    : []
  const check = contractIt('Trigger contract', TRIGGER_CONTRACT_TESTS, [...skip, ...jitterSkip])
  const from = (options.from ?? TRIGGER_CONTRACT_FROM).map((t) =>
    typeof t === 'string' ? micros(t) : t,
  )
  const steps = options.steps ?? 300

  afterEach(() => {
    vi.useRealTimers()
  })

  check('has a type, an IANA zone and a description', () => {
    const trigger = options.create()
    expect(typeof trigger.type, 'type').toBe('string')
    expect(trigger.type.length, 'type').toBeGreaterThan(0)
    expect(timeZoneProblem(trigger.timezone), `timezone ${show(trigger.timezone)}`).toBeUndefined()
    const description = trigger.describe()
    expect(typeof description, 'describe()').toBe('string')
    expect(description.trim().length, 'describe() is not blank').toBeGreaterThan(0)
    expect(description, 'describe() is one line').not.toMatch(/[\r\n]/)
    expect(trigger.describe(), 'describe() again').toBe(description)
  })

  check('gives a first fire time at or after now, or null', () => {
    const trigger = options.create()
    const when = shower(trigger)
    for (const now of from) {
      const first = trigger.nextFireTime(null, now)
      if (first === null) continue
      expectInstant(first, `first fire time from ${when(now)}`)
      expect(first, `first fire time from ${when(now)} is ${when(first)}`).toBeGreaterThanOrEqual(
        now,
      )
    }
  })

  check('gives chained fire times that strictly increase, or end with null', () => {
    const trigger = options.create()
    const when = shower(trigger)
    for (const now of from) {
      let previous = trigger.nextFireTime(null, now)
      for (let i = 0; i < steps && previous !== null; i++) {
        // As the scheduler asks when a fire is due: now is the fire time itself.
        const next = trigger.nextFireTime(previous, previous)
        if (next === null) break
        expectInstant(next, `fire time after ${when(previous)}`)
        if (!(next > previous))
          expect.fail(
            `from ${when(now)}, step ${i + 1}: the fire time after ${when(previous)} is ${when(next)}, not later`,
          )
        previous = next
      }
    }
  })

  check('gives a fire time after the previous one however late now is', () => {
    // The scheduler's catch-up loop asks `nextFireTime(previous, now)` until the answer is
    // after now: an answer that is not after `previous` would keep it there for ever.
    const trigger = options.create()
    const when = shower(trigger)
    const lags = [1, 1_000_000, 3_600_000_000, 40 * 86_400_000_000, 3 * 365 * 86_400_000_000]
    for (const now of from) {
      let previous = trigger.nextFireTime(null, now)
      for (let i = 0; i < 20 && previous !== null; i++) {
        for (const lag of lags) {
          const next = trigger.nextFireTime(previous, previous + lag)
          if (next !== null && !(next > previous))
            expect.fail(
              `the fire time after ${when(previous)}, asked ${lag} µs later, is ${when(next)}, not later`,
            )
        }
        previous = trigger.nextFireTime(previous, previous)
      }
    }
  })

  check('answers the same question the same way, in any order', () => {
    const trigger = options.create()
    const forward = askAll(trigger, from, 50)
    const backward = askAll(trigger, [...from].reverse(), 50).reverse()
    expect(backward, 'the same questions asked in reverse order').toStrictEqual(forward)
    expect(askAll(trigger, from, 50), 'the same questions asked again').toStrictEqual(forward)
    const when = shower(trigger)
    for (const now of from) {
      const first = trigger.nextFireTime(null, now)
      expect(trigger.nextFireTime(null, now), `first from ${when(now)}, asked twice`).toBe(first)
      if (first === null) continue
      const second = trigger.nextFireTime(first, first)
      expect(trigger.nextFireTime(first, first), `after ${when(first)}, asked twice`).toBe(second)
    }
  })

  check('answers as another trigger made alike does', () => {
    const a = options.create()
    const answersOfA = askAll(a, from, 50)
    const b = options.create()
    expect(askAll(b, [...from].reverse(), 50).reverse()).toStrictEqual(answersOfA)
  })

  check('uses no timer and no clock', () => {
    const expected = askAll(options.create(), from, 50)
    // A trigger that read the clock would answer differently in 1990; one that set a timer
    // would leave it pending.
    vi.useFakeTimers({ now: Date.UTC(1990, 5, 15, 12) })
    const trigger = options.create()
    const answers = askAll(trigger, from, 50)
    expect(vi.getTimerCount(), 'timers left pending').toBe(0)
    if (!options.jitter)
      expect(answers, 'answers with the clock set to 1990').toStrictEqual(expected)
  })

  check('computes 10,000 chained fire times in well under a second', () => {
    const trigger = options.create()
    const now = micros('2026-01-01T00:00:00Z')
    const { result: count, ms: elapsed } = cpuMillis(() => {
      let previous = trigger.nextFireTime(null, now)
      let fired = 1
      while (previous !== null && fired < 10_000) {
        previous = trigger.nextFireTime(previous, previous)
        fired++
      }
      return fired
    })
    // NOTE: generous on purpose: the slowest built-in rule takes 0.1-0.5 s of CPU here. What it
    // catches is the trigger that walks from its start date on every call, or steps second by
    // second: that takes many seconds of CPU.
    expect(elapsed, `${count} fire times took ${elapsed.toFixed(0)} ms of CPU`).toBeLessThan(3_000)
  })
}

/** Every first fire time from `from`, each followed by `chain` chained ones. */
function askAll(
  trigger: Trigger,
  from: readonly EpochMicros[],
  chain: number,
): (number | null)[][] {
  return from.map((now) => {
    const answers: (number | null)[] = []
    let previous = trigger.nextFireTime(null, now)
    answers.push(previous)
    for (let i = 0; i < chain && previous !== null; i++) {
      previous = trigger.nextFireTime(previous, previous)
      answers.push(previous)
    }
    return answers
  })
}

function expectInstant(value: unknown, what: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value))
    expect.fail(`${what} is ${String(value)}: not a whole number of µs since the epoch`)
}

/** Instants in the trigger's zone (UTC if the zone is not valid), for failure messages. */
function shower(trigger: Trigger): (instant: EpochMicros) => string {
  const zone = timeZone(timeZoneProblem(trigger.timezone) ? 'UTC' : trigger.timezone)
  return (instant) => {
    try {
      return `${formatInstant(instant, zone)} (${instant})`
    } catch {
      return String(instant)
    }
  }
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value)
}
