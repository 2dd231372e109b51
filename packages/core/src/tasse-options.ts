/**
 * What `createTasse()` takes, what the API shows of a task, and how an instance's extensions
 * are put together from its options.
 */
import { corePlugin, Extensions } from './extensions.js'
import { fileLogSink } from './file-log-sink.js'
import type { CgroupChoice } from './run-cgroup.js'
import type { RunLimits } from './task-limits.js'
import type { LogSink, RunStore, TaskUser, TasseLogger, TassePlugin } from './types.js'

export interface TasseOptions {
  /** The data directory: `tasks/`, `logs/` and `venv/` live below it. */
  dataDir: string
  /** Where the task folders are. @default `<dataDir>/tasks` */
  tasksDir?: string
  /** Where logs are written. @default `<dataDir>/logs` */
  logsDir?: string
  /** Triggers, runners, sinks and stores to add (the host passes its built-in ones). */
  plugins?: readonly TassePlugin[]
  /** The run store; wins over one a plugin sets. @default a `MemoryRunStore` (history lasts as long as the process) */
  store?: RunStore
  /** Runs at once on this host. @default 5 */
  concurrency?: number
  /** Zone for triggers without `timezone` and for log times. @default 'UTC' */
  timezone?: string
  /** How long running tasks may finish at `stop()`. @default 30 s */
  shutdownGraceMs?: number
  /** How often the tasks folder is read again (a safety net for the watcher). @default 60 s (the original's) */
  rescanIntervalMs?: number
  /** Watch the tasks folder and apply changes as they happen. @default true */
  watch?: boolean
  /** Retention of finished runs in the store. @default 30 days and 1,000 runs per task */
  retention?: { maxAgeMs?: number; keepPerTask?: number }
  /** `log.txt` rotation and retention. @default 50 MB, 15 days */
  logRotation?: { rotateBytes?: number; retentionMs?: number }
  /**
   * The sink that writes `logs/<task>/log.txt` and each run's `runs/<id>.log`: `false` turns it
   * off (nothing is written under `logsDir`; `readRunLog` and `followRunLog` then find no
   * output), a `LogSink` takes its place. Plugins' sinks are added either way.
   * @default `fileLogSink({ logsDir, timezone, ...logRotation, fileMode })`
   */
  fileLogSink?: false | LogSink
  /** Mode of the files Tasse creates (logs); folders get the matching one. @default 0o600 */
  fileMode?: number
  /** Where Tasse writes about itself; wins over one a plugin sets. @default the console */
  logger?: TasseLogger
  /** The environment tasks start from (host configuration removed). @default process.env */
  env?: NodeJS.ProcessEnv
  /**
   * How long this host may miss heartbeats before another host sharing the store takes its
   * runs over. @default 30 s
   */
  leaseMs?: number
  /**
   * A control group for each run, so that a daemon a task starts (`setsid`, a double fork)
   * ends with its run: the best the system offers (`auto`: v2 with `cgroup.kill`, else v1's
   * freezer), one kind, or none (`off`: leftovers are found by their `TASSE_RUN_ID` in /proc).
   * @default 'auto'
   */
  cgroups?: CgroupChoice
  /**
   * The host's default limits of every run (`memory`, `cpu`, `pids`), for what a task's own
   * `limits:` does not set; enforced through the run's control group. @default none
   */
  limits?: RunLimits
  /**
   * Whom a task without `user:` runs as (a host running as root whose tasks must not be root,
   * nor read its files: `serve --task-user`); `null`: the host's user.
   * @default null
   */
  taskUser?: TaskUser | null
  /**
   * Who owns the logs the file sink creates (`taskUser`'s ids, so that the logs stay readable
   * to the one whose tasks write them); `null`: the host's user. @default null
   */
  logOwner?: { uid: number; gid: number } | null
}

export const DEFAULT_CONCURRENCY = 5
export const DEFAULT_RETENTION = { maxAgeMs: 30 * 24 * 3600 * 1000, keepPerTask: 1000 } as const

/**
 * An instance's extensions, in the order that decides who wins: core's defaults, the file log
 * sink, each plugin, then the store and logger the options name (explicit beats a plugin).
 */
export function tasseExtensions(
  options: TasseOptions,
  where: { logsDir: string; timezone: string },
): Extensions {
  const extensions: Extensions = new Extensions([
    corePlugin,
    {
      name: '@tasse/core:file-log-sink',
      register(context) {
        const sink = options.fileLogSink
        if (sink === false) return
        context.addLogSink(
          sink ??
            (() =>
              fileLogSink({
                ...where,
                logger: extensions.logger(),
                ...options.logRotation,
                ...(options.fileMode !== undefined ? { fileMode: options.fileMode } : {}),
                owner: options.logOwner ?? null,
              })),
        )
      },
    },
    ...(options.plugins ?? []),
    {
      name: 'createTasse options',
      register(context) {
        if (options.logger) context.setLogger(options.logger)
        if (options.store) context.setRunStore(options.store)
      },
    },
  ])
  return extensions
}
