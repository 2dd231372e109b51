/**
 * `tasse run NAME [--param k=v]…`: runs one task now, in the foreground, exactly as the host
 * would (same runner, environment, log files and run history) but without the scheduler or
 * the HTTP server; streams its output and exits with its exit status.
 */
import type { OutputBatch, Run } from '@tasse/core'
import { readConfig } from '../config.js'
import { runExitCode } from '../exit-code.js'
import { createHostTasse } from '../server.js'
import type { Command } from './command.js'
import { paramsFrom, taskNameArgument } from './shared.js'

const usage = `tasse run NAME [--param NAME=VALUE]… [options]

Runs task NAME once, now, in the foreground: its output goes to this terminal (and to its log
files, as under \`tasse serve\`), and tasse exits with its exit status (124 after a timeout,
130 when cancelled with Ctrl-C). The run is recorded in the data folder's history. Preparing a
Python environment shows a progress line.

Options:
  --param NAME=VALUE   a value for one of the task's params: (repeat for several)
  --data DIR           data directory (tasks/, logs/, venv/)   [TASSE_DATA, default ./data]
  --timezone ZONE      default zone of triggers and log times  [TASSE_TIMEZONE, default UTC]`

export const run: Command = {
  summary: 'run a task now, in the foreground, and exit with its exit status',
  usage,
  options: {
    param: { type: 'string', multiple: true },
    data: { type: 'string' },
    timezone: { type: 'string' },
  },
  async run(input) {
    const name = taskNameArgument(input, usage)
    const params = paramsFrom(input.values)
    // Quiet while discovering: other tasks' problems are not this command's (`tasse validate`
    // lists them); the task asked for, if broken, is reported below.
    let quiet = true
    const tasse = createHostTasse(readConfig(input.values), {
      logger: {
        info: () => {},
        warn: (message) => quiet || console.error(message),
        error: (message, cause) =>
          quiet ||
          console.error(
            cause instanceof Error && !message.includes(cause.message)
              ? `${message}: ${cause.message}`
              : message,
          ),
      },
      history: 'runs',
    })
    const progress = new ProgressLine(process.stderr)
    let runId: string | null = null
    const early: [Run, OutputBatch][] = []
    const onOutput = (run: Run, batch: OutputBatch) => {
      if (runId === null) early.push([run, batch])
      else if (run.id === runId) progress.show(batch)
    }
    tasse.events.on('run:output', onOutput)
    const interrupt = () => {
      if (runId) tasse.cancel(runId)
    }
    process.on('SIGINT', interrupt)
    try {
      tasse.rescan()
      quiet = false
      const info = tasse.taskInfo(name)
      if (info && !info.task) throw new Error(info.error ?? `task "${name}" cannot be used`)
      const started = await tasse.trigger(name, { params, reason: 'cli' })
      runId = started.id
      for (const [run, batch] of early.splice(0)) if (run.id === runId) progress.show(batch)
      const ended = await tasse.waitForRun(started.id)
      progress.end(ended.status !== 'succeeded')
      if (ended.status !== 'succeeded')
        console.error(`[tasse] run ${ended.id} of ${name} ${ended.status}: ${ended.error}`)
      return runExitCode(ended)
    } finally {
      process.off('SIGINT', interrupt)
      tasse.events.off('run:output', onOutput)
      progress.end(false)
      await tasse.stop(0)
    }
  },
}

/**
 * The task's output to stdout and stderr as it comes; Tasse's own lines (a Python environment
 * being built) as one line that updates in place on a terminal, with the time spent, or line by
 * line elsewhere.
 */
class ProgressLine {
  private line: string | null = null
  private since = 0
  private timer: NodeJS.Timeout | null = null
  /** Tasse's lines while nothing else was printed: shown in full if the run fails there. */
  private held: string[] = []

  constructor(private readonly out: NodeJS.WriteStream) {}

  show(batch: OutputBatch): void {
    if (batch.stream !== 'tasse') {
      this.clear()
      this.held = []
      const text = `${batch.lines.join('\n')}\n`
      if (batch.stream === 'stdout') process.stdout.write(text)
      else process.stderr.write(text)
      return
    }
    if (!this.out.isTTY) {
      for (const line of batch.lines) this.out.write(`[tasse] ${line}\n`)
      return
    }
    this.held.push(...batch.lines)
    if (this.held.length > 40) this.held.splice(0, this.held.length - 40)
    this.line = batch.lines[batch.lines.length - 1] ?? this.line
    if (!this.timer) {
      this.since = Date.now()
      this.timer = setInterval(() => this.draw(), 1000)
      this.timer.unref()
    }
    this.draw()
  }

  /** Clears the line; when `failed`, prints the lines it showed, which say why. */
  end(failed: boolean): void {
    this.clear()
    if (failed) for (const line of this.held) this.out.write(`[tasse] ${line}\n`)
    this.held = []
  }

  private draw(): void {
    if (this.line === null) return
    const seconds = Math.round((Date.now() - this.since) / 1000)
    const room = Math.max(20, (this.out.columns || 80) - 16)
    const text = this.line.length > room ? `${this.line.slice(0, room - 1)}…` : this.line
    this.out.write(`\r\x1b[K[tasse] ${text} (${seconds}s)`)
  }

  private clear(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    if (this.line !== null) this.out.write('\r\x1b[K')
    this.line = null
  }
}
