/**
 * APScheduler 3's cron fields: the defaults rule (APSCHEDULER.md §3.1) and the expression
 * syntax (§3.2), parsed with APScheduler's own patterns so that odd inputs it accepts
 * (`mon-fri/2`, `lastx`, `2nd fri extra`, `0-0/5`) mean what they meant there.
 */

/** The cron fields, most significant first. */
export const CRON_FIELD_NAMES = [
  'year',
  'month',
  'day',
  'week',
  'day_of_week',
  'hour',
  'minute',
  'second',
] as const
export type CronFieldName = (typeof CRON_FIELD_NAMES)[number]

export interface FieldSpec {
  min: number
  max: number
  /** What a field after the least significant given one defaults to. */
  defaultExpression: string
  /** Words used in messages: `hour (0-23)`. */
  label: string
}

/** Each field's range, default and words (task.yaml's schema takes the ranges from here). */
export const FIELD_SPECS: Readonly<Record<CronFieldName, FieldSpec>> = {
  year: { min: 1970, max: 9999, defaultExpression: '*', label: 'a year 1970-9999' },
  month: { min: 1, max: 12, defaultExpression: '1', label: 'a month 1-12 or jan-dec' },
  day: { min: 1, max: 31, defaultExpression: '1', label: 'a day of the month 1-31' },
  week: { min: 1, max: 53, defaultExpression: '*', label: 'an ISO week 1-53' },
  day_of_week: {
    min: 0,
    max: 6,
    defaultExpression: '*',
    label: 'a weekday 0-6 (0 = Monday) or mon-sun',
  },
  hour: { min: 0, max: 23, defaultExpression: '0', label: 'an hour 0-23' },
  minute: { min: 0, max: 59, defaultExpression: '0', label: 'a minute 0-59' },
  second: { min: 0, max: 59, defaultExpression: '0', label: 'a second 0-59' },
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const POSITIONS = ['1st', '2nd', '3rd', '4th', '5th', 'last']

/** A day rule that depends on the month: `last`, `2nd fri`, `last sun`. */
export type DayRule =
  | { kind: 'last-day' }
  /** `nth` counts from 0 (`1st` is 0). */
  | { kind: 'nth-weekday'; nth: number; weekday: number }
  | { kind: 'last-weekday'; weekday: number }

/** One field after parsing: its source and the values it matches. */
export interface CronField {
  name: CronFieldName
  /** The expression as read (`String(value).trim()`), or the default put in its place. */
  expression: string
  /** True when the user did not give this field. */
  isDefault: boolean
  /** `matches[v]` is 1 when value v matches (index = value; indices below `min` unused). */
  matches: Uint8Array
  /** Month-dependent rules (day field only). */
  dayRules: DayRule[]
}

/** A field that cannot be read: `problem` reads "must be …, got …" after `scheduler.<field>`. */
export class CronFieldError extends Error {
  override readonly name = 'CronFieldError'
  readonly field: CronFieldName
  readonly problem: string
  constructor(field: CronFieldName, problem: string) {
    super(`${field} ${problem}`)
    this.field = field
    this.problem = problem
  }
}

/**
 * Applies APScheduler's defaults rule and parses every field. `values` holds the fields given
 * (an `undefined` or `null` value counts as not given, as `None` did).
 *
 * Every field after the least significant given one defaults to its minimum (`week` and
 * `day_of_week` to `*`); every other missing field is `*`. With no field given, all are `*`.
 */
export function parseCronFields(values: Partial<Record<CronFieldName, unknown>>): CronField[] {
  const given = CRON_FIELD_NAMES.filter(
    (name) => values[name] !== undefined && values[name] !== null,
  )
  // With no field at all every field is `*` (fires every second), as in APScheduler.
  const last = given.length
    ? CRON_FIELD_NAMES.indexOf(given[given.length - 1] as CronFieldName)
    : CRON_FIELD_NAMES.length
  return CRON_FIELD_NAMES.map((name, index) => {
    if (given.includes(name)) return parseCronField(name, values[name])
    const expression = index > last ? FIELD_SPECS[name].defaultExpression : '*'
    return { ...parseCronField(name, expression), isDefault: true }
  })
}

/** Parses one field's value (an integer or an expression string). Throws `CronFieldError`. */
export function parseCronField(name: CronFieldName, value: unknown): CronField {
  const spec = FIELD_SPECS[name]
  if (typeof value === 'number' && !Number.isInteger(value)) {
    throw new CronFieldError(
      name,
      `must be ${spec.label} or a cron expression, got ${value} (not a whole number)`,
    )
  }
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw new CronFieldError(
      name,
      `must be ${spec.label} or a cron expression string such as "*/5" or "1-5", got ${describeValue(value)}`,
    )
  }
  const expression = String(value).trim()
  const matches = new Uint8Array(spec.max + 1)
  const dayRules: DayRule[] = []
  // APScheduler splits on ' *, *' after trimming the whole value.
  const items = expression.split(/ *, */)
  for (const item of items) compileItem(name, spec, item, expression, matches, dayRules)
  return { name, expression, isDefault: false, matches, dayRules }
}

