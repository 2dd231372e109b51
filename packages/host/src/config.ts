/**
 * The host's configuration: flags over environment variables over defaults. Every bad value is
 * refused with the flag or variable that gave it and what is expected.
 */
import { resolve } from 'node:path'
import {
  type CgroupChoice,
  DEFAULT_CONCURRENCY,
  type RunLimits,
  type TaskUser,
  TasseError,
  timeZoneProblem,
} from '@tasse/core'
import { DEFAULT_FILE_MODE, MAX_DURATION_MS, redactUrl } from '@tasse/core/plugin-kit'
import { type HelpRow, helpTable } from './cli/help-table.js'
import { readHostLimits } from './host-limits.js'
import { type PluginSpec, readPluginSpecs } from './plugin-specs.js'
import { readTaskUser } from './task-user.js'

export interface HostConfig {
  /** `--data` / `TASSE_DATA`. @default ./data */
  dataDir: string
  /** `--host` / `TASSE_HOST`. @default 127.0.0.1 (the original listened on loopback in its container's compose) */
  host: string
  /** `--port` / `TASSE_PORT`. @default 5000 (the original's) */
  port: number
  /** `--timezone` / `TASSE_TIMEZONE`: zone for triggers without one, and for log times. @default UTC */
  timezone: string
  /** `--concurrency` / `TASSE_CONCURRENCY`: runs at once. @default 5 */
  concurrency: number
  /** `--shutdown-grace` / `TASSE_SHUTDOWN_GRACE` (seconds): how long running tasks may finish on SIGTERM. @default 30 */
  shutdownGraceMs: number
  /**
   * `TASSE_TOKEN` (no flag: a command line is visible to every user of the machine): the bearer
   * token the HTTP API requires. @default null
   */
  token: string | null
  /** `--tokens-file` / `TASSE_TOKENS_FILE`: a file of accepted tokens, one a line. @default null */
  tokensFile: string | null
  /** `--retention-days` / `TASSE_RETENTION_DAYS`: finished runs older than this leave the history. @default 30 */
  retentionDays: number
  /** `--retention-runs` / `TASSE_RETENTION_RUNS`: runs kept per task at most. @default 1000 */
  retentionRuns: number
  /** `--log-rotate-mb` / `TASSE_LOG_ROTATE_MB`: `log.txt` is rotated past this size. @default 50 (the original's) */
  logRotateMb: number
  /** `--log-retention-days` / `TASSE_LOG_RETENTION_DAYS`: rotated logs are deleted after this. @default 15 (the original's) */
  logRetentionDays: number
  /**
   * `--store` / `TASSE_STORE`: a `postgres://` URL to keep runs and the schedule on a PostgreSQL
   * server (hosts sharing it share the schedule). @default null: SQLite in `<data>/.tasse/tasse.db`
   */
  store: string | null
  /**
   * `--allowed-hosts` / `TASSE_ALLOWED_HOSTS`: host names, besides loopback ones, that requests
   * may name (`Host`) and that pages may act from (`Origin`), comma-separated; `*.example.com`
   * for subdomains. @default []
   */
  allowedHosts: readonly string[]
  /**
   * `--file-mode` / `TASSE_FILE_MODE`: mode of the files Tasse creates (history, logs, token);
   * its folders (`logs/`, `venv/`, `.tasse/`) get the matching one (0600 → 0700; `venv/` may
   * also be entered by others, 0711, for tasks that run as another user).
   * @default 0o600
   */
  fileMode: number
  /** `--log-format` / `TASSE_LOG_FORMAT`: the host's own output, lines of text or one JSON object a line. @default text */
  logFormat: LogFormat
  /**
   * Plugins to load beyond the built-in ones: the `plugins:` of `<data>/tasse.yaml`, then
   * `TASSE_PLUGINS` (comma-separated), then `--plugin` (repeatable). @default []
   */
  plugins: readonly PluginSpec[]
  /**
   * `--cgroups` / `TASSE_CGROUPS`: a control group per run, so that daemons a task starts end
   * with it: `auto` (v2, else v1's freezer, where writable), `v2`, `v1` or `off`. @default auto
   */
  cgroups: CgroupChoice
  /**
   * `--limits` / `TASSE_LIMITS` (`memory=512M,cpu=0.5,pids=256`), else `limits:` in
   * `<data>/tasse.yaml`: every run's limits where its task.yaml's `limits:` sets none.
   * @default none
   */
  limits: RunLimits
  /**
   * `--notify-file` / `TASSE_NOTIFY_FILE`: a YAML file whose `notify:` list (as task.yaml's) is
   * where the alerts of tasks without `notify:` go. @default null: none
   */
  notifyFile: string | null
  /**
   * `--public-url` / `TASSE_PUBLIC_URL`: the address people reach the host at, for the links in
   * notifications. @default null: the address it listens on
   */
  publicUrl: string | null
  /**
   * `--task-user` / `TASSE_TASK_USER`: whom tasks without `user:` run as (a name, uid or
   * uid:gid), for a host running as root whose files its tasks must not read. @default null
   */
  taskUser: TaskUser | null
}

