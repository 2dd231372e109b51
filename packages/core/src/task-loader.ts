/**
 * Turns one `tasks/<name>/` folder into a `TaskDefinition`: reads task.yaml (`task-yaml.ts`)
 * and validates every key (`scheduler-config.ts`, `task-fields.ts`, `alert-fields.ts`):
 * `loadTask` throws the first problem, `inspectTask` reports them all, each a
 * `TasseConfigError` (file, key, expectation, value, and its line and column).
 */
import { statSync } from 'node:fs'
import { basename, dirname, isAbsolute, join, normalize, relative, sep } from 'node:path'
import { readExpect, readNotify, readOnFailure } from './alert-fields.js'
import { ConfigProblems } from './config-problems.js'
import { readDuration } from './duration.js'
import { TasseConfigError } from './errors.js'
import { DEFAULT_JOB_OPTIONS, readMaxInstances, readSchedulerConfig } from './scheduler-config.js'
import { readEnvFiles, readSecrets, readUser } from './task-access-fields.js'
import { readEnv, readOverlap, readParams, readQueueSize, readRetries } from './task-fields.js'
import { checkTaskFile, MAX_ENTRYPOINT_BYTES } from './task-files.js'
import { type RunLimits, readLimits } from './task-limits.js'
import { readTaskYaml, readTaskYamlDocument } from './task-yaml.js'
import type {
  ConfigLocation,
  FailurePolicy,
  NotifyTarget,
  OverlapPolicy,
  ParamDefinition,
  RetryPolicy,
  TaskDefinition,
  TaskExpectation,
  Trigger,
  TriggerFactory,
} from './types.js'
import { show, unknownKeyProblem } from './wording.js'

/** A task's name is its folder's name, and only these are used to build paths. */
export const TASK_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/

/** The file names that make a folder's entrypoint when task.yaml names none, in this order. */
export const DEFAULT_ENTRYPOINTS = ['task.py', 'task.sh'] as const

/** The keys of task.yaml (its JSON Schema's properties are these). */
export const TASK_KEYS = [
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
  'limits',
  'notify',
  'expect',
  'on_failure',
  'user',
  'env_files',
  'secrets',
] as const
/** A description is sent with every task list: a paragraph, not a document. */
export const MAX_DESCRIPTION_CHARS = 4096

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
 * The schedule of the task at `path` (its folder or its task.yaml), `null` without one. Only
 * `scheduler:` is checked, so a preview (`tasse next`) works while other keys are being written.
 *
 * @example
 * import { plugin as cron } from '@tasse/trigger-cron'
 * const factories = registerPlugins([cron]).triggerFactories()
 * const trigger = loadTaskSchedule('data/tasks/backup', { factories, defaultTimezone: 'UTC' })
 */
export function loadTaskSchedule(path: string, options: LoadTaskOptions): Trigger | null {
  const [dir, name] = isFile(path) ? [dirname(path), basename(path)] : [path, 'task.yaml']
  const file = displayPath(join(dir, name), options.displayFrom)
  const { scheduler } = readTaskYaml(dir, name, file)
  if (scheduler === undefined || scheduler === null) return null
  return readSchedulerConfig(scheduler, { file, ...options }).trigger
}

/**
 * Loads the task in `dir` (its folder name is its name); throws its first problem.
 *
 * @example
 * import { plugin as interval } from '@tasse/trigger-interval'
 * const factories = registerPlugins([interval]).triggerFactories()
 * const task = loadTask('data/tasks/helloworld', { factories, defaultTimezone: 'UTC' })
 */
export function loadTask(dir: string, options: LoadTaskOptions): TaskDefinition {
  const { task, problems } = inspectTask(dir, options)
  if (!task) throw problems[0]
  return task
}

/** A task folder read whole: its definition, or every problem found (the first is `loadTask`'s). */
export interface TaskInspection {
  task: TaskDefinition | null
  /** Each with the line and column of its key in task.yaml, when it is about one. */
  problems: TasseConfigError[]
}

/**
 * Reads the task in `dir` as `loadTask` does, but reports every problem instead of the first:
 * each key on its own, each option of `scheduler:` and each key of `params`, `env` and `retries`
 * too, with the line and column of each in task.yaml (`tasse validate`).
 *
 * @example
 * import { plugin as interval } from '@tasse/trigger-interval'
 * const factories = registerPlugins([interval]).triggerFactories()
 * const { problems } = inspectTask('data/tasks/helloworld', { factories, defaultTimezone: 'UTC' })
 * for (const problem of problems) console.log(problem.positioned()) // task.yaml:3:3: scheduler.…
 */
