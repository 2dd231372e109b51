/** The plugins every host loads: the triggers, runners and store a `data/` folder uses. */
import { join } from 'node:path'
import type { TassePlugin } from '@tasse/core'
import { lazyRunStore, runStorePlugin } from '@tasse/core/plugin-kit'
import { plugin as poetryRunner } from '@tasse/runner-poetry'
import { sqliteStorePlugin } from '@tasse/store-sqlite'
import { plugin as cronTrigger } from '@tasse/trigger-cron'
import { plugin as dateTrigger } from '@tasse/trigger-date'
import { plugin as intervalTrigger } from '@tasse/trigger-interval'
import { plugin as rruleTrigger } from '@tasse/trigger-rrule'
import type { HostConfig } from './config.js'
import { loadPluginObjects } from './plugin-loader.js'

/** Where the host keeps its own state inside the data folder. */
export function stateDir(dataDir: string): string {
  return join(dataDir, '.tasse')
}

/** The built-in SQLite store's file: `<data>/.tasse/tasse.db`. */
export function historyPath(dataDir: string): string {
  return join(stateDir(dataDir), 'tasse.db')
}

/**
 * The built-in plugins for a host serving `dataDir`: run history on the PostgreSQL server of
 * `store` when given, else in `historyPath(dataDir)`, created with `options.fileMode` (0600 by
 * default).
 */
export function builtinPlugins(
  dataDir: string,
  store: string | null = null,
  options: { fileMode?: number } = {},
): TassePlugin[] {
  return [
    intervalTrigger,
    cronTrigger,
    dateTrigger,
    rruleTrigger,
    poetryRunner,
    store
      ? postgresStore(store)
      : sqliteStorePlugin({
          path: historyPath(dataDir),
          ...(options.fileMode !== undefined ? { fileMode: options.fileMode } : {}),
        }),
  ]
}

/**
 * Every plugin of a host on `config`: the built-in ones, then those `config.plugins` names
 * (`--plugin`, `TASSE_PLUGINS`, `tasse.yaml`), loaded. `tasse serve`, `run`, `list`, `next` and
 * `validate` all take their plugins here, so each understands the same `trigger:` types.
 */
export async function hostPlugins(
  config: Pick<HostConfig, 'dataDir' | 'store' | 'fileMode' | 'plugins'>,
): Promise<TassePlugin[]> {
  return [
    ...builtinPlugins(config.dataDir, config.store, { fileMode: config.fileMode }),
    ...(await loadPluginObjects(config.plugins, config.dataDir)),
  ]
}

/**
 * `@tasse/store-postgres` for the store at `url`, imported on the store's first call: loading
 * `pg` costs commands that never touch the store (`tasse next`) half a second on a small machine.
 */
function postgresStore(url: string): TassePlugin {
  return runStorePlugin('@tasse/store-postgres', () =>
    lazyRunStore('postgres', async () =>
      (await import('@tasse/store-postgres')).createPostgresRunStore({ url }),
    ),
  )
}
