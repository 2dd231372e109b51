/**
 * The modes of what Tasse creates: private by default (0600 files, 0700 folders), since run
 * logs and the run history hold whatever tasks print and are given, and the data folder is
 * often shared. A configured file mode opens them up (0640: the owner's group may read).
 */

/** Files Tasse creates: the owner reads and writes, nobody else. */
export const DEFAULT_FILE_MODE = 0o600

/**
 * The mode of the folders that hold files of `fileMode`: each read bit brings its search bit
 * (0600 → 0700, 0640 → 0750).
 *
 * @example
 * import { mkdirSync } from 'node:fs'
 * mkdirSync('data/logs', { recursive: true, mode: directoryMode(0o640) }) // 0750
 */
export function directoryMode(fileMode: number): number {
  return (fileMode & 0o666) | ((fileMode & 0o444) >> 2)
}
