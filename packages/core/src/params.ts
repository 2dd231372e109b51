/**
 * A run's parameters: the values a trigger passes, checked against the task's `params:` and
 * completed with defaults, then handed to the task as `--<name>=<value>` arguments where the
 * parameter says `arg: true` (their environment variables are the task environment's).
 */
import { InvalidParamError } from './errors.js'
import { paramPattern } from './param-pattern.js'
import type { TaskDefinition } from './types.js'

/**
 * Checks a trigger's values against the task's `params:` and fills in defaults. Throws
 * `InvalidParamError` naming the parameter and what it expects; nothing is recorded then.
 *
 * @example
 * declare const task: TaskDefinition // params: date (required), mode (default: fast)
 * validateParams(task, { date: '2026-01-30' }) // { date: '2026-01-30', mode: 'fast' }
 */
export function validateParams(
  task: Pick<TaskDefinition, 'name' | 'params'>,
  given: Readonly<Record<string, string>>,
): Record<string, string> {
  const of = (name: string) => `parameter "${name}" of task "${task.name}"`
  const known = new Set(task.params.map((param) => param.name))
  for (const [name, value] of Object.entries(given)) {
    if (!known.has(name)) {
      const list = known.size
        ? `its parameters: ${[...known].join(', ')}`
        : 'it declares no params:'
      throw new InvalidParamError(name, `task "${task.name}" has no parameter "${name}" (${list})`)
    }
    if (typeof value !== 'string') throw new InvalidParamError(name, `${of(name)} must be text`)
  }
  // Own keys only, kept as own properties: a parameter named `constructor` or `toString` read
  // Object.prototype's (a 500 on every trigger), and `__proto__` was assigned as the prototype.
  const params: [string, string][] = []
  for (const param of task.params) {
    const value =
      (Object.hasOwn(given, param.name) ? given[param.name] : undefined) ?? param.default
    const refuse = (problem: string) => new InvalidParamError(param.name, problem)
    if (value === undefined) {
      const about = param.description ? ` (${param.description})` : ''
      if (param.required) throw refuse(`${of(param.name)} is required${about}`)
      continue
    }
    if (value.includes('\0'))
      throw refuse(`parameter "${param.name}" must not contain a NUL character`)
    if (param.enum && !param.enum.includes(value))
      throw refuse(
        `${of(param.name)} must be one of ${param.enum.join(', ')}, got ${JSON.stringify(value)}`,
      )
    if (!(paramPattern(param)?.matches(value) ?? true))
      throw refuse(
        `${of(param.name)} must match ${param.pattern} (the whole value), got ${JSON.stringify(value)}`,
      )
    params.push([param.name, value])
  }
  return Object.fromEntries(params)
}

/** `--<name>=<value>` for each parameter with `arg: true` that has a value, in `params:` order. */
export function paramArgs(
  task: Pick<TaskDefinition, 'params'>,
  params: Readonly<Record<string, string>>,
): string[] {
  const args: string[] = []
  for (const param of task.params) {
    const value = Object.hasOwn(params, param.name) ? params[param.name] : undefined
    if (param.arg && value !== undefined) args.push(`--${param.name}=${value}`)
  }
  return args
}

/**
 * Why a scheduled task can never run from its schedule (a fire gives no parameter, so a
 * required one without a default refuses every fire), or `null`. `tasse validate` reports it;
 * a fire refused so is recorded `failed` with the same reason.
 *
 * @example
 * declare const task: TaskDefinition // scheduled, params: date (required, no default)
 * unschedulableParams(task) // 'it is scheduled, but its parameter "date" is required …'
 */
export function unschedulableParams(
  task: Pick<TaskDefinition, 'trigger' | 'params'>,
): string | null {
  if (!task.trigger) return null
  const needed = task.params.filter((param) => param.required && param.default === undefined)
  if (!needed.length) return null
  const names = needed.map((param) => `"${param.name}"`).join(', ')
  return `it is scheduled, but its parameter${needed.length > 1 ? 's' : ''} ${names} ${needed.length > 1 ? 'are' : 'is'} required with no default, and a scheduled fire gives none: give ${needed.length > 1 ? 'them' : 'it'} a default, or drop required`
}
