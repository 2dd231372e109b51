/**
 * Issue #14: a Tasse instance is a host of its store. It registers when it starts, its runs
 * carry its id, it heartbeats, and its recovery takes over only the runs of dead hosts (and of
 * no host), never those of a live one. Several instances share one MemoryRunStore here, as
 * hosts share a store on a database server.
 */
import { MemoryRunStore, type Tasse } from '@tasse/core'
import { makeRun } from '@tasse/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { removeData, startTasse, tempData, waitFor } from './helpers.js'

const dirs: string[] = []
const started: Tasse[] = []

afterEach(async () => {
  for (const tasse of started.splice(0)) await tasse.stop(0)
  for (const dir of dirs.splice(0)) removeData(dir)
})

async function host(store: MemoryRunStore, leaseMs?: number) {
  const dir = tempData('ok')
  dirs.push(dir)
  const tasse = await startTasse(dir, { store, ...(leaseMs ? { leaseMs } : {}) })
  started.push(tasse)
  return tasse
}

describe('a Tasse instance as a host of its store', () => {
  it('registers when it starts, records its id on its runs, and leaves when it stops', async () => {
    const store = new MemoryRunStore()
    const tasse = await host(store)
    const id = tasse.membership.hostId as string
    expect((await store.listHosts()).map((h) => [h.id, h.pid])).toStrictEqual([[id, process.pid]])
    const run = await tasse.trigger('ok')
    expect(run.hostId).toBe(id)
    expect((await tasse.waitForRun(run.id)).hostId).toBe(id)
    await tasse.stop(0)
    expect(tasse.membership.hostId).toBeNull()
    // A store object outlives the instance here only because the test holds it.
    await expect(store.listHosts()).rejects.toThrow(/closed/)
  })

  it("leaves a live host's runs alone and takes over those of dead hosts and of no host", async () => {
    const store = new MemoryRunStore()
    const first = await host(store)
    const now = Date.now()
    await store.registerHost(
      { id: 'dead', name: 'elsewhere', pid: 1, url: null },
      { now: now - 3_600_000 },
    )
    // Queued now: the second host prunes history older than 30 days as it starts.
    const runs = {
      live: makeRun({
        task: 'ok',
        status: 'running',
        hostId: first.membership.hostId,
        queuedAt: now,
      }),
      dead: makeRun({ task: 'ok', status: 'running', hostId: 'dead', pid: 2 ** 22, queuedAt: now }),
      none: makeRun({ task: 'ok', status: 'queued', hostId: null, queuedAt: now }),
    }
    for (const run of Object.values(runs)) await store.insertRun(run)

    const second = await host(store)
    expect(await store.getRun(runs.live.id)).toStrictEqual(runs.live)
    expect(await store.getRun(runs.dead.id)).toMatchObject({
      status: 'interrupted',
      error: 'the host stopped while it ran',
    })
    expect(await store.getRun(runs.none.id)).toMatchObject({
      status: 'interrupted',
      error: 'the host stopped before it ran',
    })
    expect((await store.listHosts()).map((h) => h.id).sort()).toStrictEqual(
      [first.membership.hostId, second.membership.hostId].sort(),
    )
    expect(second.log.lines.join('\n')).toContain(
      `run ${runs.dead.id} of task "ok" recorded as interrupted`,
    )
  })

  it('heartbeats, and registers again after another host expired it', async () => {
    const store = new MemoryRunStore()
    const tasse = await host(store, 1500) // heartbeats every second
    const id = tasse.membership.hostId as string
    const [before] = await store.listHosts()
    await waitFor(
      async () => ((await store.listHosts())[0]?.heartbeatAt ?? 0) > (before?.heartbeatAt ?? 0),
      20_000,
      'a heartbeat',
    )
    await store.expireHosts({ leaseMs: 0, now: Date.now() + 60_000 })
    expect(await store.listHosts()).toStrictEqual([])
    await waitFor(
      async () => (await store.listHosts()).some((h) => h.id === id),
      20_000,
      'registering again',
    )
    expect(tasse.log.lines.join('\n')).toContain('another host took its runs over')
  })
})
