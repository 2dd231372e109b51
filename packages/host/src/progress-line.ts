/**
 * How `tasse run` shows a run: the task's output on stdout and stderr as it comes, and Tasse's
 * own lines (a Python environment being built) as one status line that updates in place on a
 * terminal, with the time spent, or line by line elsewhere.
 */
import type { OutputBatch } from '@tasse/core'

/** The part of a stream the progress line uses (a `tty.WriteStream` on a terminal). */
export interface StatusStream {
  write(text: string): unknown
  isTTY?: boolean
  columns?: number
}

export interface ProgressLineOptions {
  /** Where Tasse's lines and the status line go. */
  status: StatusStream
  /** Where the task's stdout goes. @default process.stdout */
  stdout?: StatusStream
  /** Where the task's stderr goes. @default process.stderr */
  stderr?: StatusStream
  /** Lines kept to print in full when the run fails while preparing. @default 40 */
  keep?: number
}

/**
 * @example
 * const progress = new ProgressLine({ status: process.stderr })
 * tasse.on('run:output', (run, batch) => progress.show(batch))
 */
export class ProgressLine {
  private line: string | null = null
  private since = 0
  private timer: NodeJS.Timeout | null = null
  /** Tasse's lines since the task last printed: shown in full if the run fails there. */
  private held: string[] = []
  private readonly status: StatusStream
  private readonly stdout: StatusStream
  private readonly stderr: StatusStream

  constructor(private readonly options: ProgressLineOptions) {
    this.status = options.status
    this.stdout = options.stdout ?? process.stdout
    this.stderr = options.stderr ?? process.stderr
  }

  show(batch: OutputBatch): void {
    if (batch.stream !== 'tasse') {
      this.clear()
      this.held = []
      const text = `${batch.lines.join('\n')}\n`
      if (batch.stream === 'stdout') this.stdout.write(text)
      else this.stderr.write(text)
      return
    }
    if (!this.status.isTTY) {
      for (const line of batch.lines) this.status.write(`${tagged(line)}\n`)
      return
    }
    const keep = this.options.keep ?? 40
    this.held.push(...batch.lines)
    if (this.held.length > keep) this.held.splice(0, this.held.length - keep)
    this.line = batch.lines[batch.lines.length - 1] ?? this.line
    if (!this.timer) {
      this.since = Date.now()
      this.timer = setInterval(() => this.draw(), 1000)
      this.timer.unref()
    }
    this.draw()
  }

  /** Clears the status line; when `failed`, prints the lines it showed, which say why. */
  end(failed: boolean): void {
    this.clear()
    if (failed) for (const line of this.held) this.status.write(`${tagged(line)}\n`)
    this.held = []
  }

  private draw(): void {
    if (this.line === null) return
    const seconds = Math.round((Date.now() - this.since) / 1000)
    const room = Math.max(20, (this.status.columns || 80) - 16)
    const text = this.line.length > room ? `${this.line.slice(0, room - 1)}…` : this.line
    this.status.write(`\r\x1b[K[tasse] ${text} (${seconds}s)`)
  }

  private clear(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    if (this.line !== null) this.status.write('\r\x1b[K')
    this.line = null
  }
}

/** A line as Tasse says it: `[tasse] …` (lines never carry the prefix themselves). */
function tagged(line: string): string {
  return `[tasse] ${line}`
}
