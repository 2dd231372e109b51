/**
 * The contract every `LogSink` passes: `testLogSink({ name, create, read })` registers a Vitest
 * `describe` block that plays runs through the sink as core's executor does (`runStarted`, output
 * batches, `runEnded`) and reads each run's output back through the `read` the implementation
 * supplies: every line kept, in order, each run apart from the others; every promise it returns
 * (backpressure) settles; and `close()` after everything loses nothing.
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect } from 'vitest'
import { DEFAULT_JOB_OPTIONS } from '../scheduler-config.js'
import { NO_LIMITS } from '../task-limits.js'
import type { LogSink, OutputBatch, Run, TaskDefinition } from '../types.js'
import { makeRun } from './run-store.js'
import { contractIt, type SkippedTests } from './skip.js'

/** The tests of `testLogSink`, by title (for `skip`). */
export const LOG_SINK_CONTRACT_TESTS = [
  'has a name',
  "accepts a run's events in order and keeps its output",
  'keeps thousands of lines in many batches, in order',
  'keeps empty lines, a last line without newline, long lines and any character',
  'keeps batches handed over before an earlier one settled in order',
  'settles every promise it returns (backpressure) under a flood of output',
  'keeps the runs of several tasks, and several runs of one task, apart',
  'records a failed run, a run ended by a signal and a run without output',
  'keeps everything after close()',
] as const
export type LogSinkContractTest = (typeof LOG_SINK_CONTRACT_TESTS)[number]

export interface TestLogSinkOptions {
  /** Shown in the suite's title, e.g. `file`. */
  name: string
  /** A new sink writing somewhere fresh; called before every test. */
  create: () => Promise<LogSink> | LogSink
  /**
   * The output lines of `run` as the sink kept them, in order, without anything the sink adds
   * around them (times, `>>> Task` frames). Called after `runEnded` settled, or after `close()`.
   */
  read: (run: Run, task: TaskDefinition) => Promise<readonly string[]> | readonly string[]
  /** Called after every test, once the sink is closed (remove temporary files here). */
  cleanup?: () => Promise<void> | void
  /** Tests this sink does not pass by design, with the reason. */
  skip?: readonly SkippedTests<LogSinkContractTest>[]
}

/** 2026-01-01T00:00:00Z, when the suite's runs happen. */
const T0 = Date.UTC(2026, 0, 1)

/** How long a promise of the sink may take to settle before the suite calls it stuck. */
const SETTLE_MS = 10_000

/**
 * Registers the log sink contract suite in the calling test file.
 *
 * @example
 * // packages/sink-foo/test/contract.test.ts
 * import { mkdtempSync, rmSync } from 'node:fs'
 * import { tmpdir } from 'node:os'
 * import { join } from 'node:path'
 * import type { LogSink } from '@tasse/core'
 * import { testLogSink } from '@tasse/core/testing'
 * // The package's sink, and how to read back the lines it kept for a run:
 * declare function fooLogSink(options: { dir: string }): LogSink
 * declare function readFooLines(dir: string, runId: string): Promise<string[]>
 * let dir: string
 * testLogSink({
 *   name: 'foo',
 *   create: () => {
 *     dir = mkdtempSync(join(tmpdir(), 'foo-'))
 *     return fooLogSink({ dir })
 *   },
 *   read: (run) => readFooLines(dir, run.id),
 *   cleanup: () => rmSync(dir, { recursive: true, force: true }),
 * })
 */
