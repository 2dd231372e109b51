/**
 * The log sink contract of `@tasse/core/testing`, run on the file sink: a run's output is read
 * back from its own file (`logs/<task>/runs/<run id>.log`), in a fresh logs folder per test.
 * Then what only the file sink promises: the same lines in `log.txt`, framed as the original's.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileLogSink, runLogPath } from '@tasse/core'
import { makeRun, makeTask, testLogSink } from '@tasse/core/testing'
import { afterEach, describe, expect, it } from 'vitest'

let logsDir = ''

testLogSink({
  name: 'file',
  create: () => {
    logsDir = mkdtempSync(join(tmpdir(), 'tasse-logs-'))
    return fileLogSink({ logsDir })
  },
  read: async (run) => {
    const text = await readFile(runLogPath(logsDir, run.task, run.id), 'utf8')
    // Every line ends with a newline: the last piece of the split is the empty rest.
    return text.split('\n').slice(0, -1)
  },
  cleanup: () => rmSync(logsDir, { recursive: true, force: true }),
})

describe('file log sink: log.txt', () => {
  afterEach(() => rmSync(logsDir, { recursive: true, force: true }))

  it("holds each line of the run, prefixed with its time, between the original's frames", async () => {
    logsDir = mkdtempSync(join(tmpdir(), 'tasse-logs-'))
    const sink = fileLogSink({ logsDir, timezone: 'Europe/Paris' })
    const task = makeTask('report')
    const run = makeRun({ task: 'report', status: 'running' })
    const lines = ['', 'ünïcødé', 'no newline at the end']
    await sink.runStarted(run, task)
    await sink.output(run, task, { stream: 'stdout', time: Date.UTC(2026, 0, 1, 8), lines })
    await sink.runEnded({ ...run, status: 'failed', exitCode: 3 }, task)
    await sink.close?.()
    const logged = readFileSync(join(logsDir, 'report', 'log.txt'), 'utf8').split('\n')
    expect(logged[0]).toMatch(/ \| >>> Task report\/task\.py$/)
    expect(logged.slice(1, 4)).toStrictEqual(
      lines.map((line) => `2026-01-01T09:00:00.000+01:00 | ${line}`),
    )
    expect(logged[4]).toMatch(/ \| <<< Task report\/task\.py ended with status code 3$/)
    expect(logged.slice(5)).toStrictEqual([''])
  })
})
