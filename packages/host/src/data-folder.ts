/**
 * The data folder a host works in: it must exist (a mistyped `--data` would otherwise become a
 * fresh, empty data folder, silently), and the folders Tasse keeps in it (`logs/`, `venv/`,
 * `.tasse/`) are made private, or as open as `--file-mode` says. Files made before keep their
 * own modes, but nobody else can reach them through a private folder.
 */
import { chmodSync, chownSync, lstatSync, mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { TasseError, type TasseLogger } from '@tasse/core'
import { directoryMode } from '@tasse/core/plugin-kit'
import type { HostConfig } from './config.js'
import { stateDir } from './plugins.js'
import { takeBack } from './task-user.js'

/** The folders of the data folder that belong to Tasse (not `tasks/`, which is the user's). */
export function ownFolders(dataDir: string): string[] {
  return [join(dataDir, 'logs'), join(dataDir, 'venv'), stateDir(dataDir)]
}

/**
 * The mode of one of Tasse's folders: private, except that `venv/` may be entered (not listed)
 * by anyone, so that a task that runs as another user (`user:`) reaches its own environment
 * (`venv/<task>/`, as open as Python makes it: the installed packages, no secrets).
 */
function folderMode(folder: string, config: Pick<HostConfig, 'dataDir' | 'fileMode'>): number {
  const mode = directoryMode(config.fileMode)
  return folder === join(config.dataDir, 'venv') ? mode | 0o011 : mode
}

/**
 * Checks that the data folder exists, and creates or sets the mode of Tasse's own folders in it.
 * Throws a `TasseError` (`config`) for a data folder that is missing or not a folder.
 * With a task user (`--task-user`, ids in `owner`), `logs/` is theirs (the logs are their tasks'
 * output, to read), while `.tasse/` and the `venv/` folder (not the environments in it, which
 * their runs build as them) are taken back from them if they had them.
 *
 * @example
 * prepareDataFolder(readConfig({}), consoleLogger())
 */
export function prepareDataFolder(
  config: Pick<HostConfig, 'dataDir' | 'fileMode'>,
  logger: TasseLogger,
  owner: { uid: number; gid: number } | null = null,
): void {
  let isFolder = false
  try {
    isFolder = statSync(config.dataDir).isDirectory()
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') throw cause
    throw new TasseError(
      'config',
      `the data folder ${config.dataDir} does not exist: create it (mkdir -p ${join(config.dataDir, 'tasks')}), or point --data / TASSE_DATA at yours`,
    )
  }
  if (!isFolder)
    throw new TasseError(
      'config',
      `the data folder ${config.dataDir} is not a folder (--data / TASSE_DATA)`,
    )
  for (const folder of ownFolders(config.dataDir)) {
    const mode = folderMode(folder, config)
    try {
      mkdirSync(folder, { mode })
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'EEXIST') throw cause
      // A link is the operator's choice (logs on another disk): its target is left as it is.
      const stats = lstatSync(folder)
      if (!stats.isDirectory() || (stats.mode & 0o777) === mode) continue
      try {
        chmodSync(folder, mode)
      } catch (error) {
        logger.warn(
          `cannot make ${folder} mode ${mode.toString(8)} (${(error as Error).message}); its files may be readable by others`,
        )
      }
    }
  }
  if (!owner) return
  chownSync(join(config.dataDir, 'logs'), owner.uid, owner.gid)
  takeBack(stateDir(config.dataDir), owner.uid)
  // venv/ itself only: each venv/<task> is built by its run's user (runner-poetry), theirs.
  takeBack(join(config.dataDir, 'venv'), owner.uid, false)
}
