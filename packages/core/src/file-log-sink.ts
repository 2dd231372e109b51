/**
 * The file log sink: `logs/<name>/log.txt` in the original's format (`<ISO time> | <text>`,
 * framed by `>>> Task` and `<<< Task … ended with status code N`), rotated by size and pruned by
 * age; and each run's output on its own in `logs/<name>/runs/<run id>.log`, to be read or
 * followed later. Writes go through streams and report backpressure, so a task writing as fast
 * as it can is slowed down rather than buffered in memory.
 */
import {
  chownSync,
  createWriteStream,
  fchown,
  mkdirSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  type WriteStream,
} from 'node:fs'
import { constants } from 'node:os'
import { dirname, join } from 'node:path'
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
  /**
   * Who owns the folders and files it creates, when not the host (a root host whose tasks run
   * as the data folder's owner, `serve --task-user`: the logs are that user's output to read).
   * @default the host's user
   */
  owner?: { uid: number; gid: number } | null
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
  /** Why its stream stopped: its writes are dropped until a run's frame reopens it. */
  broken: Error | null
}

/** What the sink holds for a run between its start and its end. */
interface RunFiles {
  task: string
  log: WriteStream | null
  /** The first write of the run's output that failed: its `runEnded` rejects with it. */
  error: Error | null
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
  const owner = options.owner ?? null
  const folder = (dir: string) => {
    const made = mkdirSync(dir, { recursive: true, mode: directoryMode(fileMode) })
    // Each folder made (the first one made, down to `dir`) is given to the owner.
    if (owner && made !== undefined)
      for (let at = dir; ; at = dirname(at)) {
        chownSync(at, owner.uid, owner.gid)
        if (at === made || at === dirname(at)) break
      }
  }
  /** A file it creates is the owner's too, once opened (an error is the stream's own). */
  const own = (stream: WriteStream, path: string) => {
    if (owner)
      stream.once('open', (fd: number) =>
        fchown(fd, owner.uid, owner.gid, (cause) => {
          if (cause)
            options.logger?.warn(`cannot give ${path} to uid ${owner.uid}: ${cause.message}`)
        }),
      )
    return stream
  }
  const taskLogs = new Map<string, TaskLog>()
  const runs = new Map<string, RunFiles>()
  /** Tasks whose log could not even be opened (logs/ not writable), and why. */
  const unopened = new Map<string, Error>()
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

  /** A write error fails every run writing there: none waits for a stream that is gone. */
  const failRuns = (task: string | null, runId: string | null, cause: Error) => {
    for (const [id, files] of runs)
      if (id === runId || (runId === null && files.task === task)) files.error ??= cause
  }

  /** The task's log, opened (again, when its stream broke) for a run's frame. */
  const taskLog = (task: string): TaskLog => {
    let log = taskLogs.get(task)
    if (log && (log.broken || log.bytes >= rotateBytes)) {
      if (!log.broken) {
        log.stream.end()
        rotate(log.path, options.logger)
        prune(join(options.logsDir, task), retentionMs, options.logger)
      } else log.stream.destroy()
      taskLogs.delete(task)
      log = undefined
    }
    if (!log) {
      const dir = join(options.logsDir, task)
      const path = join(dir, 'log.txt')
      try {
        folder(dir)
      } catch (cause) {
        unopened.set(task, cause as Error)
        throw new Error(`cannot write ${path}: ${(cause as Error).message}`, { cause })
      }
      unopened.delete(task)
      let bytes = 0
      try {
        bytes = statSync(path).size
      } catch {}
      const opened: TaskLog = {
        stream: own(
          createWriteStream(path, {
            flags: 'a',
            mode: fileMode,
            highWaterMark: WRITE_BUFFER_BYTES,
          }),
          path,
        ),
        bytes,
        path,
        broken: null,
      }
      opened.stream.on('error', (cause) => {
        opened.broken = new Error(`cannot write ${path}: ${cause.message}`, { cause })
        failRuns(task, null, opened.broken)
        options.logger?.error(`cannot write ${path}`, cause)
      })
      log = opened
      taskLogs.set(task, log)
    }
    return log
  }

