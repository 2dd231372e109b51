/**
 * The run store's contract: run history, each task's schedule state, and what hosts sharing one
 * schedule need of it (fire-time claims, atomic admission, hosts and leases, cancel requests,
 * run output, a change feed). Part of the contracts of `types.ts`, which re-exports it.
 */
import type { EpochMicros, OutputBatch, Run, RunStatus } from './types.js'

/** The scheduler's state of one task, kept across restarts. */
export interface TaskState {
  task: string
  /** µs. */
  lastFireTime: EpochMicros | null
  nextFireTime: EpochMicros | null
  paused: boolean
}

/**
 * What `setTaskState` writes. Without `paused`, only the fire times: the stored `paused` stays
 * (`false` for a task not stored yet), so that a host writing the fire times of a schedule that
 * several hosts share never undoes another host's pause or resume.
 */
export type TaskStateWrite = Omit<TaskState, 'paused'> & { paused?: boolean }

export interface RunQuery {
  task?: string
  status?: readonly RunStatus[]
  /** queuedAt bounds, epoch ms, inclusive. */
  from?: number
  to?: number
  /** Newest first; at most this many. @default 50 */
  limit?: number
  /** Opaque cursor from a previous page. */
  cursor?: string
}

export interface RunPage {
  runs: Run[]
  nextCursor: string | null
}

/** The fields of a run that `updateRun` may change (`id` and `task` never change). */
export type RunPatch = Partial<Omit<Run, 'id' | 'task'>>

/**
 * A host as registered in the store. Several hosts share one schedule through a store on a
 * database server; an embedded store (SQLite) serves one host at a time.
 */
export interface HostRecord {
  /** Unique for each start of a host process (`newRunId()` makes one); runs name it as `hostId`. */
  id: string
  /** The machine's name (`os.hostname()`), for people and for `GET /api/v1/hosts`. */
  name: string
  /** The host's process id on that machine. */
  pid: number
  /** Where its HTTP API listens, when it serves one. */
  url: string | null
  /** Epoch ms by the store's clock (the database server's where there is one). */
  startedAt: number
  /** The last heartbeat, epoch ms by the store's clock. */
  heartbeatAt: number
}

/** What a host says about itself when it registers. */
export type HostRegistration = Pick<HostRecord, 'id' | 'name' | 'pid' | 'url'>

/** What `expireHosts` took over: the hosts it removed and their runs, now `interrupted`. */
export interface ExpiredHosts {
  hosts: HostRecord[]
  /** The unfinished runs of those hosts (or of no registered host), as recorded: `interrupted`. */
  runs: Run[]
}

export interface ExpireHostsOptions {
  /** A host whose last heartbeat is older than this (ms) is dead. */
  leaseMs: number
  /** Epoch ms; `undefined`: the store's clock (the database server's where there is one). */
  now?: number
  /**
   * The `error` recorded on each run taken over (`run` as it was), given its host (`null` when
   * the run's host was not registered any more). @default "its host … stopped …"
   */
  error?: (host: HostRecord | null, run: Run) => string
}

/**
 * What an admission decision asks the store to write, atomically with the reading of the task's
 * active runs it was made from (`admitRun`).
 */
export interface AdmissionWrites {
  /** A new run to record: admitted (`queued`, `running`), or refused (`skipped`, with `error`). */
  insert?: Run
  /** Changes to the task's active runs, e.g. a run queued behind another now starting. */
  update?: readonly { id: string; patch: RunPatch }[]
  /** Active runs of the task to end (`overlap: replace`), each recorded as a cancel request. */
  cancel?: readonly { runId: string; reason: string }[]
}

/** A fire time to claim with an admission (`admitRun`'s `claim`); see `claimFire`. */
export interface FireClaim {
  /** µs. */
  scheduledAt: EpochMicros
  hostId: string
  /** @default 1 */
  attempt?: number
}

/** A request to end a run, kept until the host that owns the run ends it. */
export interface CancelRequest {
  runId: string
  task: string
  /** The host that owns the run (the one that must act), or `null`. */
  hostId: string | null
  reason: string
  /** The host that asked, or `null` (a command, an embedder). */
  requestedBy: string | null
  /** Epoch ms. */
  requestedAt: number
}

