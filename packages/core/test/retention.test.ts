/**
 * Issue #12: retention removed history rows only; each run's own log file stayed for ever (the
 * bundled helloworld alone makes 8,640 a day). A pruned run's log file goes with its row.
 */
import { existsSync } from 'node:fs'
import { MemoryRunStore, type Tasse } from '@tasse/core'
import { afterEach, describe, expect, it } from 'vitest'
import { removeData, startTasse, tempData, waitFor } from './helpers.js'

let tasse: Tasse | undefined
let data = ''
afterEach(async () => {
  await tasse?.stop(1000)
  tasse = undefined
  removeData(data)
})

/** History that outlives the instance, as a file would: a restart finds it. */
class KeptStore extends MemoryRunStore {
  override async close(): Promise<void> {}
}

describe('retention', () => {
  it('deletes the log files of the runs it prunes, by count and by age, and keeps the others', async () => {
    data = tempData('ok')
    const store = new KeptStore()
    const first = await startTasse(data, { store })
    tasse = first
    const runs = []
    for (let i = 0; i < 4; i++) runs.push(await first.waitForRun((await first.trigger('ok')).id))
    const paths = runs.map((run) => first.runLogPath(run))
    for (const path of paths) expect(existsSync(path), path).toBe(true)
    await first.stop(1000)

    // A restart prunes at once: two runs kept per task.
    const second = await startTasse(data, { store, retention: { keepPerTask: 2 } })
    tasse = second
    const gone = (upTo: number) => paths.slice(0, upTo).every((path) => !existsSync(path))
    await waitFor(() => gone(2), 10_000, 'the pruned logs to go')
    expect(paths.map((path) => existsSync(path))).toEqual([false, false, true, true])
    expect((await second.listRuns()).runs.map((run) => run.id)).toEqual([runs[3]?.id, runs[2]?.id])
    await second.stop(1000)

    // By age: every finished run is older than 0 ms.
    tasse = await startTasse(data, { store, retention: { maxAgeMs: 0 } })
    await waitFor(() => gone(4), 10_000, 'the old logs to go')
    expect(paths.map((path) => existsSync(path))).toEqual([false, false, false, false])
  })
})
