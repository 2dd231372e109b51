/**
 * The host's own output, as an operations log: lines of text (`<time> [tasse] …`, warnings and
 * errors on stderr) or, for log collectors, one JSON object a line on stdout (`--log-format
 * json`). Every run that ends gets one line naming the task, the run, its status, its duration
 * and its exit code; a failure is logged as an error, so it shows in `docker logs`.
 */
import { formatMillis, type Run, type Tasse, type TasseLogger, timeZone } from '@tasse/core'
import { formatDuration } from '@tasse/core/plugin-kit'
import type { LogFormat } from './config.js'

export type LogLevel = 'info' | 'warn' | 'error'

/** A logger whose lines may carry fields (JSON keys; in text, the message says it all). */
export interface HostLogger extends TasseLogger {
  event(level: LogLevel, message: string, fields: Record<string, unknown>): void
}

export interface HostLoggerOptions {
  /** @default 'text' */
  format?: LogFormat
  /** Zone of the times written (the host's `--timezone`). @default 'UTC' */
  timezone?: string
  /** Where a line goes; the default writes info to stdout, the rest to stderr (text) or all to stdout (json). */
  write?: (line: string, level: LogLevel) => void
  /** @default Date.now */
  now?: () => number
  /** Start text lines with the time (a command's messages need none). @default true */
  time?: boolean
}

/**
 * @example
 * const logger = hostLogger({ format: 'json' })
 * logger.info('serving') // {"time":"2026-…","level":"info","message":"serving"}
 */
export function hostLogger(options: HostLoggerOptions = {}): HostLogger {
  const format = options.format ?? 'text'
  const zone = timeZone(options.timezone ?? 'UTC')
  const now = options.now ?? Date.now
  const write =
    options.write ??
    ((line: string, level: LogLevel) =>
      (format === 'json' || level === 'info' ? process.stdout : process.stderr).write(`${line}\n`))

  const event = (level: LogLevel, message: string, fields: Record<string, unknown>) => {
    const time = formatMillis(now(), zone)
    if (format === 'json') write(JSON.stringify({ time, level, message, ...fields }), level)
    else
      write(
        `${options.time === false ? '' : `${time} `}[tasse] ${level === 'info' ? '' : `${LEVEL_WORDS[level]}: `}${message}`,
        level,
      )
  }
  return {
    event,
    info: (message) => event('info', message, {}),
    warn: (message) => event('warn', message, {}),
    error: (message, cause) => {
      const reason =
        cause instanceof Error ? cause.message : cause === undefined ? '' : String(cause)
      const said = reason === '' || message.includes(reason)
      event(
        'error',
        said ? message : `${message}: ${reason}`,
        format === 'json' && reason !== '' ? { cause: reason } : {},
      )
    },
  }
}

const LEVEL_WORDS = { warn: 'warning', error: 'error' } as const

/**
 * Logs one line per run end on `logger` until the returned function is called: `run ID of
 * "TASK" STATUS in DURATION (exit code N)`, with those as fields in JSON.
 */
export function logRunEnds(
  tasse: Pick<Tasse, 'events'>,
  logger: TasseLogger | HostLogger,
): () => void {
  const ended = (run: Run) => {
    const level = RUN_END_LEVELS[run.status] ?? 'info'
    const durationMs =
      run.startedAt !== null && run.endedAt !== null ? run.endedAt - run.startedAt : null
    // A run that never started (skipped, missed) has no process to tell of.
    const outcome =
      run.exitCode !== null
        ? ` (exit code ${run.exitCode})`
        : run.signal !== null
          ? ` (signal ${run.signal})`
          : run.startedAt === null
            ? ''
            : ' (no exit code)'
    const error = run.error ? run.error.split('\n')[0] : ''
    const said = error && error !== `exited with code ${run.exitCode}` ? `: ${error}` : ''
    const message = `run ${run.id} of "${run.task}" ${run.status}${
      durationMs === null ? '' : ` in ${formatDuration(durationMs)}`
    }${outcome}${said}`
    const fields = {
      event: 'run_ended',
      task: run.task,
      runId: run.id,
      status: run.status,
      reason: run.reason,
      durationMs,
      exitCode: run.exitCode,
      signal: run.signal,
      error: run.error === null ? null : run.error,
    }
    if ('event' in logger) logger.event(level, message, fields)
    else logger[level](message)
  }
  tasse.events.on('run:ended', ended)
  return () => tasse.events.off('run:ended', ended)
}

/** A failure is an error, a run that did not happen as asked a warning. */
const RUN_END_LEVELS: Partial<Record<Run['status'], LogLevel>> = {
  failed: 'error',
  timed_out: 'error',
  interrupted: 'error',
  cancelled: 'warn',
  skipped: 'warn',
  missed: 'warn',
}
