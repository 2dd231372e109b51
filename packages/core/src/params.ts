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
  const params: Record<string, string> = {}
  for (const param of task.params) {
    const value = given[param.name] ?? param.default
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
    params[param.name] = value
  }
  return params
}

/** `--<name>=<value>` for each parameter with `arg: true` that has a value, in `params:` order. */
export function paramArgs(
  task: Pick<TaskDefinition, 'params'>,
  params: Readonly<Record<string, string>>,
): string[] {
  const args: string[] = []
  for (const param of task.params) {
    const value = params[param.name]
    if (param.arg && value !== undefined) args.push(`--${param.name}=${value}`)
  }
  return args
}
