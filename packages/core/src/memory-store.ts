/**
 * The in-memory `RunStore`: a real implementation (filters, newest-first pages, opaque cursors,
 * retention, claims, hosts and leases, admission, cancel requests, output), for tests and for
 * embedders who want no history across restarts. It passes the same contract suite
 * (`testRunStore` in `@tasse/core/testing`) as the SQLite and PostgreSQL stores. Several Tasse
 * instances in one process may share one: it then behaves as a cluster's store would.
 */
import { LocalChangeFeed, runChange } from './change-feed.js'
import { TasseError } from './errors.js'
import { MemoryHosts, MemoryOutput } from './memory-store-parts.js'
import {
  checkPruneOptions,
  checkRunLimit,
  decodeRunCursor,
  encodeRunCursor,
  type PruneOptions,
} from './run-store-args.js'
import {
  changesFinalStatus,
  checkAdmissionWrites,
  checkClaim,
  checkHostRegistration,
  checkLease,
  checkOutputCap,
  checkOutputChunk,
  checkOutputRead,
  finalStatusError,
  takenOverError,
} from './run-store-cluster.js'
import {
  type AdmissionWrites,
  type CancelRequest,
  type EpochMicros,
  type ExpiredHosts,
  type ExpireHostsOptions,
  FINAL_RUN_STATUSES,
  type FireClaim,
  type HostRecord,
  type HostRegistration,
  type OutputAppend,
  type OutputChunk,
  type OutputPage,
  type PrunedRun,
  type Run,
  type RunPage,
  type RunPatch,
  type RunQuery,
  type RunStore,
  type StoreChange,
  type TaskState,
  type TaskStateWrite,
} from './types.js'

const STORE_NAME = 'memory'

export interface MemoryRunStoreOptions {
  /**
   * Bytes of output kept per run (`appendOutput`); what comes after is dropped.
   * @default 1 MiB (`DEFAULT_MAX_OUTPUT_BYTES`)
   */
  maxOutputBytes?: number
}

type StoredCancel = Omit<CancelRequest, 'task' | 'hostId'>

/**
 * Keeps runs and task states in maps, indexed by id order overall and per task, so a page costs
 * what it returns rather than a sort of the whole history. Everything going in or out is copied:
 * a caller that mutates a run it passed or got back never changes what is stored.
 *
 * @example
 * const tasse = createTasse({ dataDir: 'data', store: new MemoryRunStore() })
 */
export class MemoryRunStore implements RunStore {
  readonly name = STORE_NAME

  readonly #runs = new Map<string, Run>()
  /** Every run id, ascending (ids sort in creation order). */
  readonly #ids: string[] = []
  /** Each task's run ids, ascending. */
  readonly #idsByTask = new Map<string, string[]>()
  readonly #states = new Map<string, TaskState>()
  /** Claimed `(task, fire time, attempt)` keys, with the fire time for pruning. */
  readonly #claims = new Map<string, EpochMicros>()
  readonly #hosts = new MemoryHosts()
  readonly #cancels = new Map<string, StoredCancel>()
  readonly #output: MemoryOutput
  readonly #feed = new LocalChangeFeed()
  #closed = false

  /** @param options.maxOutputBytes bytes of output kept per run. @default 1 MiB */
  constructor(options: MemoryRunStoreOptions = {}) {
    this.#output = new MemoryOutput(checkOutputCap(options.maxOutputBytes, STORE_NAME))
  }

  async insertRun(run: Run): Promise<void> {
    this.#assertOpen()
    this.#insert(run)
  }

  #insert(run: Run): void {
    if (this.#runs.has(run.id)) {
      throw new TasseError('store', `a run with id "${run.id}" already exists`, { tag: STORE_NAME })
    }
    this.#runs.set(run.id, copyRun(run))
    insertSorted(this.#ids, run.id)
    let taskIds = this.#idsByTask.get(run.task)
    if (!taskIds) {
      taskIds = []
      this.#idsByTask.set(run.task, taskIds)
    }
    insertSorted(taskIds, run.id)
    this.#changed(run)
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    this.#assertOpen()
    this.#update(id, patch)
  }

