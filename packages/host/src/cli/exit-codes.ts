/**
 * The `tasse` command's own exit statuses, and how a failure becomes one. They are documented
 * in the README ("Exit statuses") and in `tasse --help`; scripts branch on them, so a number
 * never changes meaning.
 */
import {
  InvalidParamError,
  RunRefusedError,
  TaskNotFoundError,
  TasseConfigError,
  TasseError,
} from '@tasse/core'
import { ClientError } from '../client.js'

export const EXIT = {
  /** Done; for `validate` and `next`, every task is valid. */
  ok: 0,
  /** The command ran and found a problem (`validate`, `next`), or failed in another way. */
  failed: 1,
  /** A mistake in the command line or the configuration: flags, their values, arguments. */
  usage: 2,
  /** No such task, run or data folder. */
  notFound: 3,
  /** Refused in the current state: overlap policy, a run already ended, a task without schedule or invalid. */
  refused: 4,
  /** A parameter or query value that the task or the host refuses. */
  invalidParam: 5,
  /** No host answering at the URL (or it is starting or stopping). */
  unreachable: 6,
  /** The host needs a token, or refused the one given. */
  unauthorized: 7,
} as const

/** The lines `tasse --help` and the README show. */
export const EXIT_HELP = [
  ['0', 'done (for validate and next: every task is valid)'],
  ['1', 'a problem found (validate, next), or another failure'],
  ['2', 'usage: an unknown flag, a bad value, a missing argument'],
  ['3', 'not found: no such task, run or data folder'],
  ['4', 'refused: overlap policy, run already ended, no schedule, invalid task'],
  ['5', 'invalid parameter: a value the task or the host refuses'],
  ['6', 'connection failed: no host answering at the URL'],
  ['7', 'unauthorized: the host needs a token, or refused it'],
] as const

/** A mistake in how a command was called: exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** A failure with its exit status and error code chosen by the command. */
export class CliError extends Error {
  override readonly name = 'CliError'
  readonly exitCode: number
  readonly code: string
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    exitCode: number,
    code: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(message)
    this.exitCode = exitCode
    this.code = code
    this.details = details
  }
}

/** What a failure prints and returns: `{"error": {code, message, exitCode, …details}}` in JSON. */
export interface CliFailure {
  exitCode: number
  error: { code: string; message: string; exitCode: number } & Record<string, unknown>
}

/** The exit status, code and message for anything a command threw. */
export function cliFailure(cause: unknown): CliFailure {
  const message = cause instanceof Error ? cause.message : String(cause)
  const make = (exitCode: number, code: string, details: Record<string, unknown> = {}) => ({
    exitCode,
    error: { code, message, exitCode, ...details },
  })
  if (cause instanceof CliError) return make(cause.exitCode, cause.code, { ...cause.details })
  if (cause instanceof UsageError || isSettingError(cause)) return make(EXIT.usage, 'usage')
  if (cause instanceof TaskNotFoundError)
    return make(EXIT.notFound, 'task_not_found', { known: cause.known })
  if (cause instanceof InvalidParamError)
    return make(EXIT.invalidParam, 'invalid_param', { param: cause.param })
  if (cause instanceof RunRefusedError) {
    const { blockingRunId } = cause.refusal
    return make(EXIT.refused, cause.code, blockingRunId ? { blockingRunId } : {})
  }
  if (cause instanceof ClientError) {
    const details = { ...cause.details, status: cause.status }
    return make(clientExitCode(cause), cause.code, details)
  }
  return make(EXIT.failed, 'failed')
}

/** A host's answer as an exit status: by HTTP status, then by the host's error code. */
function clientExitCode(error: ClientError): number {
  if (error.status === 0 || error.status === 503) return EXIT.unreachable
  if (error.status === 401) return EXIT.unauthorized
  if (error.status === 404) return EXIT.notFound
  if (error.status === 409) return EXIT.refused
  if (error.status === 400) return EXIT.invalidParam
  return EXIT.failed
}

/** A flag or setting the host refuses (a task.yaml's problems are `TasseConfigError`s instead). */
function isSettingError(cause: unknown): boolean {
  return (
    cause instanceof TasseError && cause.code === 'config' && !(cause instanceof TasseConfigError)
  )
}