export function testLogSink(options: TestLogSinkOptions): void {
  describe(`LogSink contract: ${options.name}`, () => {
    const check = contractIt('LogSink contract', LOG_SINK_CONTRACT_TESTS, options.skip)
    let sink: LogSink
    let created = false
    let closed = false

    beforeEach(async () => {
      created = false
      closed = false
      sink = await options.create()
      created = true
    })

    afterEach(async () => {
      try {
        // A create() that failed already reported its error: do not bury it under close()'s.
        if (created && !closed) await sink.close?.()
      } finally {
        await options.cleanup?.()
      }
    })

    const read = async (run: Run, task: TaskDefinition) => [...(await options.read(run, task))]

    /** A whole run: started, its batches one after the other (each awaited), ended. */
    const play = async (
      task: TaskDefinition,
      batches: readonly OutputBatch[],
      end: Partial<Run> = {},
    ): Promise<Run> => {
      const run = startedRun(task)
      await settles(sink.runStarted({ ...run }, task), 'runStarted')
      for (const batch of batches) await settles(sink.output({ ...run }, task, batch), 'output')
      const ended = endedRun(run, end)
      await settles(sink.runEnded(ended, task), 'runEnded')
      return ended
    }

    check('has a name', () => {
      expect(typeof sink.name).toBe('string')
      expect(sink.name.trim().length).toBeGreaterThan(0)
    })

    check("accepts a run's events in order and keeps its output", async () => {
      const task = makeTask('hello')
      const run = await play(task, [
        batch('tasse', ['[runner] python environment reused']),
        batch('stdout', ['Hello world']),
        batch('stderr', ['a warning']),
        batch('stdout', ['Goodbye', 'world']),
      ])
      expect(await read(run, task)).toStrictEqual([
        '[runner] python environment reused',
        'Hello world',
        'a warning',
        'Goodbye',
        'world',
      ])
    })

    check('keeps thousands of lines in many batches, in order', async () => {
      const task = makeTask('noisy')
      const batches: OutputBatch[] = []
      let n = 0
      for (let i = 0; n < 20_000; i++) {
        const size = 1 + ((i * 7919) % 500)
        const lines = Array.from({ length: size }, () => `line ${n++} ${'x'.repeat(n % 80)}`)
        batches.push(batch(i % 5 === 4 ? 'stderr' : 'stdout', lines, i))
      }
      const run = await play(task, batches)
      const lines = await read(run, task)
      expect(lines.length).toBe(n)
      expect(lines).toStrictEqual(batches.flatMap((b) => b.lines))
    })

    check(
      'keeps empty lines, a last line without newline, long lines and any character',
      async () => {
        const task = makeTask('odd-lines')
        const first = [
          '',
          '  indented',
          'tab\there',
          'ünïcødé 🎉 漢字',
          '2026-01-01T00:00:00.000+00:00 | looks like a log line',
          '>>> Task looks like a frame',
          '',
        ]
        // A line of 1 MiB, as core cuts a longer line without newline.
        const long = 'y'.repeat(1024 * 1024)
        // Core hands over the last line of a task that ends without a newline as a line.
        const last = ['first', 'no newline at the end']
        const run = await play(task, [
          batch('stdout', first),
          batch('stderr', [long]),
          batch('stdout', last),
        ])
        const lines = await read(run, task)
        expect(lines.length).toBe(first.length + 1 + last.length)
        expect(lines.slice(0, first.length)).toStrictEqual(first)
        expect(lines[first.length]?.length, 'the long line').toBe(long.length)
        expect(lines[first.length] === long, 'the long line is kept whole').toBe(true)
        expect(lines.slice(first.length + 1)).toStrictEqual(last)
      },
    )

    check('keeps batches handed over before an earlier one settled in order', async () => {
      // Core reads stdout and stderr at once and waits only on the stream a promise came from,
      // so a sink may get the next batch before the previous one's promise settled.
      const task = makeTask('eager')
      const run = startedRun(task)
      await settles(sink.runStarted({ ...run }, task), 'runStarted')
      const batches = Array.from({ length: 40 }, (_, i) =>
        batch(
          i % 2 ? 'stderr' : 'stdout',
          Array.from({ length: 2000 }, (_, j) => `batch ${i} line ${j} ${'z'.repeat(60)}`),
          i,
        ),
      )
      const pending = batches.map((b) => sink.output({ ...run }, task, b))
      await settles(Promise.all(pending), 'the outputs')
      const ended = endedRun(run)
      await settles(sink.runEnded(ended, task), 'runEnded')
      expect(await read(ended, task)).toStrictEqual(batches.flatMap((b) => b.lines))
    })

    check('settles every promise it returns (backpressure) under a flood of output', async () => {
      const task = makeTask('flood')
      const run = startedRun(task)
      await settles(sink.runStarted({ ...run }, task), 'runStarted')
      const line = 'f'.repeat(1000)
      let count = 0
      // 32 MiB in all, much more than any sensible buffer: a sink that writes through a stream
      // asks core to wait here, and each wait must end.
      for (let i = 0; i < 32; i++) {
        const lines = Array.from({ length: 1024 }, (_, j) => `${i}:${j}:${line}`)
        count += lines.length
        await settles(sink.output({ ...run }, task, batch('stdout', lines, i)), `output ${i}`)
      }
      const ended = endedRun(run)
      await settles(sink.runEnded(ended, task), 'runEnded')
      const lines = await read(ended, task)
      expect(lines.length).toBe(count)
      expect(lines[0]).toBe(`0:0:${line}`)
      expect(lines[count - 1]).toBe(`31:1023:${line}`)
    })

    check('keeps the runs of several tasks, and several runs of one task, apart', async () => {
      const [a, b] = [makeTask('alpha'), makeTask('beta')]
      // Two runs of alpha and one of beta, all open at once.
      const open = [a, b, a].map((task) => ({ task, run: startedRun(task), lines: [] as string[] }))
      for (const { task, run } of open)
        await settles(sink.runStarted({ ...run }, task), 'runStarted')
      for (let i = 0; i < 30; i++) {
        const one = open[(i * 5) % 3] as (typeof open)[number]
        const lines = [`${one.run.id} batch ${i}`, `${one.run.id} batch ${i} again`]
        one.lines.push(...lines)
        await settles(sink.output({ ...one.run }, one.task, batch('stdout', lines, i)), 'output')
      }
      const ended = open.map((one) => ({ ...one, run: endedRun(one.run) }))
      // Ended in another order than started.
      for (const r of [1, 2, 0]) {
        const one = ended[r] as (typeof ended)[number]
        await settles(sink.runEnded(one.run, one.task), 'runEnded')
      }
      for (const [r, one] of ended.entries())
        expect(await read(one.run, one.task), `run ${r}`).toStrictEqual(one.lines)
    })

    check('records a failed run, a run ended by a signal and a run without output', async () => {
      const task = makeTask('endings')
      const failed = await play(task, [batch('stderr', ['Traceback: boom'])], {
        status: 'failed',
        exitCode: 3,
        error: 'exited with code 3',
      })
      const killed = await play(task, [batch('stdout', ['working…'])], {
        status: 'timed_out',
        exitCode: null,
        signal: 'SIGKILL',
        error: 'timed out after 1s',
      })
      const silent = await play(task, [])
      expect(await read(failed, task)).toStrictEqual(['Traceback: boom'])
      expect(await read(killed, task)).toStrictEqual(['working…'])
      expect(await read(silent, task)).toStrictEqual([])
    })

    check('keeps everything after close()', async () => {
      const task = makeTask('closing')
      const lines = Array.from({ length: 2500 }, (_, i) => `before close ${i}`)
      const done = await play(task, [batch('stdout', lines)])
      // A second run still open at shutdown, its last batches handed over just before close()
      // without waiting for them (so a sink that buffers still holds them): close() flushes.
      const open = startedRun(task)
      await settles(sink.runStarted({ ...open }, task), 'runStarted')
      const pending = Array.from({ length: 64 }, (_, i) =>
        batch(
          'stdout',
          Array.from({ length: 1000 }, (_, j) => `open ${i}:${j} ${'c'.repeat(200)}`),
          i,
        ),
      )
      const returned = pending.map((b) => sink.output({ ...open }, task, b))
      closed = true
      await settles(sink.close?.(), 'close')
      // Read as soon as close() settled: it must not leave writes behind it.
      expect(await read(done, task)).toStrictEqual(lines)
      const kept = await read(open, task)
      expect(kept.length, 'lines of the run open at close').toBe(64_000)
      expect(kept).toStrictEqual(pending.flatMap((b) => b.lines))
      await settles(Promise.all(returned), 'the outputs handed over before close')
    })
  })
}

