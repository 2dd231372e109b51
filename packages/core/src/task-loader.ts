/**
 * Turns one `tasks/<name>/` folder into a `TaskDefinition`: parses task.yaml with the `yaml`
 * package and validates every key, throwing `TasseConfigError` (file, key, expectation, value)
 * on the first problem.
 */
import { basename, isAbsolute, join, normalize, relative, sep } from 'node:path'
import { parseDocument } from 'yaml'
import { readDuration } from './duration.js'
import { TasseConfigError } from './errors.js'
import { paramPattern } from './param-pattern.js'
import { DEFAULT_JOB_OPTIONS, readMaxInstances, readSchedulerConfig } from './scheduler-config.js'
import {
  checkTaskFile,
  MAX_ENTRYPOINT_BYTES,
  MAX_TASK_YAML_BYTES,
  readTaskFile,
} from './task-files.js'
import type {
  ConfigLocation,
  OverlapPolicy,
  ParamDefinition,
  RetryPolicy,
  TaskDefinition,
  TriggerFactory,
} from './types.js'
import { show, unknownKeyProblem } from './wording.js'

/** A task's name is its folder's name, and only these are used to build paths. */
export const TASK_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** The file names that make a folder's entrypoint when task.yaml names none, in this order. */
export const DEFAULT_ENTRYPOINTS = ['task.py', 'task.sh'] as const

const TASK_KEYS = [
  'scheduler',
  'entrypoint',
  'description',
  'timeout',
  'overlap',
  'max_instances',
  'queue_size',
  'params',
  'env',
  'retries',
] as const
/** A description is sent with every task list: a paragraph, not a document. */
export const MAX_DESCRIPTION_CHARS = 4096
const OVERLAP_POLICIES: readonly OverlapPolicy[] = ['skip', 'queue', 'replace', 'allow']
const PARAM_KEYS = ['name', 'description', 'required', 'default', 'pattern', 'enum', 'arg']
const RETRY_KEYS = ['max', 'delay', 'backoff']

export interface LoadTaskOptions {
  factories: ReadonlyMap<string, TriggerFactory>
  defaultTimezone: string
  random?: () => number
  /** How paths appear in messages: relative to this folder when that is shorter. @default cwd */
  displayFrom?: string
}

/** Whether `name` may name a task (and so a folder below logs/ and venv/). */
export function isValidTaskName(name: string): boolean {
  return TASK_NAME_PATTERN.test(name) && name !== '.' && name !== '..'
}

/**
 * Loads the task in `dir` (its folder name is its name).
 *
 * @example
 * const task = loadTask('data/tasks/helloworld', { factories, defaultTimezone: 'UTC' })
 */
export function loadTask(dir: string, options: LoadTaskOptions): TaskDefinition {
  const name = basename(dir)
  const yamlPath = join(dir, 'task.yaml')
  const file = displayPath(yamlPath, options.displayFrom)
  const at = (field: string): ConfigLocation => ({ file, field })

  if (!isValidTaskName(name)) {
    throw new TasseConfigError(
      { file: displayPath(dir, options.displayFrom), field: '' },
      `is not a valid task folder name: a task name is letters, digits, ".", "_" and "-", starting with a letter or digit, got ${show(name)}`,
    )
  }
  const yaml = readTaskFile(dir, 'task.yaml', MAX_TASK_YAML_BYTES)
  if (!yaml.ok)
    throw new TasseConfigError(
      { file, field: '' },
      yaml.missing
        ? 'is missing: every task folder needs a task.yaml (an empty one runs the task only when triggered)'
        : yaml.problem,
    )

  const raw = readYamlMapping(yaml.text, file)
  for (const key of Object.keys(raw)) {
    if (!(TASK_KEYS as readonly string[]).includes(key))
      throw new TasseConfigError(at(key), unknownKeyProblem(key, TASK_KEYS))
  }

  const scheduler =
    raw.scheduler === undefined || raw.scheduler === null
      ? null
      : readSchedulerConfig(raw.scheduler, {
          file,
          factories: options.factories,
          defaultTimezone: options.defaultTimezone,
          ...(options.random ? { random: options.random } : {}),
        })
  const job = { ...(scheduler?.job ?? DEFAULT_JOB_OPTIONS) }
  if (raw.max_instances !== undefined)
    job.maxInstances = readMaxInstances(raw.max_instances, at('max_instances'))
  const overlap = readOverlap(raw.overlap, at('overlap'))
  const limited =
    raw.max_instances !== undefined ||
    (typeof raw.scheduler === 'object' &&
      raw.scheduler !== null &&
      'max_instances' in raw.scheduler)
  // `overlap: allow` alone means no limit, as Kubernetes' `concurrencyPolicy: Allow`.
  if (overlap === 'allow' && !limited) job.maxInstances = Number.POSITIVE_INFINITY

  if (raw.description !== undefined && typeof raw.description !== 'string')
    throw new TasseConfigError(at('description'), `must be text, got ${show(raw.description)}`)
  if (typeof raw.description === 'string' && raw.description.length > MAX_DESCRIPTION_CHARS)
    throw new TasseConfigError(
      at('description'),
      `must be at most ${MAX_DESCRIPTION_CHARS} characters (a line or a paragraph about the task; it is sent with every task list), got ${raw.description.length}`,
    )

  return {
    name,
    dir,
    file: yamlPath,
    entrypoint: readEntrypoint(raw.entrypoint, dir, at('entrypoint'), options.displayFrom),
    trigger: scheduler?.trigger ?? null,
    job,
    timeoutMs:
      raw.timeout === undefined || raw.timeout === null
        ? null
        : readDuration(raw.timeout, at('timeout')),
    overlap,
    queueSize: readQueueSize(raw.queue_size, at('queue_size')),
    params: readParams(raw.params, at('params')),
    env: readEnv(raw.env, at('env')),
    retries: readRetries(raw.retries, at('retries')),
    raw,
  }
}

