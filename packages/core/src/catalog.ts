/**
 * The catalog: which tasks exist. Discovers `tasks/<name>/` folders, loads each one, and on
 * every rescan says what was added, changed and removed. A broken task never affects the
 * others; a task whose task.yaml breaks after it was good keeps its last good definition (and
 * shows the error) rather than stopping. It only reads: `loadCatalog()` is how tools that must
 * write nothing (`tasse next`, `list`, `validate`) see a tasks folder.
 */
import { type Dirent, readdirSync, type Stats, statSync } from 'node:fs'
import { join } from 'node:path'
import { registerPlugins } from './extensions.js'
import { MAX_TASK_YAML_BYTES, readTaskFile } from './task-files.js'
import {
  DEFAULT_ENTRYPOINTS,
  displayPath,
  inspectTask,
  type LoadTaskOptions,
} from './task-loader.js'
import type {
  InvalidTask,
  TaskDefinition,
  TaskState,
  TassePlugin,
  TriggerFactory,
} from './types.js'

export interface CatalogEntry {
  /** The definition in force: the current one, or the last good one while `error` is set. */
  task: TaskDefinition | null
  /** Why the folder's current content cannot be used. */
  error: InvalidTask | null
  /** Cheap signs of change (modification times), to skip unchanged folders. */
  fingerprint: string
  /** What defines the task (task.yaml's text, the default entrypoints present). */
  content: string
}

export interface CatalogChanges {
  added: TaskDefinition[]
  changed: TaskDefinition[]
  removed: TaskDefinition[]
  /** Folders whose content is (newly) invalid, with their errors. */
  invalid: InvalidTask[]
  /**
   * Set when the tasks folder itself could not be listed (unreadable, not a folder, gone after
   * it was there): nothing changed, every task keeps its definition until it can be read again.
   */
  problem?: string
}

/** A task as the API shows it: its definition (or error) and its place in the schedule. */
export interface TaskInfo {
  name: string
  state: 'ok' | 'invalid' | 'paused'
  /** Set when state is `invalid` (or when a last good definition runs despite a broken edit). */
  error: string | null
  task: TaskDefinition | null
  schedule: TaskState | null
}

/** What a scan of a tasks folder found, read-only. */
export interface TaskCatalog {
  /** The valid tasks (including those running on a last good definition), by name. */
  tasks(): TaskDefinition[]
  /** Every folder whose task.yaml cannot be used now, with the error, by name. */
  invalid(): InvalidTask[]
  /** The name of every task folder, valid or not, sorted. */
  names(): string[]
  get(name: string): TaskDefinition | undefined
  entry(name: string): CatalogEntry | undefined
  /** A task as the API shows it, with its schedule state (`null`: none known). */
  info(name: string, schedule: TaskState | null): TaskInfo | undefined
  /** Why the tasks folder itself cannot be listed, or `null`. */
  problem(): string | null
}

export interface LoadCatalogOptions {
  /** Plugins whose trigger factories read `scheduler:` (core's own are always there). */
  plugins?: readonly TassePlugin[]
  /** The trigger factories to use instead of registering `plugins`. */
  factories?: ReadonlyMap<string, TriggerFactory>
  /** Zone of triggers that name none. @default 'UTC' */
  defaultTimezone?: string
  /** How paths appear in messages: relative to this folder when that is shorter. @default cwd */
  displayFrom?: string
}

/**
 * Discovers and validates the tasks below `tasksDir` without a store, a scheduler or a write:
 * what `tasse validate`, `tasse list` and `tasse next` read.
 *
 * @example
 * import { loadCatalog, upcomingFireTimes } from '@tasse/core'
 * import { plugin as cron } from '@tasse/trigger-cron'
 * const catalog = loadCatalog('data/tasks', { plugins: [cron], defaultTimezone: 'Europe/Paris' })
 * for (const task of catalog.tasks())
 *   if (task.trigger) console.log(task.name, upcomingFireTimes(task.trigger, Date.now() * 1000, 3))
 */
export function loadCatalog(tasksDir: string, options: LoadCatalogOptions = {}): TaskCatalog {
  const catalog = new Catalog(tasksDir, {
    factories: options.factories ?? registerPlugins(options.plugins ?? []).triggerFactories(),
    defaultTimezone: options.defaultTimezone ?? 'UTC',
    ...(options.displayFrom !== undefined ? { displayFrom: options.displayFrom } : {}),
  })
  catalog.scan()
  return catalog
}

export class Catalog implements TaskCatalog {
  private readonly entries = new Map<string, CatalogEntry>()
  /** Whether the tasks folder was listed once: after that, its absence is a problem. */
  private listed = false
  private folderProblem: string | null = null

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

