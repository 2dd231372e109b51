/**
 * Readers of task.yaml's keys besides `scheduler:` and `entrypoint:` (`overlap`, `queue_size`,
 * `params`, `env`, `retries`): each validates one value and throws a `TasseConfigError` naming
 * the file, the key (down to `params[2].pattern`), what is expected and the value received.
 */
import { readDuration } from './duration.js'
import { TasseConfigError } from './errors.js'
import { paramPattern } from './param-pattern.js'
import type { ConfigLocation, OverlapPolicy, ParamDefinition, RetryPolicy } from './types.js'
import { show, unknownKeyProblem } from './wording.js'

export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ['skip', 'queue', 'replace', 'allow']
export const PARAM_KEYS = [
  'name',
  'description',
  'required',
  'default',
  'pattern',
  'enum',
  'arg',
] as const
export const RETRY_KEYS = ['max', 'delay', 'backoff'] as const
/** A parameter's name (it becomes TASSE_PARAM_<NAME>) and an environment variable's. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export function readOverlap(value: unknown, at: ConfigLocation): OverlapPolicy {
  if (value === undefined || value === null) return 'skip'
  if (typeof value === 'string' && (OVERLAP_POLICIES as readonly string[]).includes(value))
    return value as OverlapPolicy
  throw new TasseConfigError(
    at,
    `must be one of ${OVERLAP_POLICIES.join(', ')}, got ${show(value)}`,
  )
}

export function readQueueSize(value: unknown, at: ConfigLocation): number {
  if (value === undefined || value === null) return 1
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value
  throw new TasseConfigError(at, `must be a whole number of runs, 1 or more, got ${show(value)}`)
}

export function readParams(value: unknown, at: ConfigLocation): ParamDefinition[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value))
    throw new TasseConfigError(
      at,
      `must be a list of parameters (e.g. "- {name: date, required: true}"), got ${show(value)}`,
    )
  const seen = new Set<string>()
  return value.map((item, index): ParamDefinition => {
    const here = (key?: string) => ({
      ...at,
      field: `${at.field}[${index}]${key ? `.${key}` : ''}`,
    })
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw new TasseConfigError(
        here(),
        `must be a mapping with at least "name", got ${show(item)}`,
      )
    const param = item as Record<string, unknown>
    for (const key of Object.keys(param))
      if (!(PARAM_KEYS as readonly string[]).includes(key))
        throw new TasseConfigError(here(key), unknownKeyProblem(key, PARAM_KEYS))
    const name = param.name
    if (typeof name !== 'string' || !VARIABLE_NAME.test(name))
      throw new TasseConfigError(
        here('name'),
        `must be a name of letters, digits and "_" (it becomes TASSE_PARAM_<NAME>), got ${show(name)}`,
      )
    // JSON readers drop or misread the key `__proto__`: no request could ever give it.
    if (name === '__proto__')
      throw new TasseConfigError(
        here('name'),
        'must not be "__proto__" (JavaScript reserves that key: no request could give it)',
      )
    if (seen.has(name.toUpperCase()))
      throw new TasseConfigError(here('name'), `repeats the parameter ${show(name)}`)
    seen.add(name.toUpperCase())
    const text = (key: string): string | undefined => {
      const v = param[key]
      if (v === undefined || v === null) return undefined
      if (typeof v === 'string') return v
      if (key === 'default' && (typeof v === 'number' || typeof v === 'boolean')) return String(v)
      throw new TasseConfigError(here(key), `must be text, got ${show(v)}`)
    }
    const definition: ParamDefinition = { name, required: false }
    const description = text('description')
    if (description !== undefined) definition.description = description
    const fallback = text('default')
    if (fallback !== undefined) definition.default = fallback
    const pattern = text('pattern')
    if (pattern !== undefined) {
      definition.pattern = pattern
      try {
        paramPattern(definition) // compiled now, once, and kept with the definition
      } catch (cause) {
        throw new TasseConfigError(
          here('pattern'),
          `${(cause as Error).message}, got ${show(pattern)}`,
          { cause },
        )
      }
    }
    if (param.enum !== undefined) {
      if (
        !Array.isArray(param.enum) ||
        param.enum.length === 0 ||
        param.enum.some((v) => typeof v === 'object')
      )
        throw new TasseConfigError(
          here('enum'),
          `must be a non-empty list of values, got ${show(param.enum)}`,
        )
      definition.enum = param.enum.map(String)
    }
    for (const key of ['required', 'arg'] as const) {
      const flag = param[key]
      if (flag === undefined) continue
      if (typeof flag !== 'boolean')
        throw new TasseConfigError(here(key), `must be true or false, got ${show(flag)}`)
      definition[key] = flag
    }
    return definition
  })
}

export function readEnv(value: unknown, at: ConfigLocation): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TasseConfigError(
      at,
      `must be a mapping of variable names to values, got ${show(value)}`,
    )
  const env: Record<string, string> = {}
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (!VARIABLE_NAME.test(key))
      throw new TasseConfigError(
        { ...at, field: `${at.field}.${key}` },
        'is not a valid environment variable name',
      )
    if (v === null || typeof v === 'object')
      throw new TasseConfigError(
        { ...at, field: `${at.field}.${key}` },
        `must be text or a number, got ${show(v)}`,
      )
    env[key] = String(v)
  }
  return env
}

export function readRetries(value: unknown, at: ConfigLocation): RetryPolicy | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'number') return readRetries({ max: value }, at)
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TasseConfigError(
      at,
      `must be a mapping such as "{max: 2, delay: 30s, backoff: 2}", got ${show(value)}`,
    )
  const retries = value as Record<string, unknown>
  for (const key of Object.keys(retries))
    if (!(RETRY_KEYS as readonly string[]).includes(key))
      throw new TasseConfigError(
        { ...at, field: `${at.field}.${key}` },
        unknownKeyProblem(key, RETRY_KEYS),
      )
  const max = retries.max
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 0)
    throw new TasseConfigError(
      { ...at, field: `${at.field}.max` },
      `must be a whole number of retries, got ${show(max)}`,
    )
  const backoff = retries.backoff ?? 1
  if (typeof backoff !== 'number' || !(backoff >= 1))
    throw new TasseConfigError(
      { ...at, field: `${at.field}.backoff` },
      `must be a number ≥ 1 (the factor between delays), got ${show(backoff)}`,
    )
  const delayMs =
    retries.delay === undefined || retries.delay === 0
      ? 0
      : readDuration(retries.delay, { ...at, field: `${at.field}.delay` })
  return { max, delayMs, backoff }
}