// ---------------------------------------------------------------------------------------------

// APScheduler's patterns, applied with `re.match` (anchored at the start only): those without
// `$` accept trailing text, which is why `mon-fri/2` reads as `mon-fri` and `lastx` as `last`.
const ALL = /^\*(?:\/(\d+))?$/
const RANGE = /^(\d+)(?:-(\d+))?(?:\/(\d+))?$/
const NAME_RANGE = /^([a-z]+)(?:-([a-z]+))?/i
const WEEKDAY_POSITION = /^(1st|2nd|3rd|4th|5th|last) +(\d+|\w+)/i
const LAST_DAY = /^last/i

function compileItem(
  name: CronFieldName,
  spec: FieldSpec,
  item: string,
  expression: string,
  matches: Uint8Array,
  dayRules: DayRule[],
): void {
  const fail = (problem: string): never => {
    throw new CronFieldError(name, `${problem}, got ${JSON.stringify(expression)}`)
  }
  const span = spec.max - spec.min

  let match = ALL.exec(item)
  if (match) {
    const step = match[1] === undefined ? 1 : Number(match[1])
    if (step === 0) fail(`must have a step of at least 1 in "${item}"`)
    if (step > span) {
      fail(`must have a step of at most ${span} in "${item}" (the span of ${spec.min}-${spec.max})`)
    }
    for (let v = spec.min; v <= spec.max; v += step) matches[v] = 1
    return
  }

  match = RANGE.exec(item)
  if (match) {
    const first = Number(match[1])
    const lastGiven = match[2] === undefined ? undefined : Number(match[2])
    const step = match[3] === undefined ? undefined : Number(match[3])
    if (step === 0) fail(`must have a step of at least 1 in "${item}"`)
    const last = lastGiven ?? (step === undefined ? first : undefined)
    if (last !== undefined && first > last) {
      fail(`must be a range "a-b" with a ≤ b in "${item}" (ranges do not wrap around)`)
    }
    if (first < spec.min || (last ?? first) > spec.max) {
      fail(`must be ${spec.label} in "${item}" (out of range)`)
    }
    if (step !== undefined) {
      if (step > span) {
        fail(
          `must have a step of at most ${span} in "${item}" (the span of ${spec.min}-${spec.max})`,
        )
      }
      // APScheduler measures a range's span as `(last or max) - first`: `0-0/5` spans to max.
      const reach = (last || spec.max) - first
      if (step > reach)
        fail(`must have a step of at most ${reach} in "${item}" (the span of the range)`)
    }
    const end = Math.min(last ?? spec.max, spec.max)
    for (let v = first; v <= end; v += step ?? 1) matches[v] = 1
    return
  }

  if (name === 'day') {
    match = WEEKDAY_POSITION.exec(item)
    if (match) {
      const position = POSITIONS.indexOf((match[1] as string).toLowerCase())
      const weekday = WEEKDAYS.indexOf((match[2] as string).toLowerCase())
      if (weekday < 0)
        fail(`must name the weekday with mon-sun in "${item}", as in "2nd fri" or "last sun"`)
      dayRules.push(
        position === 5
          ? { kind: 'last-weekday', weekday }
          : { kind: 'nth-weekday', nth: position, weekday },
      )
      return
    }
    if (LAST_DAY.test(item)) {
      dayRules.push({ kind: 'last-day' })
      return
    }
  }

  const names = name === 'month' ? MONTHS : name === 'day_of_week' ? WEEKDAYS : undefined
  if (names) {
    match = NAME_RANGE.exec(item)
    if (match) {
      const offset = name === 'month' ? 1 : 0
      const [, firstName, lastName] = match as unknown as [string, string, string | undefined]
      const first = names.indexOf(firstName.toLowerCase())
      const last = lastName === undefined ? first : names.indexOf(lastName.toLowerCase())
      const kind = name === 'month' ? 'month' : 'weekday'
      if (first < 0 || last < 0) {
        fail(
          `must use 3-letter ${kind} names (${names[0]}..${names[names.length - 1]}) in "${item}"`,
        )
      }
      if (first > last)
        fail(`must be a range "a-b" with a ≤ b in "${item}" (ranges do not wrap around)`)
      for (let v = first; v <= last; v++) matches[v + offset] = 1
      return
    }
  }

  fail(`must be ${spec.label} or a cron expression (${syntaxHint(name)})`)
}

function syntaxHint(name: CronFieldName): string {
  const base = '"*", "*/s", "a", "a-b", "a-b/s", "a/s", or a comma-separated list of them'
  if (name === 'day') return `${base}, "last", "1st".."5th <mon-sun>", "last <mon-sun>"`
  if (name === 'month') return `${base}, or names jan..dec`
  if (name === 'day_of_week') return `${base}, or names mon..sun`
  return base
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return `a list ${JSON.stringify(value)}`
  if (value !== null && typeof value === 'object') return `a mapping ${JSON.stringify(value)}`
  return JSON.stringify(value) ?? String(value)
}
