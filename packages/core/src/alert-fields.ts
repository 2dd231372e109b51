/**
 * Readers of task.yaml's alerting keys, `notify`, `expect` and `on_failure` (the host's default
 * `notify:` list is read by the same `readNotify`): each validates one value and throws a
 * `TasseConfigError` naming the file, the key (down to `notify[1].events[0]`), what is expected
 * and the value received.
 */
import { basename, dirname } from 'node:path'
import { readDuration } from './duration.js'
import { TasseConfigError } from './errors.js'
import { MAX_TASK_YAML_BYTES, readTaskFile } from './task-files.js'
import { parseTaskYaml } from './task-yaml.js'
import {
  ALERT_EVENTS,
  type AlertEvent,
  type ConfigLocation,
  type FailurePolicy,
  NOTIFY_TARGET_TYPES,
  type NotifyTarget,
  type NotifyTargetType,
  type TaskExpectation,
} from './types.js'
import { show, unknownKeyProblem } from './wording.js'

/** The events a webhook or Slack target wants when it names none. */
export const DEFAULT_ALERT_EVENTS: readonly AlertEvent[] = [
  'failed',
  'recovered',
  'missed',
  'overdue',
  'paused',
]
/**
 * How long an alert identical to one sent (same task, same event, same target) is held back.
 * A task failing every minute tells its target once in 10 minutes, not 600 times a night.
 */
export const DEFAULT_RATE_LIMIT_MS = 10 * 60_000

export const TARGET_KEYS: Readonly<Record<NotifyTargetType, readonly string[]>> = {
  webhook: ['type', 'url', 'events', 'headers', 'secret_env', 'rate_limit'],
  slack: ['type', 'url', 'events', 'rate_limit'],
  // A healthchecks check pings start, success and failure of every run: that is its protocol,
  // and the service itself finds a late or missing ping.
  healthchecks: ['type', 'url', 'headers'],
}
export const EXPECT_KEYS = ['start_within', 'finish_within'] as const
export const ON_FAILURE_KEYS = ['pause_after', 'resume_after'] as const
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
/** What the name of a variable holding a secret starts with (see `checkHostVariable`). */
export const HOST_VARIABLE_PREFIX = 'TASSE_'
/** An HTTP header name (RFC 9110's token). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** `${NAME}` in a URL or a header value: read from the host's environment when sent. */
export const ENV_REFERENCE = /\$\{([^}]*)\}/g

/**
 * `notify:`: a list of targets; `null` when absent (the host's default applies), `[]` for an
 * explicit empty list (no alerts for this task).
 *
 * @example
 * readNotify([{ type: 'slack', url: '${SLACK_URL}' }], { file: 'task.yaml', field: 'notify' })
 */
export function readNotify(value: unknown, at: ConfigLocation): NotifyTarget[] | null {
  if (value === undefined || value === null) return null
  if (!Array.isArray(value))
    throw new TasseConfigError(
      at,
      `must be a list of targets (e.g. "- {type: webhook, url: https://…}"), got ${show(value)}`,
    )
  return value.map((item, index) => readTarget(item, { ...at, field: `${at.field}[${index}]` }))
}

/**
 * The host's default targets: a YAML file with a `notify:` list as task.yaml's (read as strictly,
 * with the same messages). A task without `notify:` alerts these.
 *
 * @example
 * const defaults = readNotifyFile('/etc/tasse/notify.yaml') // [{ type: 'slack', … }]
 */
export function readNotifyFile(path: string, shown: string = path): NotifyTarget[] {
  const file = readTaskFile(dirname(path), basename(path), MAX_TASK_YAML_BYTES)
  if (!file.ok)
    throw new TasseConfigError(
      { file: shown, field: '' },
      file.missing ? 'does not exist (it was given as the notify file)' : file.problem,
    )
  const raw = parseTaskYaml(file.text, shown)
  for (const key of Object.keys(raw))
    if (key !== 'notify')
      throw new TasseConfigError({ file: shown, field: key }, unknownKeyProblem(key, ['notify']))
  return readNotify(raw.notify, { file: shown, field: 'notify' }) ?? []
}