  #update(id: string, patch: RunPatch): void {
    const stored = this.#runs.get(id)
    if (!stored)
      throw new TasseError('store', `no run with id "${id}" to update`, { tag: STORE_NAME })
    if (changesFinalStatus(stored.status, patch))
      throw finalStatusError(id, stored.status, patch, STORE_NAME)
    const updated: Record<string, unknown> = { ...stored }
    for (const [key, value] of Object.entries(patch)) {
      // `id` and `task` identify the run and never change; undefined means "leave as is".
      if (value === undefined || key === 'id' || key === 'task' || !(key in stored)) continue
      updated[key] = key === 'params' ? { ...(value as Run['params']) } : value
    }
    this.#runs.set(id, updated as unknown as Run)
    this.#changed(updated as unknown as Run)
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
    return this.#unfinished(this.#ids).map(copyRun)
  }

  /** The unfinished runs among `ids`, in their order (not copied). */
  #unfinished(ids: readonly string[]): Run[] {
    const runs: Run[] = []
    for (const id of ids) {
      const run = this.#runs.get(id) as Run
      if (!FINAL_RUN_STATUSES.has(run.status)) runs.push(run)
    }
    return runs
  }

  async getTaskState(task: string): Promise<TaskState | undefined> {
    this.#assertOpen()
    const state = this.#states.get(task)
    return state && { ...state }
  }

  async setTaskState(state: TaskStateWrite): Promise<void> {
    this.#assertOpen()
    const paused = state.paused ?? this.#states.get(state.task)?.paused ?? false
    this.#states.set(state.task, { ...state, paused })
    this.#feed.emit({ type: 'task-state', task: state.task })
  }

  async listTaskStates(): Promise<TaskState[]> {
    this.#assertOpen()
    return [...this.#states.keys()]
      .sort()
      .map((task) => ({ ...(this.#states.get(task) as TaskState) }))
  }

  async pruneRuns(options: PruneOptions): Promise<PrunedRun[]> {
    this.#assertOpen()
    const { olderThanMs, keepPerTask, outputOlderThanMs } = checkPruneOptions(options, STORE_NAME)
    const now = options.now ?? Date.now()
    const cutoff = olderThanMs === undefined ? undefined : now - olderThanMs
    if (cutoff !== undefined)
      for (const [key, scheduledAt] of this.#claims)
        if (scheduledAt < cutoff * 1000) this.#claims.delete(key)
    if (outputOlderThanMs !== undefined)
      for (const runId of this.#output.runIds()) {
        const run = this.#runs.get(runId)
        if (run && FINAL_RUN_STATUSES.has(run.status) && run.queuedAt < now - outputOlderThanMs)
          this.#output.delete(runId)
      }
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
    if (doomed.size === 0) return []

    const pruned: PrunedRun[] = []
    for (const id of doomed) {
      pruned.push({ id, task: (this.#runs.get(id) as Run).task })
      this.#runs.delete(id)
      this.#output.delete(id)
      this.#cancels.delete(id)
    }
    removeAll(this.#ids, doomed)
    for (const [task, taskIds] of this.#idsByTask) {
      removeAll(taskIds, doomed)
      if (taskIds.length === 0) this.#idsByTask.delete(task)
    }
    return pruned
  }

  async claimFire(
    task: string,
    scheduledAt: EpochMicros,
    by: { hostId: string; attempt?: number },
  ): Promise<boolean> {
    this.#assertOpen()
    const attempt = checkClaim(task, scheduledAt, by, STORE_NAME)
    const key = JSON.stringify([task, scheduledAt, attempt])
    if (this.#claims.has(key)) return false
    this.#claims.set(key, scheduledAt)
    return true
  }

  admitRun<D extends AdmissionWrites>(
    task: string,
    decide: (active: readonly Run[]) => D,
  ): Promise<D>
  admitRun<D extends AdmissionWrites>(
    task: string,
    decide: (active: readonly Run[]) => D,
    options: { claim: FireClaim },
  ): Promise<D | null>
  async admitRun<D extends AdmissionWrites>(
    task: string,
    decide: (active: readonly Run[]) => D,
    options?: { claim?: FireClaim },
  ): Promise<D | null> {
    this.#assertOpen()
    // Nothing awaits between the claim, the read and the writes: no other call comes in between.
    const claim = options?.claim
    let key: string | null = null
    if (claim) {
      const attempt = checkClaim(task, claim.scheduledAt, claim, STORE_NAME, 'admitRun')
      key = JSON.stringify([task, claim.scheduledAt, attempt])
      if (this.#claims.has(key)) return null
    }
    const active = this.#unfinished(this.#idsByTask.get(task) ?? [])
    const writes = decide(active.map(copyRun))
    checkAdmissionWrites(task, active, writes, STORE_NAME)
    if (writes.insert && this.#runs.has(writes.insert.id))
      throw new TasseError('store', `a run with id "${writes.insert.id}" already exists`, {
        tag: STORE_NAME,
      })
    if (claim && key) this.#claims.set(key, claim.scheduledAt)
    if (writes.insert) this.#insert(writes.insert)
    for (const { id, patch } of writes.update ?? []) this.#update(id, patch)
    for (const { runId, reason } of writes.cancel ?? [])
      this.#requestCancel(runId, { reason, requestedBy: null })
    return writes
  }

  async registerHost(host: HostRegistration, options: { now?: number } = {}): Promise<HostRecord> {
    this.#assertOpen()
    checkHostRegistration(host, STORE_NAME)
    const record = this.#hosts.add(host, options.now ?? Date.now())
    if (!record)
      throw new TasseError('store', `a host with id "${host.id}" is already registered`, {
        tag: STORE_NAME,
      })
    this.#feed.emit({ type: 'host', id: host.id, event: 'registered' })
    return record
  }

  async heartbeat(hostId: string, options: { now?: number } = {}): Promise<boolean> {
    this.#assertOpen()
    return this.#hosts.beat(hostId, options.now ?? Date.now())
  }

  async listHosts(): Promise<HostRecord[]> {
    this.#assertOpen()
    return this.#hosts.list()
  }

  async expireHosts(options: ExpireHostsOptions): Promise<ExpiredHosts> {
    this.#assertOpen()
    const leaseMs = checkLease(options.leaseMs, STORE_NAME)
    const now = options.now ?? Date.now()
    const hosts = this.#hosts.removeSilentSince(now - leaseMs)
    const byId = new Map(hosts.map((host) => [host.id, host]))
    const runs: Run[] = []
    for (const run of this.#unfinished(this.#ids)) {
      if (run.hostId === null || this.#hosts.has(run.hostId)) continue
      const host = byId.get(run.hostId) ?? null
      const error = options.error?.(host, copyRun(run)) ?? takenOverError(host, leaseMs)
      this.#update(run.id, { status: 'interrupted', error, endedAt: now })
      runs.push(copyRun(this.#runs.get(run.id) as Run))
    }
    for (const host of hosts) this.#feed.emit({ type: 'host', id: host.id, event: 'expired' })
    return { hosts, runs }
  }

  async unregisterHost(hostId: string): Promise<void> {
    this.#assertOpen()
    if (this.#hosts.delete(hostId))
      this.#feed.emit({ type: 'host', id: hostId, event: 'unregistered' })
  }

  async requestCancel(
    runId: string,
    request: { reason: string; requestedBy: string | null; now?: number },
  ): Promise<boolean> {
    this.#assertOpen()
    return this.#requestCancel(runId, request)
  }

  #requestCancel(
    runId: string,
    request: { reason: string; requestedBy: string | null; now?: number },
  ): boolean {
    const run = this.#runs.get(runId)
    if (!run || FINAL_RUN_STATUSES.has(run.status)) return false
    if (!this.#cancels.has(runId)) {
      this.#cancels.set(runId, {
        runId,
        reason: request.reason,
        requestedBy: request.requestedBy,
        requestedAt: request.now ?? Date.now(),
      })
      this.#feed.emit({ type: 'cancel', runId, hostId: run.hostId })
    }
    return true
  }

  async cancelRequests(hostId: string | null): Promise<CancelRequest[]> {
    this.#assertOpen()
    const requests: CancelRequest[] = []
    for (const request of this.#cancels.values()) {
      const run = this.#runs.get(request.runId) as Run
      if (run.hostId === hostId && !FINAL_RUN_STATUSES.has(run.status))
        requests.push({ ...request, task: run.task, hostId: run.hostId })
    }
    return requests.sort((a, b) => a.requestedAt - b.requestedAt || (a.runId < b.runId ? -1 : 1))
  }

  async appendOutput(runId: string, chunk: OutputChunk): Promise<OutputAppend> {
    this.#assertOpen()
    checkOutputChunk(runId, chunk, STORE_NAME)
    if (!this.#runs.has(runId))
      throw new TasseError('store', `no run with id "${runId}" to append output to`, {
        tag: STORE_NAME,
      })
    const { added, ...kept } = this.#output.append(runId, chunk)
    if (added && kept.kept > 0)
      this.#feed.emit({ type: 'output', runId, next: chunk.offset + kept.kept })
    return kept
  }

  async readOutput(
    runId: string,
    options?: { from?: number; limit?: number },
  ): Promise<OutputPage> {
    this.#assertOpen()
    const { from, limit } = checkOutputRead(options, STORE_NAME)
    return this.#output.read(runId, from, limit)
  }

  async subscribe(listener: (change: StoreChange) => void): Promise<() => Promise<void>> {
    this.#assertOpen()
    return this.#feed.subscribe(listener)
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#feed.clear()
  }

  #changed(run: Run): void {
    this.#feed.emit(runChange(run))
  }

  #assertOpen(): void {
    if (this.#closed) throw new TasseError('store', 'the run store is closed', { tag: STORE_NAME })
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
