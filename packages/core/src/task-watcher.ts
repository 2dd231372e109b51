/**
 * Watches the tasks folder so that tasks appear, change and disappear while the host runs. Events
 * are gathered for a moment (an editor writes a file in several steps) and then trigger one
 * rescan; the periodic rescan stays as the safety net for what a watcher can miss (network file
 * systems, the inotify watch limit).
 *
 * NOTE: folders are watched one by one, not with `fs.watch(dir, { recursive: true })`: on Linux,
 * Node 20's recursive mode watches each file, and loses a file that an editor replaces by
 * renaming a new one over it (`sed -i`, vim, most IDEs), so every later edit went unseen. A
 * folder's own watch sees every entry in it, replaced or not.
 */
import { type FSWatcher, statSync, watch } from 'node:fs'
import { join } from 'node:path'
import type { TasseLogger } from './types.js'

/** How long after the last file event the folder is read again. */
export const WATCH_DEBOUNCE_MS = 150

export class TaskWatcher {
  private readonly folders = new Map<string, FSWatcher>()
  private root: FSWatcher | null = null
  /** The inode of the tasks folder `root` watches. */
  private rootIno: number | null = null
  private timer: NodeJS.Timeout | null = null
  private warned = false

  constructor(
    private readonly tasksDir: string,
    private readonly onChange: () => void,
    private readonly logger: TasseLogger,
  ) {
    this.rootIno = inode(tasksDir)
    this.root = this.watch(tasksDir)
  }

  /** Watches exactly these task folders (call after each scan with the folders found). */
  sync(names: Iterable<string>): void {
    const wanted = new Set(names)
    for (const [name, watcher] of this.folders)
      if (!wanted.has(name)) {
        watcher.close()
        this.folders.delete(name)
      }
    for (const name of wanted) {
      if (this.folders.has(name)) continue
      const watcher = this.watch(join(this.tasksDir, name))
      if (watcher) this.folders.set(name, watcher)
    }
    // The tasks folder may have been created after start, or replaced (`mv new tasks`, a
    // deploy that swaps it): a watch follows the folder it was set on, so set it again.
    const ino = inode(this.tasksDir)
    if (this.root && ino !== this.rootIno) {
      this.root.close()
      this.root = null
    }
    if (!this.root && ino !== null) {
      this.root = this.watch(this.tasksDir)
      this.rootIno = ino
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer)
    this.root?.close()
    for (const watcher of this.folders.values()) watcher.close()
    this.folders.clear()
  }

  private changed = () => {
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      this.onChange()
    }, WATCH_DEBOUNCE_MS)
  }

  private watch(dir: string): FSWatcher | null {
    try {
      const watcher = watch(dir, { persistent: false }, this.changed)
      watcher.on('error', () => {
        watcher.close()
        if (dir === this.tasksDir) this.root = null
        else for (const [name, w] of this.folders) if (w === watcher) this.folders.delete(name)
      })
      return watcher
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && !this.warned) {
        this.warned = true
        this.logger.warn(
          `cannot watch ${dir} (${(cause as Error).message}); changes are picked up by the periodic rescan`,
        )
      }
      return null
    }
  }
}

function inode(path: string): number | null {
  try {
    return statSync(path).ino
  } catch {
    return null
  }
}
