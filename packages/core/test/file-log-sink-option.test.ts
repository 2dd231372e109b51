/**
 * `createTasse({ fileLogSink })`: an embedder turns the file log sink off, or puts its own in
 * its place; a run then writes nothing under logs/, and the sink given sees its output.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createTasse, type LogSink } from '@tasse/core'
import { afterEach, describe, expect, it } from 'vitest'
import { memoryLogger, removeData, tempData } from './helpers.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) removeData(dir)
})

async function runOnce(fileLogSink: false | LogSink) {
  const dataDir = tempData('ok')
  dirs.push(dataDir)
  const tasse = createTasse({ dataDir, fileLogSink, logger: memoryLogger(), watch: false })
  await tasse.start()
  const run = await tasse.waitForRun((await tasse.trigger('ok')).id)
  await tasse.stop()
  return { run, dataDir }
}

describe('the file log sink option', () => {
  it('false: the run succeeds and nothing is written under logs/', async () => {
    const { run, dataDir } = await runOnce(false)
    expect(run.status).toBe('succeeded')
    expect(existsSync(join(dataDir, 'logs'))).toBe(false)
  })

  it('a LogSink: it gets the run and its output in place of log.txt', async () => {
    const lines: string[] = []
    const events: string[] = []
    const sink: LogSink = {
      name: 'memory',
      runStarted: () => void events.push('started'),
      output: (_run, _task, batch) => void lines.push(...batch.lines),
      runEnded: (run) => void events.push(`ended ${run.status}`),
      close: () => void events.push('closed'),
    }
    const { dataDir } = await runOnce(sink)
    expect(events).toEqual(['started', 'ended succeeded', 'closed'])
    expect(lines.join('\n')).toMatch(/hello/i)
    expect(existsSync(join(dataDir, 'logs', 'ok', 'log.txt'))).toBe(false)
  })
})