  /** `written` is called once the text is in the file (or failed to get there). */
  const writeTaskLog = (
    log: TaskLog,
    text: string,
    written?: () => void,
  ): Promise<void> | undefined => {
    // A broken stream takes no more writes: they would wait for a drain that never comes.
    if (log.broken || log.stream.destroyed) {
      written?.()
      return undefined
    }
    log.bytes += Buffer.byteLength(text)
    return log.stream.write(text, written && (() => written())) ? undefined : drained(log.stream)
  }

  const frame = (run: Run, task: TaskDefinition, text: string, written?: () => void) =>
    writeTaskLog(
      taskLog(run.task),
      `${stamp(Date.now())} | ${text.replace('%s', `${task.name}/${task.entrypoint}`)}\n`,
      written,
    )

  return {
    name: 'file',
    runStarted(run, task) {
      const files: RunFiles = { task: run.task, log: null, error: null }
      runs.set(run.id, files)
      try {
        folder(join(options.logsDir, run.task, 'runs'))
        const path = runLogPath(options.logsDir, run.task, run.id)
        const stream = own(createWriteStream(path, { flags: 'a', mode: fileMode }), path)
        stream.on('error', (cause) => {
          failRuns(null, run.id, new Error(`cannot write ${path}: ${cause.message}`, { cause }))
          options.logger?.error(`cannot write the log of run ${run.id}`, cause)
        })
        files.log = stream
        return frame(run, task, '>>> Task %s')
      } catch (cause) {
        files.error ??= cause as Error
        throw cause
      }
    },
    output(run, _task, batch: OutputBatch) {
      const files = runs.get(run.id)
      // Each file still writable gets the output; a broken one loses it (other sinks still get
      // it), and the run is told at its end.
      if (!files) return undefined
      const prefix = `${stamp(batch.time)} | `
      const pending: Promise<void>[] = []
      let log = taskLogs.get(run.task)
      try {
        // Opened by the run's first frame; a broken one is reopened only by the next frame.
        if (!log?.broken) log = taskLog(run.task) // rotated once past its size
      } catch (cause) {
        files.error ??= cause as Error
        return undefined
      }
      const toTask = writeTaskLog(log, prefix + batch.lines.join(`\n${prefix}`) + '\n')
      if (toTask) pending.push(toTask)
      const runLog = files.log
      if (runLog && !runLog.destroyed && !runLog.write(batch.lines.join('\n') + '\n'))
        pending.push(drained(runLog))
      return pending.length ? Promise.all(pending).then(() => {}) : undefined
    },
    async runEnded(run, task) {
      const files = runs.get(run.id)
      const code = run.exitCode ?? (run.signal ? -signalNumber(run.signal) : -1)
      // Resolved once the line is in the file, not merely buffered: the run is announced
      // ended after this, and whoever reads log.txt then expects to find it.
      await new Promise<void>((resolve, reject) => {
        try {
          void frame(run, task, `<<< Task %s ended with status code ${code}`, resolve)
        } catch (cause) {
          reject(cause)
        }
      })
      const runLog = files?.log
      if (runLog && !runLog.destroyed) await new Promise<void>((resolve) => runLog.end(resolve))
      // Until its files are closed, their errors are the run's (the first open can fail late);
      // a stream's `errored` has its error before the 'error' event is out.
      runs.delete(run.id)
      if (files?.error) throw files.error
      for (const stream of [runLog, taskLogs.get(run.task)?.stream])
        if (stream?.errored)
          throw new Error(`cannot write ${stream.path}: ${stream.errored.message}`, {
            cause: stream.errored,
          })
    },
    problem() {
      for (const log of taskLogs.values()) if (log.broken) return log.broken.message
      for (const [task, cause] of unopened)
        return `cannot write ${join(options.logsDir, task, 'log.txt')}: ${cause.message}`
      return null
    },
    async close() {
      const streams = [...taskLogs.values()].map((log) => log.stream)
      for (const files of runs.values()) if (files.log) streams.push(files.log)
      taskLogs.clear()
      runs.clear()
      await Promise.all(
        streams.map((stream) =>
          stream.destroyed ? undefined : new Promise<void>((resolve) => stream.end(resolve)),
        ),
      )
    },
  }
}

/** Resolves when `stream` can take more, or when it can take nothing any more (an error). */
function drained(stream: WriteStream): Promise<void> {
  if (stream.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done)
      stream.off('close', done)
      stream.off('error', done)
      resolve()
    }
    stream.once('drain', done)
    stream.once('close', done)
    stream.once('error', done)
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