function readYamlMapping(text: string, file: string): Record<string, unknown> {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  const error = document.errors[0]
  if (error) {
    const [line, column] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : []
    const where = line === undefined ? '' : ` at line ${line}, column ${column}`
    throw new TasseConfigError(
      { file, field: '' },
      `is not valid YAML${where}: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      { cause: error },
    )
  }
  let value: unknown
  try {
    // Aliases are expanded here: a few lines of `&a [*a, *a, …]` would make billions of nodes,
    // and the yaml package stops them (maxAliasCount) with a message that names no file.
    value = document.toJS()
  } catch (cause) {
    throw new TasseConfigError(
      { file, field: '' },
      `cannot be read as YAML: ${(cause as Error).message} (aliases that expand to more than 100 nodes are refused)`,
      { cause },
    )
  }
  if (value === null || value === undefined) return {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TasseConfigError(
      { file, field: '' },
      `must hold a mapping of keys (scheduler, entrypoint, …), got ${show(value)}`,
    )
  return value as Record<string, unknown>
}

function readEntrypoint(
  value: unknown,
  dir: string,
  at: ConfigLocation,
  displayFrom: string | undefined,
): string {
  if (value === undefined || value === null) {
    for (const candidate of DEFAULT_ENTRYPOINTS) {
      const check = checkTaskFile(dir, candidate, MAX_ENTRYPOINT_BYTES)
      if (check.ok) return candidate
      // A task.py that is a folder, a FIFO or a link out of the folder is a mistake to report,
      // not a reason to look for task.sh.
      if (!check.missing)
        throw new TasseConfigError(
          { file: displayPath(join(dir, candidate), displayFrom), field: '' },
          `${check.problem} (it would be the task's entrypoint)`,
        )
    }
    throw new TasseConfigError(
      { ...at, field: '' },
      `names no entrypoint and the folder has no ${DEFAULT_ENTRYPOINTS.join(' or ')}: add one, or set "entrypoint:" to the file to run`,
    )
  }
  if (typeof value !== 'string' || value.trim() === '')
    throw new TasseConfigError(
      at,
      `must be the path of a file in the task's folder, got ${show(value)}`,
    )
  const path = normalize(value)
  if (isAbsolute(path) || path === '..' || path.startsWith(`..${sep}`))
    throw new TasseConfigError(at, `must be a file inside the task's folder, got ${show(value)}`)
  const check = checkTaskFile(dir, path, MAX_ENTRYPOINT_BYTES)
  if (!check.ok)
    throw new TasseConfigError(
      at,
      check.missing
        ? `names a file that does not exist in ${dir}, got ${show(value)}`
        : `names ${show(value)}, which ${check.problem}`,
    )
  return path
}

function readOverlap(value: unknown, at: ConfigLocation): OverlapPolicy {
  if (value === undefined || value === null) return 'skip'
  if (typeof value === 'string' && (OVERLAP_POLICIES as readonly string[]).includes(value))
    return value as OverlapPolicy
  throw new TasseConfigError(
    at,
    `must be one of ${OVERLAP_POLICIES.join(', ')}, got ${show(value)}`,
  )
}

function readQueueSize(value: unknown, at: ConfigLocation): number {
  if (value === undefined || value === null) return 1
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value
  throw new TasseConfigError(at, `must be a whole number of runs, 1 or more, got ${show(value)}`)
}

function readParams(value: unknown, at: ConfigLocation): ParamDefinition[] {
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
      if (!PARAM_KEYS.includes(key))
        throw new TasseConfigError(here(key), unknownKeyProblem(key, PARAM_KEYS))
    const name = param.name
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new TasseConfigError(
        here('name'),
        `must be a name of letters, digits and "_" (it becomes TASSE_PARAM_<NAME>), got ${show(name)}`,
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

function readEnv(value: unknown, at: ConfigLocation): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TasseConfigError(
      at,
      `must be a mapping of variable names to values, got ${show(value)}`,
    )
  const env: Record<string, string> = {}
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
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

function readRetries(value: unknown, at: ConfigLocation): RetryPolicy | null {
  if (value === undefined || value === null) return null
  if (typeof value === 'number') return readRetries({ max: value }, at)
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TasseConfigError(
      at,
      `must be a mapping such as "{max: 2, delay: 30s, backoff: 2}", got ${show(value)}`,
    )
  const retries = value as Record<string, unknown>
  for (const key of Object.keys(retries))
    if (!RETRY_KEYS.includes(key))
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

/** `path` relative to `from` (the working directory by default) when it is inside it. */
export function displayPath(path: string, from: string = process.cwd()): string {
  const rel = relative(from, path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}
