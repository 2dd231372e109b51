/**
 * The in-memory `RunStore`: a real implementation (filters, newest-first pages, opaque cursors,
 * retention), for tests and for embedders who want no history across restarts. It passes the
 * same contract suite (`testRunStore` in `@tasse/core/testing`) as the SQLite store.
 */
import { tasseMessage } from './errors.js'
import {
  checkPruneOptions,
  checkRunLimit,
  decodeRunCursor,
  encodeRunCursor,
  type PruneOptions,
} from './run-store-args.js'
import {
  FINAL_RUN_STATUSES,
  type Run,
  type RunPage,
  type RunQuery,
  type RunStore,
  type TaskState,
} from './types.js'

const STORE_NAME = 'memory'

type RunPatch = Parameters<RunStore['updateRun']>[1]

/**
 * Keeps runs and task states in maps, indexed by id order overall and per task, so a page costs
 * what it returns rather than a sort of the whole history. Everything going in or out is copied:
 * a caller that mutates a run it passed or got back never changes what is stored.
 *
 * @example
 * const tasse = createTasse({ tasksDir: 'data/tasks', store: new MemoryRunStore() })
 */
export class MemoryRunStore implements RunStore {
  readonly name = STORE_NAME

  readonly #runs = new Map<string, Run>()
  /** Every run id, ascending (ids sort in creation order). */
  readonly #ids: string[] = []
  /** Each task's run ids, ascending. */
  readonly #idsByTask = new Map<string, string[]>()
  readonly #states = new Map<string, TaskState>()
  #closed = false

  async insertRun(run: Run): Promise<void> {
    this.#assertOpen()
    if (this.#runs.has(run.id)) {
      throw new Error(tasseMessage(`a run with id "${run.id}" already exists`, STORE_NAME))
    }
    this.#runs.set(run.id, copyRun(run))
    insertSorted(this.#ids, run.id)
    let taskIds = this.#idsByTask.get(run.task)
    if (!taskIds) {
      taskIds = []
      this.#idsByTask.set(run.task, taskIds)
    }
    insertSorted(taskIds, run.id)
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    this.#assertOpen()
    const stored = this.#runs.get(id)
    if (!stored) throw new Error(tasseMessage(`no run with id "${id}" to update`, STORE_NAME))
    const updated: Record<string, unknown> = { ...stored }
    for (const [key, value] of Object.entries(patch)) {
      // `id` and `task` identify the run and never change; undefined means "leave as is".
      if (value === undefined || key === 'id' || key === 'task' || !(key in stored)) continue
      updated[key] = key === 'params' ? { ...(value as Run['params']) } : value
    }
    this.#runs.set(id, updated as unknown as Run)
  }

  async getRun(id: string): Promise<Run | undefined> {
    this.#assertOpen()
    const run = this.#runs.get(id)
    return run && copyRun(run)
  }

  async listRuns(query: RunQuery = {}): Promise<RunPage> {
    this.#assertOpen()
    const limit = checkRunLimit(query.limit, STORE_NAME)
    const ids = query.task === undefined ? this.#ids : (this.#idsByTask.get(query.task) ?? [])
    const statuses = query.status && new Set(query.status)
    let index = ids.length - 1
    if (query.cursor !== undefined)
      index = lowerBound(ids, decodeRunCursor(query.cursor, STORE_NAME)) - 1

    const runs: Run[] = []
    let more = false
    for (; index >= 0; index--) {
      const run = this.#runs.get(ids[index] as string) as Run
      if (statuses && !statuses.has(run.status)) continue
      if (query.from !== undefined && run.queuedAt < query.from) continue
      if (query.to !== undefined && run.queuedAt > query.to) continue
      if (runs.length === limit) {
        more = true
        break
      }
      runs.push(copyRun(run))
    }
    const last = runs[runs.length - 1]
    return { runs, nextCursor: more && last ? encodeRunCursor(last.id) : null }
  }

  async unfinishedRuns(): Promise<Run[]> {
    this.#assertOpen()
    const runs: Run[] = []
    for (const id of this.#ids) {
      const run = this.#runs.get(id) as Run
      if (!FINAL_RUN_STATUSES.has(run.status)) runs.push(copyRun(run))
    }
    return runs
  }

  async getTaskState(task: string): Promise<TaskState | undefined> {
    this.#assertOpen()
    const state = this.#states.get(task)
    return state && { ...state }
  }

  async setTaskState(state: TaskState): Promise<void> {
    this.#assertOpen()
    this.#states.set(state.task, { ...state })
  }

  async listTaskStates(): Promise<TaskState[]> {
    this.#assertOpen()
    return [...this.#states.keys()]
      .sort()
      .map((task) => ({ ...(this.#states.get(task) as TaskState) }))
  }

  async pruneRuns(options: PruneOptions): Promise<number> {
    this.#assertOpen()
    const { olderThanMs, keepPerTask } = checkPruneOptions(options, STORE_NAME)
    const cutoff = olderThanMs === undefined ? undefined : (options.now ?? Date.now()) - olderThanMs
    const doomed = new Set<string>()
    for (const taskIds of this.#idsByTask.values()) {
      for (let i = taskIds.length - 1; i >= 0; i--) {
        const run = this.#runs.get(taskIds[i] as string) as Run
        if (!FINAL_RUN_STATUSES.has(run.status)) continue
        const rank = taskIds.length - 1 - i // 0 for the newest run of the task
        const tooOld = cutoff !== undefined && run.queuedAt < cutoff
        const tooMany = keepPerTask !== undefined && rank >= keepPerTask
        if (tooOld || tooMany) doomed.add(run.id)
      }
    }
    if (doomed.size === 0) return 0

    for (const id of doomed) this.#runs.delete(id)
    removeAll(this.#ids, doomed)
    for (const [task, taskIds] of this.#idsByTask) {
      removeAll(taskIds, doomed)
      if (taskIds.length === 0) this.#idsByTask.delete(task)
    }
    return doomed.size
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(tasseMessage('the run store is closed', STORE_NAME))
  }
}

function copyRun(run: Run): Run {
  return { ...run, params: { ...run.params } }
}

/** Index of the first element ≥ `value` in ascending `sorted`. */
function lowerBound(sorted: readonly string[], value: string): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((sorted[middle] as string) < value) low = middle + 1
    else high = middle
  }
  return low
}

function insertSorted(sorted: string[], value: string): void {
  // New runs nearly always carry the greatest id yet: append without searching.
  const last = sorted[sorted.length - 1]
  if (last === undefined || last < value) sorted.push(value)
  else sorted.splice(lowerBound(sorted, value), 0, value)
}

function removeAll(sorted: string[], doomed: ReadonlySet<string>): void {
  let kept = 0
  for (const value of sorted) if (!doomed.has(value)) sorted[kept++] = value
  sorted.length = kept
}
