import { createTasse, MemoryRunStore, type Run } from '@tasse/core'
import { newRunId } from '@tasse/core/plugin-kit'
import { makeRun } from '@tasse/core/testing'
import { describe, expect, it } from 'vitest'
import { RecentRuns } from './recent-runs.js'

function run(task: string, status: Run['status'], queuedAt = Date.now()): Run {
  const endedAt = status === 'running' ? null : queuedAt + 1
  return makeRun({ id: newRunId(queuedAt), task, status, queuedAt, startedAt: queuedAt, endedAt })
}

describe('RecentRuns', () => {
  it("reads a task's last runs once, then follows the instance's run events", async () => {
    const store = new MemoryRunStore()
    const tasse = createTasse({ dataDir: '/nonexistent', store })
    for (let i = 0; i < 4; i++)
      await store.insertRun(run('a', 'succeeded', Date.now() - 10_000 + i))
    const recent = new RecentRuns(tasse, { perTask: 3 })
    const first = (await recent.of(['a'])).get('a') ?? []
    expect(first.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])

    const next = run('a', 'running')
    tasse.events.emit('run:started', next)
    expect((await recent.of(['a'])).get('a')?.[0]).toMatchObject({ id: next.id, status: 'running' })
    tasse.events.emit('run:ended', { ...next, status: 'failed' })
    const after = (await recent.of(['a'])).get('a') ?? []
    expect(after.map((r) => r.status)).toEqual(['failed', 'succeeded', 'succeeded'])
  })

  it('catches up with runs another process wrote into the same store, and their ends', async () => {
    const store = new MemoryRunStore()
    const tasse = createTasse({ dataDir: '/nonexistent', store })
    const recent = new RecentRuns(tasse, { perTask: 20 })
    expect((await recent.of(['a'])).get('a')).toEqual([])
    const elsewhere = run('a', 'running')
    await store.insertRun(elsewhere)
    expect((await recent.of(['a'])).get('a')?.map((r) => r.status)).toEqual(['running'])
    await store.updateRun(elsewhere.id, { status: 'succeeded', endedAt: Date.now() })
    expect((await recent.of(['a'])).get('a')?.map((r) => r.status)).toEqual(['succeeded'])
  })
})
