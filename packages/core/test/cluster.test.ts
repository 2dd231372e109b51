/**
 * Issue #14 stage 2: several Tasse instances sharing one store behave as one Tasse. Each has
 * its own data folder (its own log files), all share one MemoryRunStore, as hosts share a
 * store on a database server: a fire time runs once, admission counts every host's runs, a run
 * is cancelled, read and followed from any host, a pause reaches every host, and the runs of a
 * host that lost its lease end there and are retried by a survivor. Real processes throughout.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MemoryRunStore, RunRefusedError, type Tasse } from '@tasse/core'
import { makeRun } from '@tasse/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { alive, removeData, startTasse, tempData, waitFor } from './helpers.js'

const dirs: string[] = []
const started: Tasse[] = []

afterEach(async () => {
  for (const tasse of started.splice(0)) await tasse.stop(0)
  for (const dir of dirs.splice(0)) removeData(dir)
})

/**
 * A host on its own data folder holding the `slow` task with `yaml` as its task.yaml (and
 * `script` as its task.sh, if given).
 */
async function host(store: MemoryRunStore, yaml = '', leaseMs?: number, script?: string) {
  const dir = tempData('slow')
  dirs.push(dir)
  writeFileSync(join(dir, 'tasks', 'slow', 'task.yaml'), yaml)
  if (script) writeFileSync(join(dir, 'tasks', 'slow', 'task.sh'), script)
  const tasse = await startTasse(dir, {
    store,
    env: { SLOW_SECONDS: '2' },
    ...(leaseMs ? { leaseMs } : {}),
  })
  started.push(tasse)
  return tasse
}

