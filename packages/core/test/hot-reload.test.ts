/** Issue #6, hot reload: tasks appear, change and disappear while Tasse runs. */
import { cpSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Tasse } from '@tasse/core'
import { afterEach, describe, expect, it } from 'vitest'
import { FIXTURES, removeData, startTasse, tempData, waitFor } from './helpers.js'

let tasse: Tasse | undefined
let data = ''

afterEach(async () => {
  await tasse?.stop(1000)
  tasse = undefined
  removeData(data)
})

const scheduled = async (t: Tasse, name: string) =>
  (await t.listRuns({ task: name })).runs.filter((r) => r.reason === 'schedule').length

describe('hot reload', () => {
  it('reschedules a changed task.yaml, and keeps the last good schedule when an edit breaks it', async () => {
    data = tempData('ok')
    const yaml = join(data, 'tasks', 'ok', 'task.yaml')
    writeFileSync(yaml, 'scheduler:\n  trigger: every\n  ms: 60000\n')
    const t = await startTasse(data)
    tasse = t
    expect(t.taskInfo('ok')?.task?.trigger?.describe()).toBe('every 60000 ms')

    writeFileSync(yaml, 'scheduler:\n  trigger: every\n  ms: 200\n')
    await waitFor(async () => (await scheduled(t, 'ok')) >= 2, 3000, 'runs at the new schedule')

    // Replaced by a rename, as editors and `sed -i` save: the next edits must still be seen.
    writeFileSync(`${yaml}.tmp`, 'scheduler:\n  trigger: every\n  ms: 300\n')
    renameSync(`${yaml}.tmp`, yaml)
    await waitFor(
      () => t.taskInfo('ok')?.task?.trigger?.describe() === 'every 300 ms',
      2000,
      'the renamed edit',
    )
    writeFileSync(yaml, 'scheduler:\n  trigger: every\n  ms: [200\n')
    await waitFor(() => t.taskInfo('ok')?.error, 2000, 'the error to show')
    expect(t.taskInfo('ok')).toMatchObject({
      state: 'ok',
      error: expect.stringContaining('ok/task.yaml is not valid YAML'),
    })
    expect(t.log.lines.some((l) => l.includes('its last good definition keeps running'))).toBe(true)
    const before = await scheduled(t, 'ok')
    await waitFor(
      async () => (await scheduled(t, 'ok')) >= before + 2,
      3000,
      'runs at the last good schedule',
    )
  })

  it('picks up a new folder and unschedules a removed one, letting its running run finish', async () => {
    data = tempData('slow')
    const t = await startTasse(data, { env: { ...process.env, SLOW_SECONDS: '1' } })
    tasse = t
    cpSync(join(FIXTURES, 'run', 'ok'), join(data, 'tasks', 'fresh'), { recursive: true })
    await waitFor(() => t.taskInfo('fresh'), 2000, 'the new task')
    expect((await t.waitForRun((await t.trigger('fresh')).id)).status).toBe('succeeded')

    const run = await t.trigger('slow')
    // Once bash has read the script's first line, not merely once it is spawned: removing the
    // folder before bash opened task.sh fails the run (exit 127) on a loaded machine.
    await waitFor(
      async () => (await t.readRunLog(run.id)).includes('started'),
      20_000,
      'the run to start',
    )
    rmSync(join(data, 'tasks', 'slow'), { recursive: true })
    await waitFor(() => !t.taskInfo('slow'), 2000, 'the task to go')
    expect((await t.waitForRun(run.id)).status).toBe('succeeded')
  })
})
