/**
 * The file log sink: `logs/<name>/log.txt` in the original's format (`<ISO time> | <text>`,
 * framed by `>>> Task` and `<<< Task … ended with status code N`), rotated by size and pruned by
 * age; and each run's output on its own in `logs/<name>/runs/<run id>.log`, to be read or
 * followed later. Writes go through streams and report backpressure, so a task writing as fast
 * as it can is slowed down rather than buffered in memory.
 */
import {
  createWriteStream,
  mkdirSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  type WriteStream,
} from 'node:fs'
import { constants } from 'node:os'
import { join } from 'node:path'
import { DEFAULT_FILE_MODE, directoryMode } from './file-modes.js'
import { formatMillis } from './time/iso.js'
import { timeZone } from './time/zone.js'
import type { LogSink, OutputBatch, Run, TaskDefinition, TasseLogger } from './types.js'

export interface FileLogSinkOptions {
  /** The `logs/` folder. */
  logsDir: string
  /** Zone of the times written. @default 'UTC' */
  timezone?: string
  /** `log.txt` is rotated when it grows past this many bytes. @default 50 MB (the original's) */
  rotateBytes?: number
  /** Rotated files older than this are deleted. @default 15 days (the original's) */
  retentionMs?: number
  /** Mode of the log files it creates; their folders get the matching one. @default 0o600 */
  fileMode?: number
  logger?: TasseLogger
}

/**
 * How much output a log file may hold in memory while the disk catches up, before the task's
 * output is paused. Small buffers (Node's default is 16 KiB) make every chunk a pause and resume
 * and a system call of its own; 128 KiB lets writes gather into `writev` calls while memory stays
 * bounded per file (measured: 2,000,000 lines at ~100 MB/s, host peak RSS 127 MB; with 1 MiB,
 * 151 MB and no faster).
 */
const WRITE_BUFFER_BYTES = 128 * 1024

/** Where the output of run `runId` of `task` is kept. */
export function runLogPath(logsDir: string, task: string, runId: string): string {
  return join(logsDir, task, 'runs', `${runId}.log`)
}

interface TaskLog {
  stream: WriteStream
  bytes: number
  path: string
}

/**
 * @example
 * const sink = fileLogSink({ logsDir: 'data/logs', timezone: 'Europe/Paris' })
 */
