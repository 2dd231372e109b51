/**
 * The Tasse instance of a host, without the HTTP server: what `tasse serve` and `tasse run`
 * share, so that a task runs the same way in both. Kept apart from `server.ts` so that
 * `tasse run` loads no HTTP, API or metrics module.
 */
import {
  consoleLogger,
  createTasse,
  type Tasse,
  type TasseLogger,
  type TassePlugin,
} from '@tasse/core'
import type { HostConfig } from './config.js'
import { prepareDataFolder } from './data-folder.js'
import { builtinPlugins } from './plugins.js'
import { taskUserIds } from './task-user.js'

const DAY_MS = 24 * 3600 * 1000

export interface HostOptions {
  /**
   * Plugins beyond the built-in ones (`startHost` adds those `config.plugins` names, loaded,
   * before these; `createHostTasse` takes only these).
   */
  plugins?: readonly TassePlugin[]
  /**
   * Where the host writes about itself. @default for `startHost`, the operations log in the
   * configured `logFormat` (`hostLogger`); for the commands, the console
   */
  logger?: TasseLogger
}

/**
 * The Tasse instance a host runs on `config`: the built-in plugins (run history in
 * `<data>/.tasse/`) and `plugins`, the configured zone, concurrency and grace. `tasse serve` and
 * `tasse run` both build it here, so a task runs the same way in both.
 */
export function createHostTasse(config: HostConfig, options: HostOptions = {}): Tasse {
  const taskUser = taskUserIds(config.taskUser)
  prepareDataFolder(config, options.logger ?? consoleLogger(), taskUser)
  const plugins = [
    ...builtinPlugins(config.dataDir, config.store, { fileMode: config.fileMode }),
    ...(options.plugins ?? []),
  ]
  return createTasse({
    dataDir: config.dataDir,
    plugins,
    fileMode: config.fileMode,
    timezone: config.timezone,
    concurrency: config.concurrency,
    shutdownGraceMs: config.shutdownGraceMs,
    cgroups: config.cgroups,
    limits: config.limits,
    taskUser: config.taskUser,
    logOwner: taskUser,
    retention: { maxAgeMs: config.retentionDays * DAY_MS, keepPerTask: config.retentionRuns },
    logRotation: {
      rotateBytes: config.logRotateMb * 1024 * 1024,
      retentionMs: config.logRetentionDays * DAY_MS,
    },
    ...(options.logger ? { logger: options.logger } : {}),
  })
}