/**
 * A valid task definition for sinks and runners under test: `name` in a folder that need not
 * exist, run only when triggered, every option at its default.
 */
export function makeTask(name: string, overrides: Partial<TaskDefinition> = {}): TaskDefinition {
  const dir = join(tmpdir(), 'tasse-contract', 'tasks', name)
  return {
    name,
    dir,
    file: join(dir, 'task.yaml'),
    entrypoint: 'task.py',
    trigger: null,
    job: { ...DEFAULT_JOB_OPTIONS },
    timeoutMs: null,
    overlap: 'skip',
    queueSize: 1,
    params: [],
    env: {},
    retries: null,
    limits: { ...NO_LIMITS },
    notify: null,
    expect: null,
    onFailure: null,
    raw: {},
    ...overrides,
  }
}

// ---------------------------------------------------------------------------------------------

function startedRun(task: TaskDefinition): Run {
  return makeRun({
    task: task.name,
    reason: 'trigger',
    queuedAt: T0,
    startedAt: T0 + 1,
    status: 'running',
    pid: 4242,
    pidStartedAt: T0,
  })
}

function endedRun(run: Run, end: Partial<Run> = {}): Run {
  return {
    ...run,
    status: 'succeeded',
    exitCode: 0,
    endedAt: T0 + 60_000,
    pid: null,
    ...end,
  }
}

function batch(stream: OutputBatch['stream'], lines: readonly string[], at = 0): OutputBatch {
  return { stream, time: T0 + 10 + at, lines }
}

/** Awaits what a sink method returned, failing if a promise never settles. */
async function settles(result: unknown, what: string): Promise<void> {
  if (result === undefined) return
  let timer: NodeJS.Timeout | undefined
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: the promise the sink returned did not settle`)),
      SETTLE_MS,
    )
  })
  try {
    await Promise.race([result, stuck])
  } finally {
    clearTimeout(timer)
  }
}
