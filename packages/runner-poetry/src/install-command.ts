/**
 * Runs one step of an environment build (`python -m venv`, `pip install`, `poetry install`):
 * no shell, its own process group, every output line passed on as it comes, and a failure that
 * says which command, how it ended and what it printed last.
 */
import { spawn } from 'node:child_process'

export interface InstallCommand {
  /** The program, found on PATH or absolute. */
  command: string
  args: readonly string[]
  cwd: string
  env: Readonly<Record<string, string>>
  /** How the command is shown in logs and messages, e.g. `poetry install --no-root`. */
  display: string
  /**
   * Whom it runs as (supplementary groups dropped, then gid, then uid); absent: the host's user.
   * `env` carries their HOME and USER.
   */
  user?: { uid: number; gid: number } | null
}

export interface RunInstallOptions {
  /** Each line of stdout and stderr, in the order read. */
  log: (line: string) => void
  /** Ends the command (its whole process group). */
  signal: AbortSignal
  /** Milliseconds before the command is ended as hung. */
  timeoutMs: number
  /** Lines of output kept for the failure message. @default 15 */
  tailLines?: number
  /** Milliseconds between SIGTERM and SIGKILL when the command is ended. @default 3000 */
  killGraceMs?: number
}

/** How a step ended when it did not succeed. */
export class InstallStepError extends Error {
  override readonly name = 'InstallStepError'
  constructor(
    /** The command as shown. */
    readonly display: string,
    /** `exited with code 1`, `was killed by SIGKILL`, `could not start: …`, `was cancelled`. */
    readonly outcome: string,
    readonly exitCode: number | null,
    readonly durationMs: number,
    /** Its last lines of output, oldest first. */
    readonly tail: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`\`${display}\` ${outcome} after ${formatSeconds(durationMs)}`, options)
  }
}

/**
 * Runs `step` to its end; resolves with its duration in milliseconds when it exits with 0.
 *
 * @throws InstallStepError otherwise (non-zero exit, signal, not found, cancelled, timed out).
 */
export function runInstallCommand(
  step: InstallCommand,
  options: RunInstallOptions,
): Promise<number> {
  const started = performance.now()
  const tailSize = options.tailLines ?? 15
  const tail: string[] = []
  const emit = (line: string) => {
    if (!line) return // Poetry spaces its output with blank lines; the log has no use for them
    tail.push(line.length > MAX_TAIL_LINE ? `${line.slice(0, MAX_TAIL_LINE)}…` : line)
    if (tail.length > tailSize) tail.shift()
    options.log(line)
  }
  const elapsed = () => Math.round(performance.now() - started)

  return new Promise((resolve, reject) => {
    if (options.signal.aborted) {
      reject(new InstallStepError(step.display, 'was cancelled', null, 0, []))
      return
    }
    const child = spawn(step.command, step.args, {
      cwd: step.cwd,
      env: step.env,
      // Its own process group: pip and Poetry start builds of their own, and ending the step
      // must end those too.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...asUser(step.user),
    })
    const stdout = lineSplitter(emit)
    const stderr = lineSplitter(emit)
    child.stdout.setEncoding('utf8').on('data', stdout.push)
    child.stderr.setEncoding('utf8').on('data', stderr.push)

    let endedBy: string | null = null
    let killTimer: NodeJS.Timeout | undefined
    const end = (why: string) => {
      if (endedBy !== null || child.exitCode !== null || child.signalCode !== null) return
      endedBy = why
      signalGroup(child.pid, 'SIGTERM')
      killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), options.killGraceMs ?? 3000)
      killTimer.unref()
    }
    const onAbort = () => end('was cancelled')
    options.signal.addEventListener('abort', onAbort, { once: true })
    const timeout = setTimeout(
      () => end(`timed out (limit ${formatSeconds(options.timeoutMs)})`),
      options.timeoutMs,
    )
    timeout.unref()

    const cleanUp = () => {
      clearTimeout(timeout)
      clearTimeout(killTimer)
      options.signal.removeEventListener('abort', onAbort)
    }
    child.once('error', (cause) => {
      cleanUp()
      reject(
        new InstallStepError(
          step.display,
          `could not start: ${cause.message}`,
          null,
          elapsed(),
          tail,
          {
            cause,
          },
        ),
      )
    })
    // A process that left the group (setsid) may hold the pipes open after the step exited:
    // give its output a moment to drain, then stop waiting for it.
    child.once('exit', () => {
      setTimeout(() => {
        child.stdout.destroy()
        child.stderr.destroy()
      }, 2000).unref()
    })
    child.once('close', (code, signal) => {
      cleanUp()
      stdout.end()
      stderr.end()
      if (code === 0 && endedBy === null) return resolve(elapsed())
      const outcome =
        endedBy ?? (code !== null ? `exited with code ${code}` : `was killed by ${signal}`)
      reject(new InstallStepError(step.display, outcome, code, elapsed(), tail))
    })
  })
}

/**
 * Node's spawn options that start a process as `user`: libuv drops the supplementary groups, then
 * sets the group, then the user, in the child before it executes the command.
 */
export function asUser(user: { uid: number; gid: number } | null | undefined) {
  return user ? { uid: user.uid, gid: user.gid } : {}
}

/** `4.2s`, or `120ms` below a tenth of a second. */
export function formatSeconds(ms: number): string {
  return ms < 100 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`
}

/** Characters of one output line kept in a failure message (a compiler can print far more). */
const MAX_TAIL_LINE = 500

/** Colour and cursor sequences: a build backend may print them even without a terminal. */
const ANSI_ESCAPE = /\x1b\[[0-9;?]*[ -/]*[@-~]/g

/**
 * Cuts a stream into lines, without colour codes. A `\r` inside a line is a progress bar redrawing itself: only what
 * was drawn last is kept.
 */
function lineSplitter(emit: (line: string) => void) {
  let partial = ''
  const flush = (line: string) => {
    const shown = (line.endsWith('\r') ? line.slice(0, -1) : line).replace(ANSI_ESCAPE, '')
    const last = shown.slice(shown.lastIndexOf('\r') + 1)
    emit(last.trimEnd())
  }
  return {
    push(chunk: string) {
      const lines = (partial + chunk).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) flush(line)
    },
    end() {
      if (partial) flush(partial)
      partial = ''
    },
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is gone already.
  }
}