export const LOG_FORMATS = ['text', 'json'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]
export const CGROUP_CHOICES = ['auto', 'v2', 'v1', 'off'] as const satisfies readonly CgroupChoice[]

/** One setting: its flag, its environment variable, and how to read it. */
interface Setting<K extends Exclude<keyof HostConfig, 'token' | 'plugins' | 'limits'>> {
  key: K
  flag: string
  env: string
  fallback: HostConfig[K]
  read: (text: string, source: string) => HostConfig[K]
}

const SETTINGS = [
  {
    key: 'dataDir',
    flag: 'data',
    env: 'TASSE_DATA',
    fallback: 'data',
    read: (text: string) => text,
  },
  {
    key: 'host',
    flag: 'host',
    env: 'TASSE_HOST',
    fallback: '127.0.0.1',
    read: (text: string) => text,
  },
  { key: 'port', flag: 'port', env: 'TASSE_PORT', fallback: 5000, read: readPort },
  { key: 'timezone', flag: 'timezone', env: 'TASSE_TIMEZONE', fallback: 'UTC', read: readZone },
  {
    key: 'concurrency',
    flag: 'concurrency',
    env: 'TASSE_CONCURRENCY',
    fallback: DEFAULT_CONCURRENCY,
    read: (text: string, source: string) => readWhole(text, source, 1),
  },
  {
    key: 'shutdownGraceMs',
    flag: 'shutdown-grace',
    env: 'TASSE_SHUTDOWN_GRACE',
    fallback: 30_000,
    // At most a year, as every duration (a grace past 24.86 days overflowed Node's timers).
    read: (text: string, source: string) =>
      readWhole(text, source, 0, MAX_DURATION_MS / 1000) * 1000,
  },
  { key: 'store', flag: 'store', env: 'TASSE_STORE', fallback: null, read: readStore },
  {
    key: 'allowedHosts',
    flag: 'allowed-hosts',
    env: 'TASSE_ALLOWED_HOSTS',
    fallback: [],
    read: readHostList,
  },
  {
    key: 'fileMode',
    flag: 'file-mode',
    env: 'TASSE_FILE_MODE',
    fallback: DEFAULT_FILE_MODE,
    read: readFileMode,
  },
  {
    key: 'tokensFile',
    flag: 'tokens-file',
    env: 'TASSE_TOKENS_FILE',
    fallback: null,
    read: (text: string) => resolve(text),
  },
  {
    key: 'logFormat',
    flag: 'log-format',
    env: 'TASSE_LOG_FORMAT',
    fallback: 'text',
    read: readLogFormat,
  },
  {
    key: 'cgroups',
    flag: 'cgroups',
    env: 'TASSE_CGROUPS',
    fallback: 'auto',
    read: (text: string, source: string) => readChoice(CGROUP_CHOICES, text, source),
  },
  {
    key: 'notifyFile',
    flag: 'notify-file',
    env: 'TASSE_NOTIFY_FILE',
    fallback: null,
    read: (text: string) => resolve(text),
  },
  { key: 'publicUrl', flag: 'public-url', env: 'TASSE_PUBLIC_URL', fallback: null, read: readUrl },
  {
    key: 'taskUser',
    flag: 'task-user',
    env: 'TASSE_TASK_USER',
    fallback: null,
    read: readTaskUser,
  },
  ...(
    [
      ['retentionDays', 'retention-days', 'TASSE_RETENTION_DAYS', 30],
      ['retentionRuns', 'retention-runs', 'TASSE_RETENTION_RUNS', 1000],
      ['logRotateMb', 'log-rotate-mb', 'TASSE_LOG_ROTATE_MB', 50],
      ['logRetentionDays', 'log-retention-days', 'TASSE_LOG_RETENTION_DAYS', 15],
    ] as const
  ).map(([key, flag, env, fallback]) => ({
    key,
    flag,
    env,
    fallback,
    read: (text: string, source: string) => readWhole(text, source, 1),
  })),
] as const satisfies readonly Setting<Exclude<keyof HostConfig, 'token' | 'plugins' | 'limits'>>[]

