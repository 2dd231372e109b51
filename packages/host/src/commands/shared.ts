/** What several commands share: the client flags, `--param k=v`, and JSON output. */
import { isValidTaskName } from '@tasse/core'
import { DEFAULT_URL, TasseClient } from '../client.js'
import type { Command, CommandInput } from './command.js'

/** `--url` and `--token` of the commands that talk to a running host. */
export const CLIENT_FLAGS = {
  url: { type: 'string' },
  token: { type: 'string' },
} as const satisfies Command['options']

export const CLIENT_HELP = [
  `  --url URL        the host's address                 [TASSE_URL, default ${DEFAULT_URL}]`,
  '  --token TOKEN    a bearer token, when the host needs one  [TASSE_TOKEN]',
].join('\n')

export const JSON_FLAG = { json: { type: 'boolean' } } as const satisfies Command['options']

/** A client from `--url`/`TASSE_URL` and `--token`/`TASSE_TOKEN`. */
export function clientFrom(
  values: CommandInput['values'],
  env: NodeJS.ProcessEnv = process.env,
): TasseClient {
  const url = stringFlag(values.url) ?? (env.TASSE_URL || DEFAULT_URL)
  if (!/^https?:\/\/[^/]+/.test(url))
    throw new UsageError(`--url must be an http:// or https:// address, got ${JSON.stringify(url)}`)
  return new TasseClient({ url, token: stringFlag(values.token) ?? (env.TASSE_TOKEN || null) })
}

/** `--param k=v`, repeated, as a record; the last of a repeated name wins. */
export function paramsFrom(values: CommandInput['values']): Record<string, string> {
  const params: Record<string, string> = {}
  const given = values.param
  for (const item of Array.isArray(given) ? given : given === undefined ? [] : [given]) {
    const text = String(item)
    const equals = text.indexOf('=')
    if (equals <= 0) throw new UsageError(`--param takes NAME=VALUE, got ${JSON.stringify(text)}`)
    params[text.slice(0, equals)] = text.slice(equals + 1)
  }
  return params
}

/** The one positional a command needs, checked. */
export function onePositional(input: CommandInput, what: string, usage: string): string {
  const [value, ...extra] = input.positionals
  if (value === undefined) throw new UsageError(`missing ${what}\n\n${usage}`)
  if (extra.length) throw new UsageError(`unexpected ${JSON.stringify(extra[0])}\n\n${usage}`)
  return value
}

/** A task name from the command line, refused before anything uses it. */
export function taskNameArgument(input: CommandInput, usage: string): string {
  const name = onePositional(input, 'the task name', usage)
  if (!isValidTaskName(name))
    throw new UsageError(
      `${JSON.stringify(name)} is not a task name: letters, digits, ".", "_" and "-", starting with a letter or digit`,
    )
  return name
}

/** A mistake in how a command was called: exit status 2, like `parseArgs` errors. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

function stringFlag(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}
