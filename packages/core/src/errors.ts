/**
 * Tasse's errors: one family, `TasseError { code, message, cause }`, with a subclass only where
 * a caller branches on more than the code (the file and key of a configuration error, the
 * tasks that exist, the refusal, the parameter, the cursor).
 *
 * Messages are written once, where the error is made, and carry no `[tasse]` prefix: the host
 * and the CLI add it where they print. A plugin's tag (`[trigger-cron]`) is part of its messages,
 * since it says where the problem is.
 */
import type { ConfigLocation, Refusal, RefusalCode, Run } from './types.js'

/** What went wrong, for callers that branch; people read the message. */
export type TasseErrorCode =
  /** A value in a file or a setting cannot be used (`TasseConfigError` names the file and key). */
  | 'config'
  | 'task_not_found'
  | 'run_not_found'
  /** A run's parameters were refused (`InvalidParamError`); nothing was recorded. */
  | 'invalid_param'
  /** A run was refused by admission (`RunRefusedError`); it is recorded as `skipped`. */
  | RefusalCode
  /** A run store was given a cursor it did not make (`BadCursorError`). */
  | 'bad_cursor'
  /** A function was called with a value outside what it accepts. */
  | 'invalid_argument'
  /** A plugin could not register, or two plugins claim one trigger type. */
  | 'plugin'
  /** No runner claims the task's entrypoint. */
  | 'no_runner'
  /** The run store failed: closed, cannot open, a duplicate or unknown run. */
  | 'store'
  /** The store is held by another live host (`HostConflictError`). */
  | 'host_conflict'

export interface TasseErrorOptions {
  cause?: unknown
  /** The plugin's tag, e.g. `trigger-cron`: the message reads `[trigger-cron] …`. */
  tag?: string
}

export class TasseError extends Error {
  override readonly name: string = 'TasseError'
  readonly code: TasseErrorCode
  /** The plugin's tag the message starts with, if any. */
  readonly tag: string | undefined

  constructor(code: TasseErrorCode, message: string, options: TasseErrorOptions = {}) {
    super(options.tag ? `[${options.tag}] ${message}` : message, { cause: options.cause })
    this.code = code
    this.tag = options.tag
  }
}

/** A task.yaml (or other configuration) value that cannot be used: names the file and key. */
export class TasseConfigError extends TasseError {
  override readonly name = 'TasseConfigError'
  readonly file: string
  readonly field: string
  /** The bare problem, without the file and field (e.g. `must be an integer 0-23, got "6am"`). */
  readonly problem: string
  /** Where in the file, 1-based, when known (`inspectTask` finds it in the YAML). */
  readonly line: number | undefined
  readonly column: number | undefined

  constructor(at: ConfigLocation, problem: string, options?: TasseErrorOptions) {
    super('config', `${at.field ? `${at.file}: ${at.field}` : at.file} ${problem}`, options)
    this.file = at.file
    this.field = at.field
    this.problem = problem
    this.line = at.line
    this.column = at.column
  }

  /** The same problem at `line` and `column` of its file. */
  at(line: number, column: number): TasseConfigError {
    const options: TasseErrorOptions = { cause: this.cause }
    if (this.tag) options.tag = this.tag
    return new TasseConfigError(
      { file: this.file, field: this.field, line, column },
      this.problem,
      options,
    )
  }

  /**
   * `file:line:column: [tag] field problem`, the form compilers use (terminals and editors open
   * the file there); the plain message when the position is not known.
   */
  positioned(): string {
    if (this.line === undefined) return this.message
    const tag = this.tag ? `[${this.tag}] ` : ''
    const field = this.field ? `${this.field} ` : ''
    return `${this.file}:${this.line}:${this.column ?? 1}: ${tag}${field}${this.problem}`
  }
}

/** No task of that name; `known` lists what exists, for the message and for HTTP 404s. */
export class TaskNotFoundError extends TasseError {
  override readonly name = 'TaskNotFoundError'
  readonly task: string
  readonly known: readonly string[]

  constructor(task: string, known: readonly string[]) {
    const list = known.length ? `known tasks: ${known.join(', ')}` : 'no task is defined'
    super('task_not_found', `no task named ${JSON.stringify(task)} (${list})`)
    this.task = task
    this.known = known
  }
}

/** A value given for a run's parameter was refused; nothing ran and nothing was recorded. */
export class InvalidParamError extends TasseError {
  override readonly name = 'InvalidParamError'
  /** The parameter at fault. */
  readonly param: string

  constructor(param: string, message: string) {
    super('invalid_param', message)
    this.param = param
  }
}

/**
 * Admission refused a run (the overlap policy, a paused task, a full queue, a host shutting
 * down). The refused run is in history as `skipped`; `run` is that record.
 */
export class RunRefusedError extends TasseError {
  override readonly name = 'RunRefusedError'
  declare readonly code: RefusalCode
  readonly refusal: Refusal
  readonly run: Run

  constructor(refusal: Refusal, run: Run) {
    super(refusal.code, `task "${run.task}" was not run: ${refusal.message}`)
    this.refusal = refusal
    this.run = run
  }
}

/** `RunQuery.cursor` was not made by this store: the caller's mistake, never the store's. */
export class BadCursorError extends TasseError {
  override readonly name = 'BadCursorError'
  readonly cursor: string

  constructor(cursor: string, options?: TasseErrorOptions) {
    super(
      'bad_cursor',
      `listRuns: cursor ${JSON.stringify(cursor)} was not made by this store (pass the nextCursor of a previous page)`,
      options,
    )
    this.cursor = cursor
  }
}

/**
 * A store that serves one host at a time (SQLite) is held by another live host: starting a
 * second host there would run every schedule twice. `holder` is that host, when known.
 */
export class HostConflictError extends TasseError {
  override readonly name = 'HostConflictError'
  readonly holder: { id: string; name: string; pid: number; startedAt: number } | null

  constructor(message: string, holder: HostConflictError['holder'], options?: TasseErrorOptions) {
    super('host_conflict', message, options)
    this.holder = holder
  }
}