export function fileLogSink(options: FileLogSinkOptions): LogSink {
  const rotateBytes = options.rotateBytes ?? 50 * 1024 * 1024
  const retentionMs = options.retentionMs ?? 15 * 24 * 3600 * 1000
  const zone = timeZone(options.timezone ?? 'UTC')
  const fileMode = options.fileMode ?? DEFAULT_FILE_MODE
  const folder = (dir: string) => mkdirSync(dir, { recursive: true, mode: directoryMode(fileMode) })
  const taskLogs = new Map<string, TaskLog>()
  const runLogs = new Map<string, WriteStream>()
  let lastMs = -1
  let lastStamp = ''

  /** The time prefix, computed once per millisecond however many lines share it. */
  const stamp = (ms: number): string => {
    if (ms !== lastMs) {
      lastMs = ms
      lastStamp = formatMillis(ms, zone)
    }
    return lastStamp
  }

  const taskLog = (task: string): TaskLog => {
    let log = taskLogs.get(task)
    if (log && log.bytes >= rotateBytes) {
      log.stream.end()
      rotate(log.path, options.logger)
      prune(join(options.logsDir, task), retentionMs, options.logger)
      log = undefined
    }
    if (!log) {
      const dir = join(options.logsDir, task)
      folder(dir)
      const path = join(dir, 'log.txt')
      let bytes = 0
      try {
        bytes = statSync(path).size
      } catch {}
      log = {
        stream: createWriteStream(path, {
          flags: 'a',
          mode: fileMode,
          highWaterMark: WRITE_BUFFER_BYTES,
        }),
        bytes,
        path,
      }
      log.stream.on('error', (cause) => options.logger?.error(`cannot write ${path}`, cause))
      taskLogs.set(task, log)
    }
    return log
  }

  /** `written` is called once the text is in the file (or failed to get there). */
  const writeTaskLog = (
    task: string,
    text: string,
    written?: () => void,
  ): Promise<void> | undefined => {
    const log = taskLog(task)
    log.bytes += Buffer.byteLength(text)
    return log.stream.write(text, written && (() => written())) ? undefined : drained(log.stream)
  }

  const frame = (run: Run, task: TaskDefinition, text: string, written?: () => void) =>
    writeTaskLog(
      run.task,
      `${stamp(Date.now())} | ${text.replace('%s', `${task.name}/${task.entrypoint}`)}\n`,
      written,
    )

  return {
    name: 'file',
    runStarted(run, task) {
      folder(join(options.logsDir, run.task, 'runs'))
      const stream = createWriteStream(runLogPath(options.logsDir, run.task, run.id), {
        flags: 'a',
        mode: fileMode,
      })
      stream.on('error', (cause) =>
        options.logger?.error(`cannot write the log of run ${run.id}`, cause),
      )
      runLogs.set(run.id, stream)
      return frame(run, task, '>>> Task %s')
    },
    output(run, _task, batch: OutputBatch) {
      const prefix = `${stamp(batch.time)} | `
      const pending: Promise<void>[] = []
      const toTask = writeTaskLog(run.task, prefix + batch.lines.join(`\n${prefix}`) + '\n')
      if (toTask) pending.push(toTask)
      const runLog = runLogs.get(run.id)
      if (runLog && !runLog.write(batch.lines.join('\n') + '\n')) pending.push(drained(runLog))
      return pending.length ? Promise.all(pending).then(() => {}) : undefined
    },
    async runEnded(run, task) {
      const code = run.exitCode ?? (run.signal ? -signalNumber(run.signal) : -1)
      // Resolved once the line is in the file, not merely buffered: the run is announced
      // ended after this, and whoever reads log.txt then expects to find it.
      await new Promise<void>((resolve) => {
        void frame(run, task, `<<< Task %s ended with status code ${code}`, resolve)
      })
      const runLog = runLogs.get(run.id)
      runLogs.delete(run.id)
      if (runLog) await new Promise<void>((resolve) => runLog.end(resolve))
    },
    async close() {
      const streams = [...taskLogs.values()].map((log) => log.stream).concat([...runLogs.values()])
      taskLogs.clear()
      runLogs.clear()
      await Promise.all(
        streams.map((stream) => new Promise<void>((resolve) => stream.end(resolve))),
      )
    },
  }
}

function drained(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done)
      stream.off('close', done)
      resolve()
    }
    stream.once('drain', done)
    stream.once('close', done)
  })
}

/** `log.txt` → `log.2026-11-28_03-34-22_123.txt`, as loguru names rotated files. */
function rotate(path: string, logger?: TasseLogger): void {
  const stamp = new Date()
    .toISOString()
    .replace('T', '_')
    .replace(/:/g, '-')
    .replace('.', '_')
    .slice(0, 23)
  try {
    renameSync(path, path.replace(/log\.txt$/, `log.${stamp}.txt`))
  } catch (cause) {
    logger?.error(`cannot rotate ${path}`, cause)
  }
}

/** Deletes rotated logs (`log.<time>.txt`) last written more than `retentionMs` ago. */
function prune(dir: string, retentionMs: number, logger?: TasseLogger): void {
  const limit = Date.now() - retentionMs
  for (const name of readdirSync(dir)) {
    if (!/^log\..+\.txt$/.test(name)) continue
    const path = join(dir, name)
    try {
      if (statSync(path).mtimeMs < limit) unlinkSync(path)
    } catch (cause) {
      logger?.warn(`cannot prune ${path}: ${(cause as Error).message}`)
    }
  }
}

/** Python reports a run ended by signal N as status code -N; so does the `<<< Task` line. */
function signalNumber(signal: string): number {
  return (constants.signals as Record<string, number>)[signal] ?? 1
}