export function inspectTask(dir: string, options: LoadTaskOptions): TaskInspection {
  const name = basename(dir)
  const yamlPath = join(dir, 'task.yaml')
  const file = displayPath(yamlPath, options.displayFrom)
  const at = (field: string): ConfigLocation => ({ file, field })
  const problems = new ConfigProblems()

  if (!isValidTaskName(name)) {
    problems.add(
      new TasseConfigError(
        { file: displayPath(dir, options.displayFrom), field: '' },
        `is not a valid task folder name: a task name is letters, digits, ".", "_" and "-", starting with a letter or digit, got ${show(name)}`,
      ),
    )
    return { task: null, problems: problems.list }
  }
  const yaml = problems.attempt(() => readTaskYamlDocument(dir, 'task.yaml', file))
  if (!yaml) return { task: null, problems: problems.list }
  const raw = yaml.value
  for (const key of Object.keys(raw)) {
    if (!(TASK_KEYS as readonly string[]).includes(key))
      problems.add(new TasseConfigError(at(key), unknownKeyProblem(key, TASK_KEYS)))
  }

  const scheduler =
    raw.scheduler === undefined || raw.scheduler === null
      ? null
      : problems.attemptEach(raw.scheduler, 'scheduler', (value) =>
          readSchedulerConfig(value, {
            file,
            factories: options.factories,
            defaultTimezone: options.defaultTimezone,
            ...(options.random ? { random: options.random } : {}),
          }),
        )
  const job = { ...(scheduler?.job ?? DEFAULT_JOB_OPTIONS) }
  if (raw.max_instances !== undefined) {
    const maxInstances = problems.attempt(() =>
      readMaxInstances(raw.max_instances, at('max_instances')),
    )
    if (maxInstances !== undefined) job.maxInstances = maxInstances
  }
  const overlap = problems.attempt(() => readOverlap(raw.overlap, at('overlap')))
  const limited =
    raw.max_instances !== undefined ||
    (typeof raw.scheduler === 'object' &&
      raw.scheduler !== null &&
      'max_instances' in raw.scheduler)
  // `overlap: allow` alone means no limit, as Kubernetes' `concurrencyPolicy: Allow`.
  if (overlap === 'allow' && !limited) job.maxInstances = Number.POSITIVE_INFINITY

  problems.attempt(() => readDescription(raw.description, at('description')))
  const entrypoint = problems.attempt(() =>
    readEntrypoint(raw.entrypoint, dir, at('entrypoint'), options.displayFrom),
  )
  const timeoutMs = problems.attempt(() =>
    raw.timeout === undefined || raw.timeout === null
      ? null
      : readDuration(raw.timeout, at('timeout')),
  )
  const queueSize = problems.attempt(() => readQueueSize(raw.queue_size, at('queue_size')))
  const params = problems.attemptEach(raw.params, 'params', (value) =>
    readParams(value, at('params')),
  )
  const env = problems.attemptEach(raw.env, 'env', (value) => readEnv(value, at('env')))
  const retries = problems.attemptEach(raw.retries, 'retries', (value) =>
    readRetries(value, at('retries')),
  )
  const limits = problems.attemptEach(raw.limits, 'limits', (value) =>
    readLimits(value, at('limits')),
  )
  const notify = problems.attemptEach(raw.notify, 'notify', (value) =>
    readNotify(value, at('notify')),
  )
  const expect = problems.attemptEach(raw.expect, 'expect', (value) =>
    readExpect(value, at('expect')),
  )
  const onFailure = problems.attemptEach(raw.on_failure, 'on_failure', (value) =>
    readOnFailure(value, at('on_failure')),
  )
  const user = problems.attempt(() => readUser(raw.user, at('user')))
  const envFiles = problems.attempt(() => readEnvFiles(raw.env_files, at('env_files')))
  const secrets = problems.attemptEach(raw.secrets, 'secrets', (value) =>
    readSecrets(value, at('secrets')),
  )

  if (problems.list.length)
    return {
      task: null,
      problems: problems.list.map((problem) => {
        const position = problem.file === file ? yaml.positionOf(problem.field) : null
        return position ? problem.at(position.line, position.column) : problem
      }),
    }
  return {
    task: {
      name,
      dir,
      file: yamlPath,
      entrypoint: entrypoint as string,
      trigger: scheduler?.trigger ?? null,
      job,
      timeoutMs: timeoutMs as number | null,
      overlap: overlap as OverlapPolicy,
      queueSize: queueSize as number,
      params: params as ParamDefinition[],
      env: env as Record<string, string>,
      retries: retries as RetryPolicy | null,
      limits: limits as RunLimits,
      notify: notify as NotifyTarget[] | null,
      expect: expect as TaskExpectation | null,
      onFailure: onFailure as FailurePolicy | null,
      ...(user ? { user } : {}),
      ...(envFiles?.length ? { envFiles } : {}),
      ...(secrets && Object.keys(secrets).length ? { secrets } : {}),
      raw,
    },
    problems: [],
  }
}

function readDescription(value: unknown, at: ConfigLocation): void {
  if (value !== undefined && typeof value !== 'string')
    throw new TasseConfigError(at, `must be text, got ${show(value)}`)
  if (typeof value === 'string' && value.length > MAX_DESCRIPTION_CHARS)
    throw new TasseConfigError(
      at,
      `must be at most ${MAX_DESCRIPTION_CHARS} characters (a line or a paragraph about the task; it is sent with every task list), got ${value.length}`,
    )
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

/** `path` relative to `from` (the working directory by default) when it is inside it. */
export function displayPath(path: string, from: string = process.cwd()): string {
  const rel = relative(from, path)
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return basename(path) === 'task.yaml'
  }
}