  names(): string[] {
    return this.folders().sort()
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

  /** Why the tasks folder cannot be listed now (see `CatalogChanges.problem`), or `null`. */
  problem(): string | null {
    return this.folderProblem
  }

  info(name: string, schedule: TaskState | null): TaskInfo | undefined {
    const entry = this.entries.get(name)
    if (!entry) return undefined
    return {
      name,
      state: !entry.task ? 'invalid' : schedule?.paused ? 'paused' : 'ok',
      error: entry.error?.error.message ?? null,
      task: entry.task,
      schedule,
    }
  }

  /** Reads the tasks folder again and applies what changed. */
  scan(): CatalogChanges {
    const changes: CatalogChanges = { added: [], changed: [], removed: [], invalid: [] }
    const listing = listTaskFolders(this.tasksDir)
    // Missing before it was ever there: no task yet (it may be created later). Missing after:
    // moved or deleted, most likely on its way back.
    if ('problem' in listing || (listing.missing && this.listed)) {
      // A chmod, a `mv` or a deploy that swaps the folder: keep every task as it is (a run in
      // progress goes on, schedules keep firing) rather than unscheduling them all and losing
      // their state, and say why until the folder is back.
      const problem = 'problem' in listing ? listing.problem : folderProblem('ENOENT', '')
      this.folderProblem = `${displayPath(this.tasksDir, this.loadOptions.displayFrom)} ${problem}`
      changes.problem = this.folderProblem
      return changes
    }
    if (!listing.missing) this.listed = true
    this.folderProblem = null
    const seen = new Set<string>()
    for (const name of listing.names) {
      seen.add(name)
      const dir = join(this.tasksDir, name)
      const fingerprint = folderFingerprint(dir)
      const previous = this.entries.get(name)
      if (previous && previous.fingerprint === fingerprint) continue
      // The folder was touched; whether the task changed is decided by what defines it, so that
      // a task writing files into its own folder is not rescheduled each time it does.
      const content = folderContent(dir)
      if (previous && previous.content === content) {
        previous.fingerprint = fingerprint
        continue
      }
      let inspection: { task: TaskDefinition | null; problems: readonly Error[] }
      try {
        inspection = inspectTask(dir, this.loadOptions)
      } catch (cause) {
        // Not a problem of the task's files: a plugin's bug. The task is invalid all the same.
        inspection = {
          task: null,
          problems: [cause instanceof Error ? cause : new Error(String(cause))],
        }
      }
      const { task, problems } = inspection
      if (task) {
        this.entries.set(name, { task, error: null, fingerprint, content })
        if (previous?.task) changes.changed.push(task)
        else changes.added.push(task)
      } else {
        const error: InvalidTask = {
          name,
          dir,
          file: displayPath(join(dir, 'task.yaml'), this.loadOptions.displayFrom),
          error: problems[0] as Error,
          problems,
        }
        this.entries.set(name, { task: previous?.task ?? null, error, fingerprint, content })
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

/**
 * Folder names below `tasksDir` (links to folders included), hidden ones (`.git`, …) left out;
 * or that it does not exist; or why it cannot be listed.
 */
function listTaskFolders(
  tasksDir: string,
): { names: string[]; missing: boolean } | { problem: string } {
  let entries: Dirent[]
  try {
    entries = readdirSync(tasksDir, { withFileTypes: true })
  } catch (cause) {
    const { code, message } = cause as NodeJS.ErrnoException
    if (code === 'ENOENT') return { names: [], missing: true }
    return { problem: folderProblem(code, message) }
  }
  const names = entries
    .filter(
      (entry) =>
        !entry.name.startsWith('.') &&
        (entry.isDirectory() ||
          (entry.isSymbolicLink() && statOrNull(join(tasksDir, entry.name))?.isDirectory())),
    )
    .map((entry) => entry.name)
    .sort()
  return { names, missing: false }
}

/**
 * What decides whether a folder must be loaded again: the folder's own modification time (an
 * entry added, removed or renamed, such as an entrypoint appearing or a task.yaml replaced by
 * an editor) and task.yaml's modification time, size and inode. Two `stat` calls rather than
 * reading every file: the periodic rescan of 10,000 tasks must cost next to nothing.
 */
function folderFingerprint(dir: string): string {
  const folder = statOrNull(dir)
  const yaml = statOrNull(join(dir, 'task.yaml'))
  const yamlPart = yaml ? `${yaml.mtimeMs}:${yaml.size}:${yaml.ino}` : 'missing'
  return `${folder?.mtimeMs ?? 'gone'}|${yamlPart}`
}

/** What a task is made from: task.yaml's text and which default entrypoints exist. */
function folderContent(dir: string): string {
  // Read as the loader reads it: a task.yaml that is a FIFO must not block the scan here either.
  const read = readTaskFile(dir, 'task.yaml', MAX_TASK_YAML_BYTES)
  const yaml = read.ok ? read.text : `\0${read.problem}`
  const entrypoints = DEFAULT_ENTRYPOINTS.map((file) => {
    const stats = statOrNull(join(dir, file))
    return stats ? `${file}:${stats.isFile() ? 'file' : 'other'}` : ''
  })
  return `${entrypoints.join(',')}\n${yaml}`
}

function folderProblem(code: string | undefined, message: string): string {
  const keeps = 'every task keeps its last definition until it can be read again'
  if (code === 'ENOENT') return `is gone (moved or deleted?); ${keeps}`
  if (code === 'ENOTDIR') return `is not a folder; ${keeps}`
  const reason = message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '')
  return `cannot be read: ${reason} (${code ?? 'error'}); ${keeps}`
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path)
  } catch {
    return null
  }
}
