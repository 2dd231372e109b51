/**
 * The environment a task's process gets: the host's, without the host's own configuration and
 * secrets, then the task's `env:`, then what Tasse says about the run (`TASSE_TASK`, …) and the
 * run's parameters as `TASSE_PARAM_<NAME>`.
 */
import { formatInstant } from './time/iso.js'
import type { TimeZone } from './time/zone.js'
import type { Run, TaskDefinition } from './types.js'

/** Environment variables of the host that never reach a task. */
export const HOST_ONLY_ENV =
  /^(TASSE_.*|VIRTUAL_ENV|VIRTUAL_ENV_PROMPT|PYENV_VIRTUAL_ENV|POETRY_ACTIVE|PIPENV_ACTIVE|PYTHONHOME|npm_.*|NODE_OPTIONS)$/

/**
 * The host's environment without its own configuration and secrets, as tasks start from.
 *
 * @example
 * taskBaseEnv({ PATH: '/usr/bin', TASSE_TOKEN: 's3cret' }) // { PATH: '/usr/bin' }
 */
export function taskBaseEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const clean: Record<string, string> = {}
  for (const [key, value] of Object.entries(env))
    if (value !== undefined && !HOST_ONLY_ENV.test(key)) clean[key] = value
  return clean
}

/**
 * The environment of one run: `base` (from `taskBaseEnv`), the task's `env:`, the run's
 * `TASSE_*` variables (the scheduled time in `zone`, empty for a trigger) and its parameters.
 */
export function runEnv(
  base: Readonly<Record<string, string>>,
  task: Pick<TaskDefinition, 'name' | 'env'>,
  run: Pick<Run, 'id' | 'reason' | 'attempt' | 'scheduledAt' | 'params'>,
  zone: TimeZone,
): Record<string, string> {
  const env: Record<string, string> = {
    ...base,
    ...task.env,
    TASSE_TASK: task.name,
    TASSE_RUN_ID: run.id,
    TASSE_REASON: run.reason,
    TASSE_ATTEMPT: String(run.attempt),
    TASSE_SCHEDULED_TIME: run.scheduledAt === null ? '' : formatInstant(run.scheduledAt, zone),
  }
  for (const [name, value] of Object.entries(run.params))
    env[`TASSE_PARAM_${name.toUpperCase()}`] = value
  return env
}