/** `--plugin SPEC`, repeatable: every command that reads tasks takes it. */
export const PLUGIN_FLAG = { plugin: { type: 'string', multiple: true } } as const

export const PLUGIN_ROW: HelpRow = [
  '--plugin SPEC',
  "load a plugin: a package name (from <data>/node_modules,\nthen the host's) or a path; repeat for several",
  'TASSE_PLUGINS=a,b, and plugins: in <data>/tasse.yaml',
]

/** The flags `readConfig` understands, for `parseArgs`. */
export const CONFIG_FLAGS = {
  ...Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: 'string' as const }])),
  limits: { type: 'string' as const },
  ...PLUGIN_FLAG,
}

/** Help rows of the configuration flags. */
export const CONFIG_ROWS: readonly HelpRow[] = [
  ['--data DIR', 'data directory (tasks/, logs/, venv/)', 'TASSE_DATA, default ./data'],
  ['--host ADDRESS', 'address to listen on', 'TASSE_HOST, default 127.0.0.1'],
  ['--port PORT', 'port to listen on (0: any free port)', 'TASSE_PORT, default 5000'],
  ['--timezone ZONE', 'default zone of triggers and log times', 'TASSE_TIMEZONE, default UTC'],
  ['--concurrency N', 'runs at once', 'TASSE_CONCURRENCY, default 5'],
  [
    '--shutdown-grace SECS',
    'time running tasks get on SIGTERM',
    'TASSE_SHUTDOWN_GRACE, default 30',
  ],
  ['--tokens-file FILE', 'bearer tokens the API accepts, one a line', 'TASSE_TOKENS_FILE'],
  [
    '--store URL',
    'postgres://… to keep runs and the schedule on PostgreSQL,\nshared by every host using it',
    'TASSE_STORE, default SQLite in <data>/.tasse',
  ],
  [
    '--allowed-hosts LIST',
    "host names accepted besides loopback, comma-separated\n(*.example.com for subdomains): as Host without a token, as a page's Origin",
    'TASSE_ALLOWED_HOSTS',
  ],
  [
    '--file-mode MODE',
    'mode of the files Tasse creates (folders: matching)',
    'TASSE_FILE_MODE, default 0600',
  ],
  ['--retention-days N', 'finished runs kept this many days', 'TASSE_RETENTION_DAYS, default 30'],
  ['--retention-runs N', 'runs kept per task', 'TASSE_RETENTION_RUNS, default 1000'],
  ['--log-rotate-mb N', 'log.txt rotated past this size', 'TASSE_LOG_ROTATE_MB, default 50'],
  [
    '--log-retention-days N',
    'rotated log.txt files kept this long',
    'TASSE_LOG_RETENTION_DAYS, default 15',
  ],
  [
    '--log-format FORMAT',
    "the host's output: text, or json (one object a line)",
    'TASSE_LOG_FORMAT, default text',
  ],
  PLUGIN_ROW,
  [
    '--cgroups KIND',
    'a control group per run, so daemons end with it:\nauto (v2, else v1 freezer, where writable), v2, v1, off',
    'TASSE_CGROUPS, default auto',
  ],
  [
    '--limits LIST',
    "every run's limits where its task.yaml sets none:\nmemory=512M,cpu=0.5,pids=256 (any of them)",
    'TASSE_LIMITS, and limits: in <data>/tasse.yaml',
  ],
  [
    '--notify-file FILE',
    'YAML file with the notify: list of tasks without one',
    'TASSE_NOTIFY_FILE',
  ],
  [
    '--public-url URL',
    'where people reach the host (links in notifications)',
    'TASSE_PUBLIC_URL, default the address listened on',
  ],
  [
    '--task-user USER',
    "whom tasks without user: run as (name, uid or uid:gid);\nthe host must be root, its .tasse/ stays root's",
    'TASSE_TASK_USER',
  ],
]