function readTarget(item: unknown, at: ConfigLocation): NotifyTarget {
  const here = (key: string) => ({ ...at, field: `${at.field}.${key}` })
  if (item === null || typeof item !== 'object' || Array.isArray(item))
    throw new TasseConfigError(
      at,
      `must be a mapping with "type" and "url" (e.g. "{type: webhook, url: https://…}"), got ${show(item)}`,
    )
  const target = item as Record<string, unknown>
  const type = target.type
  if (typeof type !== 'string' || !(NOTIFY_TARGET_TYPES as readonly string[]).includes(type))
    throw new TasseConfigError(
      here('type'),
      `must be one of ${NOTIFY_TARGET_TYPES.join(', ')}, got ${show(type)}`,
    )
  const keys = TARGET_KEYS[type as NotifyTargetType]
  for (const key of Object.keys(target))
    if (!keys.includes(key))
      throw new TasseConfigError(
        here(key),
        unknownKeyProblem(key, keys, `option of a ${type} target`),
      )
  const secretEnv = target.secret_env
  if (secretEnv !== undefined && (typeof secretEnv !== 'string' || !ENV_NAME.test(secretEnv)))
    throw new TasseConfigError(
      here('secret_env'),
      `must be the name of an environment variable holding the signing secret (the secret itself never goes in task.yaml), got ${show(secretEnv)}`,
    )
  if (typeof secretEnv === 'string') checkHostVariable(secretEnv, here('secret_env'))
  return {
    type: type as NotifyTargetType,
    url: readUrl(target.url, here('url')),
    events:
      type === 'healthchecks'
        ? []
        : (readEvents(target.events, here('events')) ?? [...DEFAULT_ALERT_EVENTS]),
    headers: readHeaders(target.headers, here('headers')),
    secretEnv: typeof secretEnv === 'string' ? secretEnv : null,
    // A ping is not an alert to hold back: healthchecks.io needs every start and end.
    rateLimitMs:
      type === 'healthchecks'
        ? 0
        : target.rate_limit === undefined
          ? DEFAULT_RATE_LIMIT_MS
          : target.rate_limit === 0
            ? 0
            : readDuration(target.rate_limit, here('rate_limit')),
  }
}

function readUrl(value: unknown, at: ConfigLocation): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new TasseConfigError(
      at,
      `must be an http:// or https:// URL (parts as \${NAME} are read from the environment), got ${show(value)}`,
    )
  checkReferences(value, at)
  // With a reference the URL is only known when sent; the scheme, when written, is checked now.
  const literal = value.replace(ENV_REFERENCE, 'x')
  const whole = /^\$\{[^}]*\}/.test(value)
  if (!whole && !/^https?:\/\/[^/\s]/i.test(literal))
    throw new TasseConfigError(
      at,
      `must be an http:// or https:// URL (or \${NAME}, read from the environment), got ${show(value)}`,
    )
  return value
}

function readEvents(value: unknown, at: ConfigLocation): AlertEvent[] | null {
  if (value === undefined || value === null) return null
  if (!Array.isArray(value) || value.length === 0)
    throw new TasseConfigError(
      at,
      `must be a non-empty list of events from ${ALERT_EVENTS.join(', ')}, got ${show(value)}`,
    )
  return value.map((event, index) => {
    if (typeof event === 'string' && (ALERT_EVENTS as readonly string[]).includes(event))
      return event as AlertEvent
    const where = { ...at, field: `${at.field}[${index}]` }
    if (typeof event === 'string')
      throw new TasseConfigError(where, unknownKeyProblem(event, ALERT_EVENTS, 'event'))
    throw new TasseConfigError(
      where,
      `must be one of ${ALERT_EVENTS.join(', ')}, got ${show(event)}`,
    )
  })
}