/** A piece of a run's output as the store keeps it (the text of one `OutputBatch`). */
export interface OutputChunk {
  /** Bytes (UTF-8) of the run's output before this chunk: the first chunk is at 0. */
  offset: number
  stream: OutputBatch['stream']
  /** When it was read, epoch ms. */
  time: number
  /** Complete lines, each ending with `\n`, as the run's log file holds them. */
  text: string
}

/** What `readOutput` answers. */
export interface OutputPage {
  /** Chunks in offset order; the first may start inside a stored chunk (at `from`). */
  chunks: OutputChunk[]
  /** The offset to read from next: where the last chunk returned ends (or `from`). */
  next: number
  /** The store's output cap cut the run's output: what is past `next` is only in `log.txt`. */
  truncated: boolean
}

/** What `appendOutput` kept. */
export interface OutputAppend {
  /** Bytes of the chunk stored (less than its size once the cap is reached). */
  kept: number
  /** The cap was reached: later chunks of this run are dropped; stop sending them. */
  truncated: boolean
}

/**
 * A change to a store, as `subscribe` delivers it: a hint to read the store again, never the
 * data itself. A store on a server delivers every host's changes; an embedded store those made
 * through the store object it was asked of.
 */
export type StoreChange =
  | { type: 'run'; id: string; task: string; status: RunStatus; hostId: string | null }
  | { type: 'output'; runId: string; next: number }
  | { type: 'task-state'; task: string }
  | { type: 'cancel'; runId: string; hostId: string | null }
  | { type: 'host'; id: string; event: 'registered' | 'unregistered' | 'expired' }
  /** Changes may have been missed (a connection to the server was lost): read again. */
  | { type: 'resync' }

/** A run that `pruneRuns` deleted. */
export type PrunedRun = Pick<Run, 'id' | 'task'>

/**
 * Set by a plugin (`PluginContext.setRunStore`). Asynchronous so that a store can live on a
 * server.
 *
 * Besides history and the scheduler's state, the store is how hosts share one schedule: a fire
 * time is claimed by exactly one host (`claimFire`), admission is decided over every host's
 * active runs at once (`admitRun`), hosts heartbeat and the dead ones' runs are taken over by
 * exactly one survivor (`expireHosts`), cancel requests reach the host that owns a run, run
 * output is readable from any host, and `subscribe` tells of changes. An embedded store serves
 * one host at a time and implements the same calls for it, so core needs no second code path.
 */
export interface RunStore {
  readonly name: string
  insertRun(run: Run): Promise<void>
  /**
   * Changes the fields of `patch` given (not `undefined`). Rejects for an unknown id, and when
   * the patch would change the status of a run already in a final state (that status may be what
   * another host recorded, e.g. `interrupted` after the run's host stopped heartbeating: a late
   * write from that host must not undo it). Other fields of a final run may still change.
   */
  updateRun(id: string, patch: RunPatch): Promise<void>
  getRun(id: string): Promise<Run | undefined>
  listRuns(query?: RunQuery): Promise<RunPage>
  /** Runs in a state that is not final (queued, running): for crash recovery. */
  unfinishedRuns(): Promise<Run[]>
  getTaskState(task: string): Promise<TaskState | undefined>
  /** Writes a task's state; one without `paused` keeps the stored one (`TaskStateWrite`). */
  setTaskState(state: TaskStateWrite): Promise<void>
  listTaskStates(): Promise<TaskState[]>
  /**
   * Retention: deletes runs in a final state that were queued more than `olderThanMs` before
   * `now` (epoch ms, default `Date.now()`), or that are not among the `keepPerTask` newest runs
   * of their task (every run counts towards those, unfinished ones included). Unfinished runs are
   * never deleted; an option left out does not prune by that rule. A deleted run's output and
   * cancel request go with it; fire-time claims older than `olderThanMs` go too (by fire time).
   * `outputOlderThanMs` deletes only the output of finished runs queued before that. Resolves to
   * the runs deleted (id and task, in no particular order), so that what was kept beside them
   * (their log files) goes with them.
   */
  pruneRuns(options: {
    olderThanMs?: number
    keepPerTask?: number
    outputOlderThanMs?: number
    now?: number
  }): Promise<PrunedRun[]>

