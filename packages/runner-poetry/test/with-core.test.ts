/**
 * The plugin inside core, as the acceptance check runs it: a data directory with a Poetry task
 * (path dependency), a requirements task (path dependency) and a plain task.py, each triggered
 * three times through `createTasse`. Every run succeeds with its output in the task's log; each
 * environment is built once; a changed requirements.txt rebuilds once.
 */
import { appendFile, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createTasse, type Run, type Tasse } from '@tasse/core'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { poetryRunnerPlugin } from '../src/index.js'
import { hasPoetry, hasVenv, OFFLINE, type Sandbox, sandbox } from './helpers.js'

const skip = !hasPoetry || !hasVenv
const reason = skip ? ' (skipped: poetry or python3-venv absent)' : ''
const TASKS = ['poetry-path', 'requirements-path', 'plain'] as const
const silent = { info: () => {}, warn: () => {}, error: () => {} }

let box: Sandbox
let tasse: Tasse
beforeEach(async () => {
  box = await sandbox()
})
afterEach(async () => {
  await tasse?.stop(1000)
  await box.remove()
})

async function runOnce(name: string): Promise<Run> {
  const queued = await tasse.trigger(name)
  return tasse.waitForRun(queued.id)
}

it.skipIf(skip)(
  `three tasks, three runs each: all succeed, each environment is built once${reason}`,
  async () => {
    tasse = createTasse({
      dataDir: box.dataDir,
      plugins: [poetryRunnerPlugin({ installEnv: OFFLINE })],
      logger: silent,
      env: process.env,
    })
    await tasse.start()
    // The three tasks run side by side; each one's three runs one after the other.
    const runs = await Promise.all(
      TASKS.map(async (name) => {
        const done: Run[] = []
        for (let i = 0; i < 3; i++) done.push(await runOnce(name))
        return done
      }),
    )
    for (const run of runs.flat()) {
      expect({
        task: run.task,
        status: run.status,
        exitCode: run.exitCode,
        error: run.error,
      }).toEqual({ task: run.task, status: 'succeeded', exitCode: 0, error: null })
    }
    const expected = {
      'poetry-path': 'hello from greeting 0.1.0, poetry',
      'requirements-path': 'hello from greeting 0.1.0, pip',
      plain: 'hello from plain python',
    }
    for (const name of TASKS) {
      const log = await readFile(join(box.dataDir, 'logs', name, 'log.txt'), 'utf8')
      expect(count(log, expected[name])).toBe(3)
      if (name === 'plain') {
        expect(log).not.toContain('python environment')
        continue
      }
      expect(count(log, '[runner-poetry] building python environment')).toBe(1)
      expect(count(log, 'reused')).toBe(2)
      expect(count(log, 'rebuilding')).toBe(0)
    }

    await appendFile(join(box.dataDir, 'tasks', 'requirements-path', 'requirements.txt'), '# x\n')
    const after = [await runOnce('requirements-path'), await runOnce('requirements-path')]
    expect(after.map((r) => r.status)).toEqual(['succeeded', 'succeeded'])
    const log = await readFile(join(box.dataDir, 'logs', 'requirements-path', 'log.txt'), 'utf8')
    expect(count(log, 'rebuilding python environment venv/requirements-path')).toBe(1)
    expect(log).toMatch(/rebuilding python environment .*: requirements\.txt changed/)
    expect(count(log, 'reused')).toBe(3)
    // The install's own output is in the log of the run that caused it.
    const rebuildRun = await tasse.readRunLog(after[0]?.id ?? '')
    expect(rebuildRun).toContain('Successfully installed greeting-0.1.0')
    expect(await tasse.readRunLog(after[1]?.id ?? '')).not.toContain('Successfully installed')
  },
  300_000,
)

function count(text: string, needle: string): number {
  return text.split(needle).length - 1
}
