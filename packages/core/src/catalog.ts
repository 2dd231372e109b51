/**
 * The catalog: which tasks exist. Discovers `tasks/<name>/` folders, loads each one, and on
 * every rescan says what was added, changed and removed. A broken task never affects the
 * others; a task whose task.yaml breaks after it was good keeps its last good definition (and
 * shows the error) rather than stopping.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { displayPath, type LoadTaskOptions, loadTask } from './task-loader.js'
import type { InvalidTask, TaskDefinition } from './types.js'

export interface CatalogEntry {
  /** The definition in force: the current one, or the last good one while `error` is set. */
  task: TaskDefinition | null
  /** Why the folder's current content cannot be used. */
  error: InvalidTask | null
  /** The content that produced this entry, to skip re-parsing unchanged folders. */
  fingerprint: string
}

export interface CatalogChanges {
  added: TaskDefinition[]
  changed: TaskDefinition[]
  removed: TaskDefinition[]
  /** Folders whose content is (newly) invalid, with their errors. */
  invalid: InvalidTask[]
}

export class Catalog {
  private readonly entries = new Map<string, CatalogEntry>()

  constructor(
    private readonly tasksDir: string,
    private readonly loadOptions: LoadTaskOptions,
  ) {}

  /** The valid tasks (including those running on a last good definition), by name. */
  tasks(): TaskDefinition[] {
    const tasks: TaskDefinition[] = []
    for (const entry of this.entries.values()) if (entry.task) tasks.push(entry.task)
    return tasks.sort((a, b) => a.name.localeCompare(b.name))
  }

  /** Every task folder found by the last scan, valid or not. */
  folders(): string[] {
    return [...this.entries.keys()]
  }

  get(name: string): TaskDefinition | undefined {
    return this.entries.get(name)?.task ?? undefined
  }

  /** Every folder whose task.yaml cannot be used now, with the error. */
  invalid(): InvalidTask[] {
    const invalid: InvalidTask[] = []
    for (const entry of this.entries.values()) if (entry.error) invalid.push(entry.error)
    return invalid.sort((a, b) => a.name.localeCompare(b.name))
  }

  entry(name: string): CatalogEntry | undefined {
    return this.entries.get(name)
  }

  /** Reads the tasks folder again and applies what changed. */
  scan(): CatalogChanges {
    const changes: CatalogChanges = { added: [], changed: [], removed: [], invalid: [] }
    const seen = new Set<string>()
    for (const name of listTaskFolders(this.tasksDir)) {
      seen.add(name)
      const dir = join(this.tasksDir, name)
      const fingerprint = folderFingerprint(dir)
      const previous = this.entries.get(name)
      if (previous && previous.fingerprint === fingerprint) continue
      try {
        const task = loadTask(dir, this.loadOptions)
        this.entries.set(name, { task, error: null, fingerprint })
        if (previous?.task) changes.changed.push(task)
        else changes.added.push(task)
      } catch (cause) {
        const error: InvalidTask = {
          name,
          dir,
          file: displayPath(join(dir, 'task.yaml'), this.loadOptions.displayFrom),
          error: cause instanceof Error ? cause : new Error(String(cause)),
        }
        this.entries.set(name, { task: previous?.task ?? null, error, fingerprint })
        changes.invalid.push(error)
      }
    }
    for (const [name, entry] of this.entries) {
      if (seen.has(name)) continue
      this.entries.delete(name)
      if (entry.task) changes.removed.push(entry.task)
    }
    return changes
  }
}

/** Folder names below `tasksDir`, hidden ones (`.git`, …) left out. */
function listTaskFolders(tasksDir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(tasksDir)
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw cause
  }
  return names.filter((name) => !name.startsWith('.') && isDirectory(join(tasksDir, name))).sort()
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/**
 * What decides whether a folder must be loaded again: task.yaml's text and the names of the
 * files beside it (an entrypoint appearing or disappearing changes the task).
 */
function folderFingerprint(dir: string): string {
  let yaml = ''
  try {
    yaml = readFileSync(join(dir, 'task.yaml'), 'utf8')
  } catch {
    yaml = '\0missing'
  }
  let files = ''
  try {
    files = readdirSync(dir).sort().join('\0')
  } catch {}
  return `${files}\n${yaml}`
}