  /**
   * Claims fire time `scheduledAt` (µs) of `task` for host `by.hostId`: resolves `true` for
   * exactly one caller per `(task, scheduledAt, attempt)`, however many hosts ask at once, and
   * `false` for every other (backed by a unique key, never a read followed by a write). A host
   * runs a scheduled fire, catch-up, retry (`attempt` 2, 3…) or `missed` record only after it
   * won the claim: that is what fences a host that was paused, not dead. @default attempt 1
   */
  claimFire(
    task: string,
    scheduledAt: EpochMicros,
    by: { hostId: string; attempt?: number },
  ): Promise<boolean>

  /**
   * Decides a run atomically: reads the task's active runs (`queued`, `running`, every host's,
   * oldest first), calls `decide` with them (synchronously: a pure function), and applies the
   * writes it returns before any other `admitRun` of the task can read (SQLite: one write
   * transaction; PostgreSQL: a per-task advisory transaction lock). Resolves to what `decide`
   * returned. If `decide` throws, or a write fails, nothing is written and the call rejects.
   * `update` and `cancel` may only name runs among those `decide` was given.
   */
  admitRun<D extends AdmissionWrites>(
    task: string,
    decide: (active: readonly Run[]) => D,
  ): Promise<D>
  /**
   * The same, with fire time `claim` claimed (as `claimFire` claims it) in the same step: the
   * claim, the decision's reading and its writes are one transaction. Resolves `null` when
   * another caller holds the claim: `decide` is not called and nothing is written. A host that
   * dies at any moment leaves the claim with its run (or `missed` record), or neither: a fire
   * time is never claimed without the record another host would look for.
   */
  admitRun<D extends AdmissionWrites>(
    task: string,
    decide: (active: readonly Run[]) => D,
    options: { claim: FireClaim },
  ): Promise<D | null>

  /**
   * Registers a host (a new id each time a host starts). A store that serves one host at a time
   * (SQLite) holds a lock on the data from here until `unregisterHost` or `close`, and rejects
   * with `HostConflictError` naming the other host while another live process holds it.
   */
  registerHost(host: HostRegistration, options?: { now?: number }): Promise<HostRecord>
  /**
   * Records that the host is alive. Resolves `false` when it is not registered (any more):
   * another host found its lease expired and took its runs over; it must stop running them.
   */
  heartbeat(hostId: string, options?: { now?: number }): Promise<boolean>
  /** The registered hosts, by id; a dead one stays listed until some host expires it. */
  listHosts(): Promise<HostRecord[]>
  /**
   * Removes the hosts whose last heartbeat is older than `leaseMs` (and those the store knows
   * to be dead, e.g. SQLite's, whose process is gone), and records as `interrupted` their
   * unfinished runs and those of hosts no longer registered, all in one transaction: each dead
   * host's runs are handed to exactly one caller, which ends what is left of their processes
   * (on their machine) and applies retries.
   */
  expireHosts(options: ExpireHostsOptions): Promise<ExpiredHosts>
  /** A host that stops cleanly leaves (its lock, if any, is released); unknown ids are ignored. */
  unregisterHost(hostId: string): Promise<void>

  /**
   * Asks the host that owns unfinished run `runId` to end it. Resolves `false` when the run is
   * unknown or already final. A request stands until the run ends; asking again keeps the first.
   */
  requestCancel(
    runId: string,
    request: { reason: string; requestedBy: string | null; now?: number },
  ): Promise<boolean>
  /** The standing cancel requests of runs owned by `hostId` (`null`: by no host), oldest first. */
  cancelRequests(hostId: string | null): Promise<CancelRequest[]>

  /**
   * Stores a piece of run `runId`'s output (idempotent by offset: a chunk sent twice is kept
   * once). Output past the store's cap per run is dropped, the chunk that reaches it cut on a
   * character boundary; the answer says so, so the caller stops sending. Rejects for an
   * unknown run.
   */
  appendOutput(runId: string, chunk: OutputChunk): Promise<OutputAppend>
  /** The output of run `runId` from byte `from` on (default 0), at most `limit` chunks (default 1000). */
  readOutput(runId: string, options?: { from?: number; limit?: number }): Promise<OutputPage>

  /**
   * Calls `listener` for each change (see `StoreChange`); resolves once listening, to the
   * function that stops it. A listener that throws is ignored (and never stops the feed).
   */
  subscribe(listener: (change: StoreChange) => void): Promise<() => Promise<void>>

  close(): Promise<void>
}