describe('hosts sharing one store', () => {
  it('run each fire time once, on whichever host claims it', async () => {
    const store = new MemoryRunStore()
    const yaml = 'scheduler:\n  trigger: every\n  ms: 300\noverlap: allow\nmax_instances: 100\n'
    // Started at once on an empty store: each would start the schedule from its own "now";
    // the hosts elect one whose start they all follow.
    const [a, b, c] = await Promise.all([host(store, yaml), host(store, yaml), host(store, yaml)])
    const runs = async () =>
      (await store.listRuns({ task: 'slow', limit: 1000 })).runs.filter((r) => r.scheduledAt)
    await waitFor(async () => (await runs()).length >= 8, 20_000, '8 fires')
    for (const tasse of [a, b, c]) tasse.pause('slow')
    const fired = await runs()
    const times = fired.map((run) => run.scheduledAt)
    expect(new Set(times).size).toBe(times.length)
    // One grid of fire times: each 300 ms after the one before, none run twice.
    const sorted = [...new Set(times)].sort() as number[]
    for (let i = 1; i < sorted.length; i++)
      expect((sorted[i] as number) - (sorted[i - 1] as number)).toBe(300_000)
  })

  it('leave no fire time claimed by a host stopped short of recording its run', async () => {
    const store = new MemoryRunStore()
    const yaml = 'scheduler:\n  trigger: every\n  ms: 300\noverlap: allow\nmax_instances: 100\n'
    const b = await host(store, yaml)
    // `a` shares the store, but its admissions never reach it: a host SIGKILLed, or frozen, at
    // the moment it records a run. Whatever it did before (a claim) must not take the fire time.
    const hung: (() => void)[] = []
    let frozen = true
    const freezing = new Proxy(store, {
      get(target, key) {
        const value = Reflect.get(target, key)
        if (typeof value !== 'function') return value
        if (key !== 'admitRun') return value.bind(target)
        return (...args: unknown[]) =>
          frozen
            ? new Promise((_, reject) => hung.push(() => reject(new Error('thawed'))))
            : value.apply(target, args)
      },
    })
    await host(freezing, yaml)
    try {
      await waitFor(() => hung.length >= 6, 20_000, 'the frozen host to try 6 fire times')
    } finally {
      frozen = false
      for (const thaw of hung) thaw()
    }
    b.pause('slow')
    const { runs } = await store.listRuns({ task: 'slow', limit: 1000 })
    const times = runs.map((run) => run.scheduledAt as number).sort((x, y) => x - y)
    expect(new Set(times).size).toBe(times.length)
    // Every fire time since `b` started is recorded: `b` won those `a` tried.
    expect(times.length).toBeGreaterThanOrEqual(6)
    for (let i = 1; i < times.length; i++)
      expect((times[i] as number) - (times[i - 1] as number)).toBe(300_000)
  }, 30_000)

  it('count every host’s runs for overlap, and start a queued run when one ends elsewhere', async () => {
    const store = new MemoryRunStore()
    const a = await host(store, 'overlap: queue\nqueue_size: 1\n')
    const b = await host(store, 'overlap: queue\nqueue_size: 1\n')
    const first = await a.trigger('slow')
    const second = await b.trigger('slow')
    expect(second.status).toBe('queued')
    const third = b.trigger('slow')
    await expect(third).rejects.toThrow(RunRefusedError)
    await expect(third).rejects.toThrow(`run ${first.id} is running and 1 run(s) already wait`)
    const ended = await b.waitForRun(second.id)
    expect(ended.status).toBe('succeeded')
    const firstEnded = (await store.getRun(first.id)) ?? first
    expect(ended.startedAt).toBeGreaterThanOrEqual(firstEnded.endedAt as number)
  }, 30_000)

  it('refuse a second run of a skip task from another host', async () => {
    const store = new MemoryRunStore()
    const a = await host(store)
    const b = await host(store)
    const first = await a.trigger('slow')
    await expect(b.trigger('slow')).rejects.toThrow(`run ${first.id} is still running`)
    await a.waitForRun(first.id)
    const next = await b.trigger('slow')
    expect(next.hostId).toBe(b.membership.hostId)
    await b.waitForRun(next.id)
  }, 30_000)

  it('start a run that replaces a run of another host once that run has ended there', async () => {
    const store = new MemoryRunStore()
    // Slow to die: a second after its SIGTERM.
    const script = `trap 'sleep 1; echo ended; exit 0' TERM\necho started\nsleep "\${SLOW_SECONDS:-3}" & wait\n`
    const a = await host(store, 'overlap: replace\n', undefined, script)
    const b = await host(store, 'overlap: replace\n', undefined, script)
    const old = await a.trigger('slow')
    await waitFor(async () => (await a.readRunLog(old.id)).includes('started'), 20_000, 'output')
    const replacing = await b.trigger('slow')
    const [ended, next] = [await a.waitForRun(old.id), await b.waitForRun(replacing.id)]
    expect(ended).toMatchObject({ status: 'cancelled', error: `replaced by run ${replacing.id}` })
    expect(await a.readRunLog(old.id)).toContain('ended')
    expect(next.status).toBe('succeeded')
    // Never two at once (max_instances 1), across the hosts.
    expect(next.startedAt as number).toBeGreaterThanOrEqual(ended.endedAt as number)
  }, 30_000)

  it('cancel, read and follow a run from another host', async () => {
    const store = new MemoryRunStore()
    const a = await host(store)
    const b = await host(store)
    const run = await a.trigger('slow')
    const followed = (async () => {
      let text = ''
      for await (const chunk of await b.followRunLog(run.id)) text += chunk
      return text
    })()
    await waitFor(async () => (await b.readRunLog(run.id)).includes('started'), 20_000, 'output')
    expect(await b.cancel(run.id)).toBe(true)
    const ended = await a.waitForRun(run.id)
    expect(ended).toMatchObject({ status: 'cancelled' })
    expect(ended.error).toMatch(/^cancelled on request \(from host /)
    expect(await followed).toBe('started\n')
    expect(await b.cancel(run.id)).toBe(false)
  }, 30_000)

  it('pause and resume a task on every host', async () => {
    const store = new MemoryRunStore()
    const yaml = 'scheduler:\n  trigger: every\n  ms: 60000\n'
    const a = await host(store, yaml)
    const b = await host(store, yaml)
    a.pause('slow')
    await waitFor(() => b.taskInfo('slow')?.schedule?.paused, 20_000, 'b to pause')
    b.resume('slow')
    await waitFor(() => a.taskInfo('slow')?.schedule?.paused === false, 20_000, 'a to resume')
    expect((await store.getTaskState('slow'))?.paused).toBe(false)
  }, 30_000)

  it('end the runs of a host that lost its lease, and retry them on a survivor', async () => {
    const store = new MemoryRunStore()
    const yaml = 'retries:\n  max: 1\n  delay: 1\n'
    const a = await host(store, yaml, 3000)
    const b = await host(store, yaml, 3000)
    const run = await a.trigger('slow')
    const pid = await waitFor(async () => (await store.getRun(run.id))?.pid, 20_000, 'a pid')
    // As if `a` had stopped heartbeating for longer than the lease: `b` takes its runs over.
    const ahead = Date.now() + 60_000
    await store.heartbeat(b.membership.hostId as string, { now: ahead })
    await store.expireHosts({ leaseMs: 3000, now: ahead })
    await waitFor(() => !alive(pid), 20_000, 'the run’s process to end on a')
    expect(a.log.lines.join('\n')).toContain('another host took its runs over')
    expect(await store.getRun(run.id)).toMatchObject({ status: 'interrupted' })
    await waitFor(() => a.membership.hostId !== null, 20_000, 'a to register again')
    // Interrupted, not failed: the host that lost it does not retry it.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect((await store.listRuns({ task: 'slow' })).runs.filter((r) => r.retryOf)).toEqual([])
  }, 30_000)

  it('take over the runs of a host that stopped heartbeating, and retry them', async () => {
    const store = new MemoryRunStore()
    const b = await host(store, 'retries:\n  max: 1\n  delay: 1\n', 3000)
    const c = await host(store, 'retries:\n  max: 1\n  delay: 1\n', 3000)
    // Registered once b and c run: taken over by their timers, not by a recovery at start.
    const now = Date.now()
    const dead = { id: 'dead', name: 'elsewhere', pid: 1, url: null }
    await store.registerHost(dead, { now: now - 60_000 })
    const run = makeRun({ task: 'slow', status: 'running', hostId: 'dead', queuedAt: now })
    await store.insertRun(run)
    await waitFor(
      async () => (await store.getRun(run.id))?.status === 'interrupted',
      20_000,
      'interrupted',
    )
    expect((await store.getRun(run.id))?.error).toBe(
      'its host elsewhere (pid 1) stopped heartbeating for longer than the lease (3s) while it ran',
    )
    const retry = await waitFor(
      async () => (await store.listRuns({ task: 'slow' })).runs.find((r) => r.retryOf === run.id),
      20_000,
      'a retry',
    )
    expect(retry).toMatchObject({ attempt: 2, reason: 'retry' })
    expect([b.membership.hostId, c.membership.hostId]).toContain(retry.hostId)
    const attempts = (await store.listRuns({ task: 'slow' })).runs.filter((r) => r.retryOf)
    expect(attempts).toHaveLength(1)
    await (retry.hostId === b.membership.hostId ? b : c).waitForRun(retry.id)
  }, 30_000)
})