/** Help of the settings that only the environment gives. */
export const ENV_ONLY_HELP = [
  'Environment only:',
  helpTable([
    [
      'TASSE_TOKEN',
      'a bearer token the API accepts. With no token configured, a host\non loopback is open; one listening beyond it generates a token\nin <data>/.tasse/token (mode 0600) and says so.',
    ],
  ]),
].join('\n')

/** Reads the configuration from parsed flags and an environment. */
export function readConfig(
  flags: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): HostConfig {
  const config: Record<string, unknown> = {}
  for (const setting of SETTINGS) {
    const flag = flags[setting.flag]
    const fromEnv = env[setting.env]
    if (typeof flag === 'string') config[setting.key] = setting.read(flag, `--${setting.flag}`)
    else if (fromEnv !== undefined && fromEnv !== '')
      config[setting.key] = setting.read(fromEnv, setting.env)
    else config[setting.key] = setting.fallback
  }
  const result = config as unknown as HostConfig
  result.dataDir = resolve(result.dataDir)
  result.token = readToken(env.TASSE_TOKEN)
  result.plugins = readPluginSpecs(result.dataDir, flags.plugin, env)
  result.limits = readHostLimits(result.dataDir, flags.limits, env)
  return result
}

function readToken(text: string | undefined): string | null {
  if (text === undefined || text.trim() === '') return null
  // The value is never shown: a message quoting a rejected token would put it in a log.
  if (/\s/.test(text.trim()))
    throw new TasseError('config', 'TASSE_TOKEN must be one word (no white space inside it)')
  return text.trim()
}

function readPort(text: string, source: string): number {
  const port = Number(text)
  if (!/^\d+$/.test(text) || port > 65535)
    throw new TasseError(
      'config',
      `${source} must be a port number 0-65535, got ${JSON.stringify(text)}`,
    )
  return port
}

function readWhole(text: string, source: string, min: number, max = Infinity): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < min || value > max) {
    const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`
    throw new TasseError(
      'config',
      `${source} must be a whole number ${range}, got ${JSON.stringify(text)}`,
    )
  }
  return value
}

function readStore(text: string, source: string): string {
  if (!/^postgres(ql)?:\/\/./.test(text))
    throw new TasseError(
      'config',
      `${source} must be a postgres:// or postgresql:// URL (without it, runs are kept ` +
        `in SQLite in <data>/.tasse/tasse.db), got ${JSON.stringify(redactUrl(text))}`,
    )
  return text
}

function readFileMode(text: string, source: string): number {
  const mode = /^0?[0-7]{3}$/.test(text) ? Number.parseInt(text, 8) : Number.NaN
  if (Number.isNaN(mode) || (mode & 0o600) !== 0o600 || (mode & 0o111) !== 0)
    throw new TasseError(
      'config',
      `${source} must be an octal file mode that lets the owner read and write, without execute bits (e.g. 0600, 0640, 0644), got ${JSON.stringify(text)}`,
    )
  return mode
}

function readHostList(text: string, source: string): string[] {
  const hosts = text
    .split(',')
    .map((host) => host.trim())
    .filter((host) => host !== '')
  for (const host of hosts)
    if (!/^(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$/.test(host))
      throw new TasseError(
        'config',
        `${source} must list host names or addresses separated by commas (e.g. "tasse.example.com,*.lan"), got ${JSON.stringify(host)}`,
      )
  return hosts
}

function readLogFormat(text: string, source: string): LogFormat {
  return readChoice(LOG_FORMATS, text, source)
}

function readChoice<T extends string>(choices: readonly T[], text: string, source: string): T {
  if ((choices as readonly string[]).includes(text)) return text as T
  throw new TasseError(
    'config',
    `${source} must be one of ${choices.join(', ')}, got ${JSON.stringify(text)}`,
  )
}

function readUrl(text: string, source: string): string {
  if (!/^https?:\/\/[^/\s]+/i.test(text))
    throw new TasseError(
      'config',
      `${source} must be an http:// or https:// URL (e.g. https://tasse.example.com), got ${JSON.stringify(redactUrl(text))}`,
    )
  return text.replace(/\/+$/, '')
}

function readZone(text: string, source: string): string {
  const problem = timeZoneProblem(text)
  if (problem) throw new TasseError('config', `${source} ${problem}`)
  return text
}
