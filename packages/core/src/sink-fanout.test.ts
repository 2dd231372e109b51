import { describe, expect, it } from 'vitest'
import { TasseEvents } from './events.js'
import { newRun } from './run-recorder.js'
import { SinkFanout } from './sink-fanout.js'
import { makeTask } from './testing/log-sink.js'
import type { LogSink, OutputBatch, TasseLogger } from './types.js'

const task = makeTask('report')
const run = newRun(task, { reason: 'trigger' }, {})
const batch: OutputBatch = { stream: 'stdout', time: 0, lines: ['hello'] }

function recording(name: string, got: string[]): LogSink {
  return {
    name,
    runStarted: () => void got.push(`${name} started`),
    output: (_run, _task, b) => void got.push(`${name} ${b.lines.join()}`),
    runEnded: () => void got.push(`${name} ended`),
  }
}

function setup(sinks: LogSink[], endMs?: number) {
  const logged: string[] = []
  const logger: TasseLogger = {
    info: () => {},
    warn: () => {},
    error: (message, cause) => logged.push(`${message}: ${(cause as Error).message}`),
  }
  const events = new TasseEvents()
  return { fanout: new SinkFanout(() => sinks, events, logger, endMs), events, logged }
}

describe('SinkFanout', () => {
  it('gives every sink every event, and the output to run:output listeners too', async () => {
    const got: string[] = []
    const { fanout, events } = setup([recording('a', got), recording('b', got)])
    events.on('run:output', (_run, b) => got.push(`listener ${b.lines.join()}`))
    await fanout.started(run, task)
    expect(fanout.output(run, task, batch)).toBeUndefined()
    await fanout.ended(run, task)
    expect(got).toEqual([
      'a started',
      'b started',
      'listener hello',
      'a hello',
      'b hello',
      'a ended',
      'b ended',
    ])
  })

  it('logs a sink that throws or rejects, naming it, and still serves the others', async () => {
    const got: string[] = []
    const throwing: LogSink = {
      name: 'throwing',
      runStarted() {
        throw new Error('no disk')
      },
      output() {
        throw new Error('no disk')
      },
      runEnded: async () => {
        throw new Error('gone')
      },
    }
    const rejecting: LogSink = {
      ...recording('r', got),
      output: async () => Promise.reject(new Error('slow')),
    }
    const { fanout, logged } = setup([throwing, rejecting, recording('ok', got)])
    await fanout.started(run, task)
    await fanout.output(run, task, batch)
    await fanout.ended(run, task)
    expect(got).toEqual(['r started', 'ok started', 'ok hello', 'r ended', 'ok ended'])
    expect(logged).toEqual([
      'log sink throwing failed: no disk',
      'log sink throwing failed: no disk',
      'log sink r failed: slow',
      'log sink throwing failed: gone',
    ])
    // Issue #12, item 3: the run is recorded with the first failure, once.
    expect(fanout.takeFailure(run.id)).toBe('log sink throwing: no disk')
    expect(fanout.takeFailure(run.id)).toBeNull()
  })

  it("gathers the sinks' problems, naming each sink", () => {
    const broken: LogSink = { ...recording('file', []), problem: () => 'cannot write x: ENOSPC' }
    const failing: LogSink = {
      ...recording('odd', []),
      problem() {
        throw new Error('no idea')
      },
    }
    const { fanout } = setup([broken, recording('fine', []), failing])
    expect(fanout.problems()).toEqual([
      'log sink file: cannot write x: ENOSPC',
      'log sink odd: no idea',
    ])
  })

  it('returns a promise, settled when every waiting sink is, when a sink asks to wait', async () => {
    let release: () => void = () => {}
    const waiting: LogSink = {
      ...recording('w', []),
      output: () =>
        new Promise<void>((resolve) => {
          release = resolve
        }),
    }
    const { fanout } = setup([waiting, recording('x', [])])
    const pending = fanout.output(run, task, batch)
    expect(pending).toBeInstanceOf(Promise)
    let settled = false
    void pending?.then(() => {
      settled = true
    })
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(settled).toBe(false)
    release()
    await pending
    expect(settled).toBe(true)
  })

  it('ends a run whose sink never closes its logs, and notes it on the run', async () => {
    const got: string[] = []
    const stuck: LogSink = { ...recording('stuck', got), runEnded: () => new Promise(() => {}) }
    const { fanout, logged } = setup([stuck, recording('b', got)], 50)
    await fanout.ended(run, task)
    expect(got).toEqual(['b ended'])
    expect(fanout.takeFailure(run.id)).toBe(
      "log sink stuck: did not close the run's logs within 50 ms",
    )
    expect(logged).toEqual(["log sink stuck failed: did not close the run's logs within 50 ms"])
  })
})
