/** What several commands share: the client flags, `--param k=v`, data folders and JSON output. */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { isValidTaskName } from '@tasse/core'
import { CliError, EXIT, UsageError } from '../cli/exit-codes.js'
import type { HelpRow } from '../cli/help-table.js'
import { DEFAULT_URL, TasseClient } from '../client.js'
import type { Command, CommandInput } from './command.js'

export { UsageError }

/** `--url` and `--token` of the commands that talk to a running host. */
export const CLIENT_FLAGS = {
  url: { type: 'string' },
  token: { type: 'string' },
} as const satisfies Command['options']

export const TOKEN_ROW: HelpRow = [
  '--token TOKEN',
  'a bearer token, when the host needs one',
  'TASSE_TOKEN',
]

export const CLIENT_ROWS: readonly HelpRow[] = [
  ['--url URL', "the host's address", `TASSE_URL, default ${DEFAULT_URL}`],
  TOKEN_ROW,
]

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
  // As entries: `params.__proto__ = v` would set a prototype, not a parameter.
  const params = new Map<string, string>()
  const given = values.param
  for (const item of Array.isArray(given) ? given : given === undefined ? [] : [given]) {
    const text = String(item)
    const equals = text.indexOf('=')
    if (equals <= 0) throw new UsageError(`--param takes NAME=VALUE, got ${JSON.stringify(text)}`)
    params.set(text.slice(0, equals), text.slice(equals + 1))
  }
  return Object.fromEntries(params)
}

/** The one positional a command needs, checked. */
export function onePositional(input: CommandInput, what: string, usage: string): string {
  const [value, ...extra] = input.positionals
  if (value === undefined) throw new UsageError(`missing ${what}\n\n${usage}`)
  if (extra.length) throw new UsageError(`unexpected ${JSON.stringify(extra[0])}\n\n${usage}`)
  return value
}

/** No positional at all, for commands that take none; `hint` says what the user may have meant. */
export function noPositional(input: CommandInput, usage: string, hint = ''): void {
  const [extra] = input.positionals
  if (extra !== undefined)
    throw new UsageError(`unexpected ${JSON.stringify(extra)}${hint}\n\n${usage}`)
}

/** For the commands that read a data folder: a folder given bare was meant for `--data`. */
export const DATA_HINT = ' (a data folder is given with --data DIR or TASSE_DATA)'

/** A task name from the command line, refused before anything uses it. */
export function taskNameArgument(input: CommandInput, usage: string): string {
  const name = onePositional(input, 'the task name', usage)
  if (!isValidTaskName(name))
    throw new UsageError(
      `${JSON.stringify(name)} is not a task name: letters, digits, ".", "_" and "-", starting with a letter or digit`,
    )
  return name
}

/**
 * Refuses a data folder that does not exist: a typo in `--data` would otherwise read as a host
 * with no tasks (or, for `serve`, quietly create a second data folder).
 */
export function requireDataDir(dataDir: string, orElse = ''): void {
  let isDirectory = false
  try {
    isDirectory = statSync(dataDir).isDirectory()
  } catch {}
  if (!isDirectory)
    throw new CliError(
      EXIT.notFound,
      'data_dir_not_found',
      `the data folder ${dataDir} does not exist: create it (mkdir -p ${join(dataDir, 'tasks')}${orElse}), or point --data / TASSE_DATA at yours`,
      { dataDir },
    )
}

/** A whole number flag in `[min, max]`, or its default when absent. */
export function wholeNumberFlag(
  values: CommandInput['values'],
  flag: string,
  range: { min: number; max: number; fallback: number },
): number {
  const text = values[flag]
  if (text === undefined) return range.fallback
  const value = Number(text)
  if (typeof text !== 'string' || !/^\d+$/.test(text) || value < range.min || value > range.max)
    throw new UsageError(
      `--${flag} must be a whole number ${range.min}-${range.max}, got ${JSON.stringify(text)}`,
    )
  return value
}

/** One JSON document (or one line of a JSON-lines stream) on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

export function stringFlag(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/** Rows as a table with a header, columns padded to their widest cell (the last one is not). */
export function printTable(rows: readonly (readonly string[])[]): void {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? []
  for (const row of rows)
    console.log(
      row
        .map((cell, column) =>
          column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
        )
        .join('  '),
    )
}
