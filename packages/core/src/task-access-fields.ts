/**
 * Readers of the task.yaml keys that say who a run is and what it is given from files: `user:`
 * (run as another user, `run-user.ts`), `env_files:` and `secrets:` (read when a run starts,
 * `run-secrets.ts`), and their JSON Schemas. Only the paths and names are read here: the files'
 * contents never reach the task's definition, its API view or its messages.
 */
import { TasseConfigError } from './errors.js'
import { VARIABLE_NAME } from './task-fields.js'
import type { ConfigLocation, JsonSchema, TaskUser } from './types.js'
import { show } from './wording.js'

/** A user's name as `useradd` accepts it (and not a number, which is a uid). */
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/
/** `uid` or `uid:gid`. */
const USER_IDS = /^(\d+)(?::(\d+))?$/
/** Ids beyond this are not ids (2^32 - 1 is `(uid_t) -1`, "no change"). */
const MAX_ID = 2 ** 32 - 2

/**
 * `user:` — a user name (`nobody`), a uid (`65534`) or `uid:gid` (`1000:1000`); `null` when not
 * given. The name is looked up when a run starts, so a user created later is found.
 *
 * @example
 * readUser('nobody', { file: 'task.yaml', field: 'user' }) // { name: 'nobody' }
 * readUser('1000:100', { file: 'task.yaml', field: 'user' }) // { uid: 1000, gid: 100 }
 */
export function readUser(value: unknown, at: ConfigLocation): TaskUser | null {
  if (value === undefined || value === null) return null
  const text = typeof value === 'number' ? String(value) : value
  if (typeof text === 'string') {
    const ids = USER_IDS.exec(text)
    if (ids) {
      const uid = Number(ids[1])
      const gid = ids[2] === undefined ? undefined : Number(ids[2])
      if (uid <= MAX_ID && (gid === undefined || gid <= MAX_ID))
        return gid === undefined ? { uid } : { uid, gid }
    } else if (USER_NAME.test(text) && text.length <= 32) return { name: text }
  }
  throw new TasseConfigError(
    at,
    `must be a user name (e.g. "nobody"), a uid or "uid:gid" (e.g. "1000:1000"), got ${show(value)}`,
  )
}

/**
 * `env_files:` — a dotenv file or a list of them (relative to the task's folder, or absolute),
 * read in order when a run starts; `[]` when not given.
 *
 * @example
 * readEnvFiles(['.env', '/run/secrets/app.env'], { file: 'task.yaml', field: 'env_files' })
 */
export function readEnvFiles(value: unknown, at: ConfigLocation): string[] {
  if (value === undefined || value === null) return []
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list))
    throw new TasseConfigError(
      at,
      `must be a file path or a list of them (dotenv files, e.g. ".env"), got ${show(value)}`,
    )
  return list.map((path, index) => {
    if (typeof path !== 'string' || path.trim() === '' || path.includes('\0'))
      throw new TasseConfigError(
        Array.isArray(value) ? { ...at, field: `${at.field}[${index}]` } : at,
        `must be a file path, got ${show(path)}`,
      )
    return path
  })
}

/**
 * `secrets:` — `{NAME: path}`: each variable's value is the content of that file (its trailing
 * newline trimmed), read when a run starts, as Docker and Kubernetes mount secrets under
 * `/run/secrets`. `{}` when not given.
 *
 * @example
 * readSecrets({ DB_PASSWORD: '/run/secrets/db' }, { file: 'task.yaml', field: 'secrets' })
 */
export function readSecrets(value: unknown, at: ConfigLocation): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TasseConfigError(
      at,
      `must be a mapping of variable names to file paths (e.g. "{DB_PASSWORD: /run/secrets/db}"), got ${show(value)}`,
    )
  const secrets: Record<string, string> = {}
  for (const [name, path] of Object.entries(value as Record<string, unknown>)) {
    const here = { ...at, field: `${at.field}.${name}` }
    if (!VARIABLE_NAME.test(name) || name.startsWith('TASSE_'))
      throw new TasseConfigError(
        here,
        'is not a valid environment variable name (letters, digits and "_", not starting with a digit or TASSE_)',
      )
    if (typeof path !== 'string' || path.trim() === '' || path.includes('\0'))
      throw new TasseConfigError(
        here,
        `must be the path of the file that holds the value, got ${show(path)}`,
      )
    secrets[name] = path
  }
  return secrets
}

/** The schemas of `user`, `env_files` and `secrets`, as `task-schema.ts` composes them. */
export const ACCESS_SCHEMAS = {
  user: {
    anyOf: [
      { type: 'null' },
      { type: 'integer', minimum: 0, maximum: MAX_ID },
      { type: 'string', pattern: USER_IDS.source },
      { type: 'string', pattern: USER_NAME.source, maxLength: 32 },
    ],
    description:
      'Run the task as this user (a name, a uid or uid:gid), without supplementary groups. The host must run as root.',
    examples: ['nobody', '1000:1000'],
  },
  env_files: {
    anyOf: [
      { type: 'null' },
      { type: 'string', pattern: '\\S' },
      { type: 'array', items: { type: 'string', pattern: '\\S' } },
    ],
    description:
      "dotenv files read when a run starts (relative to the task's folder, or absolute), before env:.",
    examples: ['.env', ['/run/secrets/app.env']],
  },
  secrets: {
    type: ['object', 'null'],
    propertyNames: { pattern: VARIABLE_NAME.source, not: { pattern: '^TASSE_' } },
    additionalProperties: { type: 'string', pattern: '\\S' },
    description:
      "Variables whose value is a file's content, read when a run starts (e.g. {DB_PASSWORD: /run/secrets/db}); masked as *** in the run's output.",
  },
} satisfies Record<'user' | 'env_files' | 'secrets', JsonSchema>