function readHeaders(value: unknown, at: ConfigLocation): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TasseConfigError(
      at,
      `must be a mapping of header names to values (e.g. "{Authorization: 'Bearer \${HOOK_TOKEN}'}"), got ${show(value)}`,
    )
  const headers: Record<string, string> = {}
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    const here = { ...at, field: `${at.field}.${name}` }
    if (!HEADER_NAME.test(name)) throw new TasseConfigError(here, 'is not a valid HTTP header name')
    if (typeof v !== 'string' && typeof v !== 'number')
      throw new TasseConfigError(here, `must be text (\${NAME} for a secret), got ${show(v)}`)
    checkReferences(String(v), here)
    headers[name] = String(v)
  }
  return headers
}

function checkReferences(text: string, at: ConfigLocation): void {
  for (const [, name] of text.matchAll(ENV_REFERENCE)) {
    if (!ENV_NAME.test(name as string))
      throw new TasseConfigError(
        at,
        `refers to \${${name}}, which is not an environment variable name (letters, digits and "_")`,
      )
    checkHostVariable(name as string, at)
  }
}

/**
 * A secret is read from a `TASSE_*` variable: the host's own variables never reach a task's
 * environment (`HOST_ONLY_ENV`), so no task can print it into its output.
 */
function checkHostVariable(name: string, at: ConfigLocation): void {
  if (!name.startsWith(HOST_VARIABLE_PREFIX))
    throw new TasseConfigError(
      at,
      `names the environment variable ${name}: use one whose name starts with TASSE_ (e.g. TASSE_${name}), which the host keeps from its tasks, so that no task can read or print the secret`,
    )
}

/**
 * Replaces each `${NAME}` of `text` with the variable's value. Throws naming the variable (never
 * a value) when one is not set.
 */
export function expandReferences(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(ENV_REFERENCE, (_, name: string) => {
    const value = env[name]
    if (value === undefined) throw new Error(`the environment variable ${name} is not set`)
    return value
  })
}

/** `expect:`: `{start_within, finish_within}`, each a duration; `null` when absent. */
export function readExpect(value: unknown, at: ConfigLocation): TaskExpectation | null {
  const fields = readMapping(value, at, EXPECT_KEYS, '{start_within: 5m, finish_within: 2h}')
  if (!fields) return null
  const duration = (key: string) =>
    fields[key] === undefined || fields[key] === null
      ? null
      : readDuration(fields[key], { ...at, field: `${at.field}.${key}` })
  const expectation = {
    startWithinMs: duration('start_within'),
    finishWithinMs: duration('finish_within'),
  }
  if (expectation.startWithinMs === null && expectation.finishWithinMs === null)
    throw new TasseConfigError(at, 'must set start_within, finish_within or both')
  return expectation
}

/** `on_failure:`: `{pause_after, resume_after}`; `null` when absent. */
export function readOnFailure(value: unknown, at: ConfigLocation): FailurePolicy | null {
  const fields = readMapping(value, at, ON_FAILURE_KEYS, '{pause_after: 5, resume_after: 1h}')
  if (!fields) return null
  const pauseAfter = fields.pause_after
  if (typeof pauseAfter !== 'number' || !Number.isInteger(pauseAfter) || pauseAfter < 1)
    throw new TasseConfigError(
      { ...at, field: `${at.field}.pause_after` },
      `must be a whole number of consecutive failed runs, 1 or more, got ${show(pauseAfter)}`,
    )
  const resumeAfter = fields.resume_after
  return {
    pauseAfter,
    resumeAfterMs:
      resumeAfter === undefined || resumeAfter === null
        ? null
        : readDuration(resumeAfter, { ...at, field: `${at.field}.resume_after` }),
  }
}

function readMapping(
  value: unknown,
  at: ConfigLocation,
  keys: readonly string[],
  example: string,
): Record<string, unknown> | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TasseConfigError(at, `must be a mapping such as "${example}", got ${show(value)}`)
  for (const key of Object.keys(value))
    if (!keys.includes(key))
      throw new TasseConfigError(
        { ...at, field: `${at.field}.${key}` },
        unknownKeyProblem(key, keys),
      )
  return value as Record<string, unknown>
}
