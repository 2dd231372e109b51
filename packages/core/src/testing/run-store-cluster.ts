/**
 * The part of the run store contract that lets several hosts share one schedule: fire-time
 * claims, atomic admission, hosts with heartbeats and leases, cancel requests, run output and
 * the change feed. `testRunStore` registers it after the history tests; it is in a file of its
 * own only to keep each file one concern.
 */
import { describe, expect, it } from 'vitest'
import { HostConflictError } from '../errors.js'
import { newRunId } from '../run-id.js'
import type {
  AdmissionWrites,
  HostRecord,
  HostRegistration,
  OutputChunk,
  Run,
  RunStore,
  StoreChange,
} from '../types.js'
import { makeRun } from './run-store.js'

/** The output cap (bytes per run) the suite's stores are created with. */
export const CONTRACT_MAX_OUTPUT_BYTES = 1000

export interface RunStoreClusterOptions {
  /**
   * `many`: hosts on several store objects share the store (a database server). `one`: the
   * store serves one host process at a time (SQLite); a host on another store object is refused.
   */
  hosts: 'many' | 'one'
  /** Another store object on the same data, as another process would open it, if it can be. */
  reopen?: () => Promise<RunStore> | RunStore
}

const T0 = Date.UTC(2026, 0, 1)
const SECOND = 1000
/** 2026-01-01T00:00:00Z in µs: the fire times the suite claims. */
const FIRE = T0 * 1000

export function describeRunStoreCluster(
  store: () => RunStore,
  options: RunStoreClusterOptions,
): void {
  const host = (id: string, pid = process.pid): HostRegistration => ({
    id,
    name: 'machine-a',
    pid,
    url: `http://127.0.0.1:${5000 + id.length}`,
  })
  const reopened: RunStore[] = []
  const reopen = async () => {
    const other = await (options.reopen as NonNullable<typeof options.reopen>)()
    reopened.push(other)
    return other
  }
  const closeReopened = async () => {
    for (const other of reopened.splice(0)) await other.close()
  }
  const noReopen = !options.reopen
  const noReopenReason = '(skipped: this store cannot open a second object on the same data)'

  describe('claimFire', () => {
    it('lets the first caller claim a fire time and refuses every later one', async () => {
      expect(await store().claimFire('report', FIRE, { hostId: 'a' })).toBe(true)
      expect(await store().claimFire('report', FIRE, { hostId: 'b' })).toBe(false)
      expect(await store().claimFire('report', FIRE, { hostId: 'a' })).toBe(false)
      expect(await store().claimFire('report', FIRE, { hostId: 'c', attempt: 1 })).toBe(false)
    })

    it('gives exactly one of many simultaneous claims the fire time', async () => {
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            store().claimFire('busy', FIRE + round, { hostId: `host-${i}` }),
          ),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
      }
    })

    it.skipIf(noReopen)(
      `gives exactly one of simultaneous claims through several store objects the fire time ${noReopen ? noReopenReason : ''}`.trim(),
      async () => {
        try {
          const stores = [store(), await reopen(), await reopen()]
          for (let round = 0; round < 5; round++) {
            const results = await Promise.all(
              Array.from({ length: 30 }, (_, i) =>
                (stores[i % stores.length] as RunStore).claimFire('shared', FIRE + round, {
                  hostId: `host-${i}`,
                }),
              ),
            )
            expect(results.filter(Boolean)).toHaveLength(1)
          }
        } finally {
          await closeReopened()
        }
      },
    )

    it('claims each task, fire time and attempt on its own', async () => {
      expect(await store().claimFire('a', FIRE, { hostId: 'h' })).toBe(true)
      expect(await store().claimFire('b', FIRE, { hostId: 'h' })).toBe(true)
      expect(await store().claimFire('a', FIRE + 1, { hostId: 'h' })).toBe(true)
      expect(await store().claimFire('a', FIRE, { hostId: 'h', attempt: 2 })).toBe(true)
      expect(await store().claimFire('a', FIRE, { hostId: 'other', attempt: 2 })).toBe(false)
      expect(await store().claimFire('A', FIRE, { hostId: 'h' })).toBe(true)
    })

    it('keeps microsecond fire times apart, up to the largest safe integer', async () => {
      for (const time of [2 ** 53 - 2, 2 ** 53 - 1, -1, 0, 1]) {
        expect(await store().claimFire('t', time, { hostId: 'h' }), `${time}`).toBe(true)
        expect(await store().claimFire('t', time, { hostId: 'h' }), `${time}`).toBe(false)
      }
    })

    it('rejects a claim with a bad argument, naming it', async () => {
      const bad: [string, number, { hostId: string; attempt?: number }, RegExp][] = [
        ['', FIRE, { hostId: 'h' }, /task/],
        ['t', 1.5, { hostId: 'h' }, /scheduledAt/],
        ['t', FIRE, { hostId: '' }, /hostId/],
        ['t', FIRE, { hostId: 'h', attempt: 0 }, /attempt/],
      ]
      for (const [task, time, by, message] of bad)
        await expect(store().claimFire(task, time, by)).rejects.toThrow(message)
    })

    it('forgets claims of fire times older than the retention, and only those', async () => {
      const now = T0 + 10 * 24 * 3600 * SECOND
      const old = (now - 3 * 24 * 3600 * SECOND) * 1000
      const recent = (now - 3600 * SECOND) * 1000
      await store().claimFire('t', old, { hostId: 'h' })
      await store().claimFire('t', recent, { hostId: 'h' })
      await store().pruneRuns({ olderThanMs: 2 * 24 * 3600 * SECOND, now })
      expect(await store().claimFire('t', recent, { hostId: 'h' })).toBe(false)
      expect(await store().claimFire('t', old, { hostId: 'h' })).toBe(true)
    })
  })

  describe('admitRun', () => {
    it("gives the decision the task's active runs of every host, oldest first", async () => {
      const runs = [
        makeRun({ task: 'job', status: 'running', hostId: 'a' }),
        makeRun({ task: 'job', status: 'succeeded', hostId: 'a' }),
        makeRun({ task: 'other', status: 'running', hostId: 'a' }),
        makeRun({ task: 'job', status: 'queued', hostId: 'b' }),
        makeRun({ task: 'job', status: 'skipped', hostId: 'b' }),
        makeRun({ task: 'job', status: 'running', hostId: null }),
      ]
      for (const run of [...runs].reverse()) await store().insertRun(run)
      let seen: readonly Run[] = []
      await store().admitRun('job', (active) => {
        seen = active
        return {}
      })
      expect(seen).toStrictEqual([runs[0], runs[3], runs[5]])
      expect(await store().listRuns({ limit: 100 })).toMatchObject({ runs: { length: 6 } })
    })

    it('records the run the decision returns, and resolves to the decision', async () => {
      const run = makeRun({ task: 'job', status: 'running', hostId: 'a' })
      const decision = { insert: run, verdict: 'admitted' } satisfies AdmissionWrites & {
        verdict: string
      }
      expect(await store().admitRun('job', () => decision)).toBe(decision)
      expect(await store().getRun(run.id)).toStrictEqual(run)
    })

    it('records a refusal as the decision words it', async () => {
      const holder = makeRun({ task: 'job', status: 'running' })
      await store().insertRun(holder)
      const refused = await store().admitRun('job', (active) => ({
        insert: makeRun({
          task: 'job',
          status: 'skipped',
          error: `run ${active[0]?.id} is still running`,
        }),
        code: 'overlap' as const,
      }))
      expect(refused.code).toBe('overlap')
      expect(await store().getRun(refused.insert.id)).toMatchObject({
        status: 'skipped',
        error: `run ${holder.id} is still running`,
      })
    })

    it('applies updates and cancel requests to active runs with the insert', async () => {
      const [running, waiting] = [
        makeRun({ task: 'job', status: 'running', hostId: 'a' }),
        makeRun({ task: 'job', status: 'queued', hostId: 'b' }),
      ]
      await store().insertRun(running)
      await store().insertRun(waiting)
      const replacement = makeRun({ task: 'job', status: 'queued', hostId: 'c' })
      await store().admitRun('job', () => ({
        insert: replacement,
        update: [{ id: waiting.id, patch: { status: 'running', startedAt: T0 + 5 } }],
        cancel: [{ runId: running.id, reason: `replaced by run ${replacement.id}` }],
      }))
      expect(await store().getRun(waiting.id)).toMatchObject({
        status: 'running',
        startedAt: T0 + 5,
      })
      expect(await store().getRun(replacement.id)).toStrictEqual(replacement)
      expect(await store().cancelRequests('a')).toMatchObject([
        {
          runId: running.id,
          task: 'job',
          hostId: 'a',
          reason: `replaced by run ${replacement.id}`,
        },
      ])
    })

    it('writes nothing when the decision throws, and rejects with its error', async () => {
      const before = makeRun({ task: 'job', status: 'running' })
      await store().insertRun(before)
      await expect(
        store().admitRun('job', () => {
          throw new Error('the decision failed')
        }),
      ).rejects.toThrow('the decision failed')
      expect((await store().listRuns()).runs).toStrictEqual([before])
    })

    it('refuses writes to runs that are not active runs of the task, writing nothing', async () => {
      const [mine, finished, elsewhere] = [
        makeRun({ task: 'job', status: 'running' }),
        makeRun({ task: 'job', status: 'failed' }),
        makeRun({ task: 'other', status: 'running' }),
      ]
      for (const run of [mine, finished, elsewhere]) await store().insertRun(run)
      const insert = makeRun({ task: 'job' })
      const bad: [AdmissionWrites, RegExp][] = [
        [{ insert, update: [{ id: finished.id, patch: { error: 'x' } }] }, /not an active run/],
        [{ insert, cancel: [{ runId: elsewhere.id, reason: 'x' }] }, /not an active run/],
        [{ insert: makeRun({ task: 'other' }) }, /task "other"/],
        [{ insert: { ...mine } }, new RegExp(mine.id)],
        [{ insert, update: [{ id: newRunId(), patch: {} }] }, /not an active run/],
      ]
      for (const [writes, message] of bad)
        await expect(store().admitRun('job', () => writes)).rejects.toThrow(message)
      expect(await store().getRun(insert.id)).toBeUndefined()
      expect(await store().cancelRequests(null)).toStrictEqual([])
      expect(await store().getRun(finished.id)).toStrictEqual(finished)
    })

    it('admits one of many simultaneous requests when the decision allows one at a time', async () => {
      const admitOne = (active: readonly Run[]) => ({
        insert: makeRun({
          task: 'single',
          status: active.length === 0 ? 'running' : 'skipped',
        }),
      })
      const decisions = await Promise.all(
        Array.from({ length: 30 }, () => store().admitRun('single', admitOne)),
      )
      const statuses = decisions.map((decision) => decision.insert.status)
      expect(statuses.filter((status) => status === 'running')).toHaveLength(1)
      expect((await store().listRuns({ task: 'single', status: ['running'] })).runs).toHaveLength(1)
      expect((await store().listRuns({ task: 'single', limit: 100 })).runs).toHaveLength(30)
    })

    it('claims a fire time with the run it records: the first caller writes, the others nothing', async () => {
      const claim = { scheduledAt: FIRE, hostId: 'a' }
      const first = makeRun({ task: 'job', scheduledAt: FIRE, hostId: 'a' })
      expect(await store().admitRun('job', () => ({ insert: first }), { claim })).toStrictEqual({
        insert: first,
      })
      let called = false
      const second = makeRun({ task: 'job', scheduledAt: FIRE, hostId: 'b' })
      const lost = await store().admitRun(
        'job',
        () => {
          called = true
          return { insert: second }
        },
        { claim: { ...claim, hostId: 'b' } },
      )
      expect({ lost, called }).toStrictEqual({ lost: null, called: false })
      expect(await store().getRun(second.id)).toBeUndefined()
      expect(await store().getRun(first.id)).toStrictEqual(first)
      // One claim, whichever call makes it: claimFire sees it taken, and the other way round.
      expect(await store().claimFire('job', FIRE, { hostId: 'c' })).toBe(false)
      expect(await store().claimFire('job', FIRE + 1, { hostId: 'c' })).toBe(true)
      const third = makeRun({ task: 'job', scheduledAt: FIRE + 1, hostId: 'a' })
      const claimed = { claim: { scheduledAt: FIRE + 1, hostId: 'a' } }
      expect(await store().admitRun('job', () => ({ insert: third }), claimed)).toBeNull()
      // Another attempt of the same fire time is a claim of its own (a retry).
      const retry = makeRun({ task: 'job', scheduledAt: FIRE, attempt: 2, hostId: 'b' })
      const attempt2 = { claim: { scheduledAt: FIRE, hostId: 'b', attempt: 2 } }
      expect(await store().admitRun('job', () => ({ insert: retry }), attempt2)).not.toBeNull()
      expect(await store().getRun(retry.id)).toStrictEqual(retry)
    })

    it('takes no claim when the decision or its writes fail: the fire time stays free', async () => {
      const claim = { claim: { scheduledAt: FIRE, hostId: 'a' } }
      const failing = () => {
        throw new Error('the decision failed')
      }
      await expect(store().admitRun('job', failing, claim)).rejects.toThrow('the decision failed')
      const elsewhere = makeRun({ task: 'other' })
      await expect(store().admitRun('job', () => ({ insert: elsewhere }), claim)).rejects.toThrow(
        /task "other"/,
      )
      const run = makeRun({ task: 'job', scheduledAt: FIRE })
      expect(await store().admitRun('job', () => ({ insert: run }), claim)).not.toBeNull()
      expect(await store().listRuns()).toMatchObject({ runs: [{ id: run.id }] })
    })

    it('rejects a claim that is not one, naming admitRun and the field', async () => {
      const cases: [unknown, RegExp][] = [
        [{ scheduledAt: 1.5, hostId: 'h' }, /admitRun: scheduledAt must be whole microseconds/],
        [{ scheduledAt: FIRE, hostId: '' }, /admitRun: hostId must be a non-empty string/],
        [{ scheduledAt: FIRE, hostId: 'h', attempt: 0 }, /admitRun: attempt must be a whole/],
      ]
      for (const [claim, message] of cases)
        await expect(
          store().admitRun('job', () => ({}), {
            claim: claim as { scheduledAt: number; hostId: string },
          }),
        ).rejects.toThrow(message)
      expect(await store().claimFire('job', FIRE, { hostId: 'h' })).toBe(true)
    })

    it('records exactly one run for many simultaneous claims of one fire time', async () => {
      for (let round = 0; round < 3; round++) {
        const scheduledAt = FIRE + round
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            store().admitRun(
              'burst',
              () => ({ insert: makeRun({ task: 'burst', scheduledAt, hostId: `host-${i}` }) }),
              { claim: { scheduledAt, hostId: `host-${i}` } },
            ),
          ),
        )
        expect(results.filter((result) => result !== null)).toHaveLength(1)
      }
      expect((await store().listRuns({ task: 'burst', limit: 100 })).runs).toHaveLength(3)
    })

    it.skipIf(noReopen)(
      `records exactly one run for simultaneous claims through several store objects ${noReopen ? noReopenReason : ''}`.trim(),
      async () => {
        try {
          const stores = [store(), await reopen(), await reopen()]
          for (let round = 0; round < 3; round++) {
            const scheduledAt = FIRE + round
            const results = await Promise.all(
              Array.from({ length: 30 }, (_, i) =>
                (stores[i % 3] as RunStore).admitRun(
                  'burst',
                  () => ({ insert: makeRun({ task: 'burst', scheduledAt, hostId: `host-${i}` }) }),
                  { claim: { scheduledAt, hostId: `host-${i}` } },
                ),
              ),
            )
            expect(results.filter((result) => result !== null)).toHaveLength(1)
          }
          expect((await store().listRuns({ task: 'burst', limit: 100 })).runs).toHaveLength(3)
        } finally {
          await closeReopened()
        }
      },
    )

    it.skipIf(noReopen)(
      `admits one of simultaneous requests through several store objects ${noReopen ? noReopenReason : ''}`.trim(),
      async () => {
        try {
          const stores = [store(), await reopen(), await reopen()]
          const decisions = await Promise.all(
            Array.from({ length: 30 }, (_, i) =>
              (stores[i % 3] as RunStore).admitRun('single', (active) => ({
                insert: makeRun({
                  task: 'single',
                  status: active.length < 2 ? 'running' : 'skipped',
                }),
              })),
            ),
          )
          const running = decisions.filter((decision) => decision.insert.status === 'running')
          expect(running).toHaveLength(2)
        } finally {
          await closeReopened()
        }
      },
    )
  })

  describe('updateRun of a finished run', () => {
    it('keeps a final status, rejecting a patch that changes it and naming the run', async () => {
      const run = makeRun({ status: 'interrupted', error: 'its host stopped' })
      await store().insertRun(run)
      await expect(
        store().updateRun(run.id, { status: 'succeeded', exitCode: 0, error: null }),
      ).rejects.toThrow(new RegExp(`${run.id}.*interrupted`))
      expect(await store().getRun(run.id)).toStrictEqual(run)
      await store().updateRun(run.id, { status: 'interrupted', endedAt: T0 + 9 })
      expect(await store().getRun(run.id)).toStrictEqual({ ...run, endedAt: T0 + 9 })
    })
  })

  describe('hosts', () => {
    it('registers hosts and lists them by id, with start and heartbeat times', async () => {
      const b = await store().registerHost(host('host-b'), { now: T0 })
      const a = await store().registerHost({ ...host('host-a'), url: null }, { now: T0 + 1 })
      expect(b).toStrictEqual({ ...host('host-b'), startedAt: T0, heartbeatAt: T0 })
      expect(await store().listHosts()).toStrictEqual([
        { ...host('host-a'), url: null, startedAt: T0 + 1, heartbeatAt: T0 + 1 },
        b,
      ])
      expect(a.url).toBeNull()
    })

    it('records the time on its own clock when none is given', async () => {
      const before = Date.now()
      const record = await store().registerHost(host('h'))
      // A database server's clock may differ a little from this machine's.
      expect(Math.abs(record.startedAt - before)).toBeLessThan(60 * SECOND)
      expect(record.heartbeatAt).toBe(record.startedAt)
      expect(await store().heartbeat('h')).toBe(true)
      const [listed] = await store().listHosts()
      expect(listed?.heartbeatAt).toBeGreaterThanOrEqual(record.startedAt)
    })

    it('refuses a second registration of an id', async () => {
      await store().registerHost(host('h'), { now: T0 })
      await expect(store().registerHost(host('h'), { now: T0 })).rejects.toThrow(/"h"/)
      expect(await store().listHosts()).toHaveLength(1)
    })

    it('moves the heartbeat time, and answers false for a host that is not registered', async () => {
      await store().registerHost(host('h'), { now: T0 })
      expect(await store().heartbeat('h', { now: T0 + 7 * SECOND })).toBe(true)
      expect((await store().listHosts())[0]?.heartbeatAt).toBe(T0 + 7 * SECOND)
      expect(await store().heartbeat('nobody', { now: T0 })).toBe(false)
    })

    it('expires a host past its lease once, recording its unfinished runs interrupted', async () => {
      const a = await store().registerHost(host('host-a'), { now: T0 })
      await store().registerHost(host('host-b'), { now: T0 })
      const runs = {
        aRunning: makeRun({ task: 'x', status: 'running', pid: 42, hostId: 'host-a' }),
        aQueued: makeRun({ task: 'y', status: 'queued', hostId: 'host-a' }),
        aDone: makeRun({ task: 'x', status: 'succeeded', hostId: 'host-a' }),
        bRunning: makeRun({ task: 'x', status: 'running', hostId: 'host-b' }),
        noHost: makeRun({ task: 'x', status: 'running', hostId: null }),
      }
      for (const run of Object.values(runs)) await store().insertRun(run)
      await store().heartbeat('host-b', { now: T0 + 20 * SECOND })

      const now = T0 + 40 * SECOND
      const expired = await store().expireHosts({ leaseMs: 30 * SECOND, now })
      const error = expect.stringContaining('machine-a')
      expect(expired).toStrictEqual({
        hosts: [a],
        runs: [
          { ...runs.aRunning, status: 'interrupted', endedAt: now, error },
          { ...runs.aQueued, status: 'interrupted', endedAt: now, error },
        ],
      })
      for (const run of [runs.aDone, runs.bRunning, runs.noHost])
        expect(await store().getRun(run.id)).toStrictEqual(run)
      expect(await store().getRun(runs.aRunning.id)).toStrictEqual(expired.runs[0])
      expect((await store().listHosts()).map((h: HostRecord) => h.id)).toStrictEqual(['host-b'])
      expect(await store().heartbeat('host-a', { now })).toBe(false)
      expect(await store().expireHosts({ leaseMs: 30 * SECOND, now })).toStrictEqual({
        hosts: [],
        runs: [],
      })
    })

    it('keeps a host whose heartbeat is exactly the lease old', async () => {
      await store().registerHost(host('h'), { now: T0 })
      const kept = await store().expireHosts({ leaseMs: 30 * SECOND, now: T0 + 30 * SECOND })
      expect(kept.hosts).toStrictEqual([])
      expect(await store().listHosts()).toHaveLength(1)
    })

    it('takes over the unfinished runs of a host that is not registered, with the words given', async () => {
      await store().registerHost(host('alive'), { now: T0 })
      const orphan = makeRun({ status: 'running', hostId: 'gone' })
      const mine = makeRun({ status: 'running', hostId: 'alive' })
      await store().insertRun(orphan)
      await store().insertRun(mine)
      const expired = await store().expireHosts({
        leaseMs: 60 * SECOND,
        now: T0 + SECOND,
        error: (dead, run) => `taken over (${dead ? dead.id : 'unknown host'}, was ${run.status})`,
      })
      expect(expired).toStrictEqual({
        hosts: [],
        runs: [
          {
            ...orphan,
            status: 'interrupted',
            endedAt: T0 + SECOND,
            error: 'taken over (unknown host, was running)',
          },
        ],
      })
      expect(await store().getRun(mine.id)).toStrictEqual(mine)
    })

    it('forgets a host that unregisters; its runs left unfinished are then taken over', async () => {
      await store().registerHost(host('h'), { now: T0 })
      const left = makeRun({ status: 'queued', hostId: 'h' })
      await store().insertRun(left)
      await store().unregisterHost('h')
      await store().unregisterHost('never-registered')
      expect(await store().listHosts()).toStrictEqual([])
      expect(await store().heartbeat('h', { now: T0 })).toBe(false)
      const { runs } = await store().expireHosts({ leaseMs: 60 * SECOND, now: T0 })
      expect(runs.map((run) => run.id)).toStrictEqual([left.id])
    })

    it('rejects a registration or a lease that is not valid, naming what is wrong', async () => {
      await expect(store().registerHost({ ...host('h'), id: '' })).rejects.toThrow(/id/)
      await expect(store().registerHost({ ...host('h'), pid: -1 })).rejects.toThrow(/pid/)
      await expect(store().expireHosts({ leaseMs: -1 })).rejects.toThrow(/leaseMs/)
      await expect(store().expireHosts({ leaseMs: Number.NaN })).rejects.toThrow(/leaseMs/)
    })

    if (options.hosts === 'one') {
      it.skipIf(noReopen)(
        `refuses a host on another store object while one is registered, naming its pid ${noReopen ? noReopenReason : ''}`.trim(),
        async () => {
          try {
            await store().registerHost(host('first', 4321), { now: T0 })
            const other = await reopen()
            const error = await other.registerHost(host('second'), { now: T0 }).catch((e) => e)
            expect(error).toBeInstanceOf(HostConflictError)
            expect((error as Error).message).toContain('pid 4321')
            expect((error as HostConflictError).holder).toMatchObject({ id: 'first', pid: 4321 })
            await store().unregisterHost('first')
            await other.registerHost(host('second'), { now: T0 })
            expect((await other.listHosts()).map((h) => h.id)).toStrictEqual(['second'])
          } finally {
            await closeReopened()
          }
        },
      )
    } else {
      it.skipIf(noReopen)(
        `lets hosts on several store objects register and see each other ${noReopen ? noReopenReason : ''}`.trim(),
        async () => {
          try {
            const other = await reopen()
            await store().registerHost(host('one'), { now: T0 })
            await other.registerHost(host('two'), { now: T0 })
            for (const s of [store(), other])
              expect((await s.listHosts()).map((h) => h.id)).toStrictEqual(['one', 'two'])
          } finally {
            await closeReopened()
          }
        },
      )
    }
  })

  describe('cancel requests', () => {
    it("records a request and lists it for the run's host only", async () => {
      const [a, b, none] = [
        makeRun({ status: 'running', hostId: 'a', task: 'ta' }),
        makeRun({ status: 'queued', hostId: 'b' }),
        makeRun({ status: 'running', hostId: null }),
      ]
      for (const run of [a, b, none]) await store().insertRun(run)
      expect(
        await store().requestCancel(a.id, { reason: 'by a user', requestedBy: 'b', now: T0 + 2 }),
      ).toBe(true)
      expect(
        await store().requestCancel(none.id, { reason: 'x', requestedBy: null, now: T0 + 1 }),
      ).toBe(true)
      expect(await store().cancelRequests('a')).toStrictEqual([
        {
          runId: a.id,
          task: 'ta',
          hostId: 'a',
          reason: 'by a user',
          requestedBy: 'b',
          requestedAt: T0 + 2,
        },
      ])
      expect(await store().cancelRequests('b')).toStrictEqual([])
      expect((await store().cancelRequests(null)).map((r) => r.runId)).toStrictEqual([none.id])
    })

    it('keeps the first request when asked twice, and lists requests oldest first', async () => {
      const runs = [
        makeRun({ status: 'running', hostId: 'h' }),
        makeRun({ status: 'running', hostId: 'h' }),
      ]
      for (const run of runs) await store().insertRun(run)
      const [first, second] = runs as [Run, Run]
      await store().requestCancel(second.id, { reason: 'one', requestedBy: null, now: T0 })
      await store().requestCancel(first.id, { reason: 'two', requestedBy: null, now: T0 + 1 })
      expect(
        await store().requestCancel(second.id, { reason: 'three', requestedBy: 'x', now: T0 + 2 }),
      ).toBe(true)
      expect(
        (await store().cancelRequests('h')).map((r) => [r.runId, r.reason, r.requestedBy]),
      ).toStrictEqual([
        [second.id, 'one', null],
        [first.id, 'two', null],
      ])
    })

    it('answers false for an unknown or finished run, and drops a request once its run ends', async () => {
      const done = makeRun({ status: 'succeeded', hostId: 'h' })
      const running = makeRun({ status: 'running', hostId: 'h' })
      await store().insertRun(done)
      await store().insertRun(running)
      const request = { reason: 'r', requestedBy: null }
      expect(await store().requestCancel(done.id, request)).toBe(false)
      expect(await store().requestCancel(newRunId(), request)).toBe(false)
      expect(await store().requestCancel(running.id, request)).toBe(true)
      await store().updateRun(running.id, { status: 'cancelled' })
      expect(await store().cancelRequests('h')).toStrictEqual([])
    })
  })

  describe('output', () => {
    const chunk = (offset: number, text: string, stream: OutputChunk['stream'] = 'stdout') => ({
      offset,
      stream,
      time: T0 + offset,
      text,
    })
    /** Chunks of `texts` at consecutive offsets. */
    const chunks = (...texts: string[]) => {
      let offset = 0
      return texts.map((text) => {
        const made = chunk(offset, text)
        offset += Buffer.byteLength(text)
        return made
      })
    }

    it('keeps chunks and reads them back in order, from the start or any offset', async () => {
      const run = makeRun({ status: 'running' })
      await store().insertRun(run)
      const sent = chunks('one\n', 'deux: é\n', 'drei 🎉\nvier\n')
      sent[1] = { ...(sent[1] as OutputChunk), stream: 'stderr' }
      for (const piece of [...sent].reverse())
        expect(await store().appendOutput(run.id, piece)).toStrictEqual({
          kept: Buffer.byteLength(piece.text),
          truncated: false,
        })
      const total = sent.reduce((sum, piece) => sum + Buffer.byteLength(piece.text), 0)
      expect(await store().readOutput(run.id)).toStrictEqual({
        chunks: sent,
        next: total,
        truncated: false,
      })
      // From inside the second chunk, in the middle of "é": the text starts at the next character.
      const inside = Buffer.byteLength('one\ndeux: ') + 1
      const page = await store().readOutput(run.id, { from: inside })
      expect(page.chunks.map((c) => c.text)).toStrictEqual(['\n', 'drei 🎉\nvier\n'])
      expect(page.chunks[0]).toMatchObject({ offset: inside + 1, stream: 'stderr' })
      expect(page.next).toBe(total)
      expect(await store().readOutput(run.id, { from: total })).toStrictEqual({
        chunks: [],
        next: total,
        truncated: false,
      })
    })

    it('keeps a chunk sent twice once', async () => {
      const run = makeRun({ status: 'running' })
      await store().insertRun(run)
      const [a, b] = chunks('a\n', 'b\n') as [OutputChunk, OutputChunk]
      await store().appendOutput(run.id, a)
      await store().appendOutput(run.id, a)
      await store().appendOutput(run.id, b)
      expect((await store().readOutput(run.id)).chunks).toStrictEqual([a, b])
    })

    it('pages by limit, and the next page starts where the last ended', async () => {
      const run = makeRun({ status: 'running' })
      await store().insertRun(run)
      const sent = chunks(...Array.from({ length: 7 }, (_, i) => `line ${i}\n`))
      for (const piece of sent) await store().appendOutput(run.id, piece)
      const first = await store().readOutput(run.id, { limit: 3 })
      expect(first.chunks).toStrictEqual(sent.slice(0, 3))
      const second = await store().readOutput(run.id, { from: first.next, limit: 3 })
      expect(second.chunks).toStrictEqual(sent.slice(3, 6))
      const third = await store().readOutput(run.id, { from: second.next, limit: 3 })
      expect(third.chunks).toStrictEqual(sent.slice(6))
    })

    it(`cuts a run's output at the cap (${CONTRACT_MAX_OUTPUT_BYTES} bytes in this suite) on a character boundary, and says so`, async () => {
      const run = makeRun({ status: 'running' })
      const other = makeRun({ status: 'running' })
      await store().insertRun(run)
      await store().insertRun(other)
      const head = 'x'.repeat(CONTRACT_MAX_OUTPUT_BYTES - 3)
      expect(await store().appendOutput(run.id, chunk(0, head))).toStrictEqual({
        kept: head.length,
        truncated: false,
      })
      // "é" is 2 bytes: one fits before the cap, the second would cross it.
      expect(await store().appendOutput(run.id, chunk(head.length, 'éé\n'))).toStrictEqual({
        kept: 2,
        truncated: true,
      })
      expect(await store().appendOutput(run.id, chunk(head.length + 5, 'more\n'))).toStrictEqual({
        kept: 0,
        truncated: true,
      })
      const page = await store().readOutput(run.id)
      expect(page.chunks.map((c) => c.text).join('')).toBe(`${head}é`)
      expect(page).toMatchObject({ next: CONTRACT_MAX_OUTPUT_BYTES - 1, truncated: true })
      expect(await store().readOutput(run.id, { limit: 1 })).toMatchObject({ truncated: false })
      expect(await store().readOutput(other.id)).toMatchObject({ truncated: false })
    })

    it('says the output was cut when a chunk fills the cap exactly and the next is dropped', async () => {
      const run = makeRun({ status: 'running' })
      await store().insertRun(run)
      const all = 'y'.repeat(CONTRACT_MAX_OUTPUT_BYTES)
      expect(await store().appendOutput(run.id, chunk(0, all))).toMatchObject({ truncated: false })
      expect((await store().readOutput(run.id)).truncated).toBe(false)
      expect(await store().appendOutput(run.id, chunk(all.length, 'z\n'))).toStrictEqual({
        kept: 0,
        truncated: true,
      })
      expect(await store().readOutput(run.id)).toMatchObject({
        chunks: [chunk(0, all)],
        next: all.length,
        truncated: true,
      })
    })

    it('answers an empty page for a run without output, known or not', async () => {
      const run = makeRun()
      await store().insertRun(run)
      const empty = { chunks: [], next: 0, truncated: false }
      expect(await store().readOutput(run.id)).toStrictEqual(empty)
      expect(await store().readOutput(newRunId())).toStrictEqual(empty)
    })

    it('rejects output of an unknown run, and a malformed chunk, naming what is wrong', async () => {
      const id = newRunId()
      await expect(store().appendOutput(id, chunk(0, 'a\n'))).rejects.toThrow(id)
      const run = makeRun()
      await store().insertRun(run)
      await expect(store().appendOutput(run.id, chunk(-1, 'a'))).rejects.toThrow(/offset/)
      await expect(
        store().appendOutput(run.id, { ...chunk(0, 'a'), stream: 'stdin' as 'stdout' }),
      ).rejects.toThrow(/stream/)
      await expect(store().readOutput(run.id, { from: -5 })).rejects.toThrow(/from/)
      await expect(store().readOutput(run.id, { limit: 0 })).rejects.toThrow(/limit/)
    })

    it("deletes a run's output with the run, and old output alone by outputOlderThanMs", async () => {
      const now = T0 + 10 * 24 * 3600 * SECOND
      const [old, oldRunning, recent] = [
        makeRun({ status: 'succeeded', queuedAt: T0 }),
        makeRun({ status: 'running', queuedAt: T0 }),
        makeRun({ status: 'failed', queuedAt: now - SECOND }),
      ]
      for (const run of [old, oldRunning, recent]) {
        await store().insertRun(run)
        await store().appendOutput(run.id, chunk(0, `${run.id}\n`))
      }
      expect(await store().pruneRuns({ outputOlderThanMs: 24 * 3600 * SECOND, now })).toStrictEqual(
        [],
      )
      expect((await store().readOutput(old.id)).chunks).toStrictEqual([])
      expect(await store().getRun(old.id)).toStrictEqual(old)
      expect((await store().readOutput(oldRunning.id)).chunks).toHaveLength(1)
      expect((await store().readOutput(recent.id)).chunks).toHaveLength(1)

      // Old and recent, both finished.
      expect(await store().pruneRuns({ keepPerTask: 0 })).toHaveLength(2)
      expect((await store().readOutput(recent.id)).chunks).toStrictEqual([])
      const again = makeRun({ id: recent.id, status: 'running' })
      await store().insertRun(again) // nothing of the deleted run is left under its id
      expect(await store().readOutput(again.id)).toMatchObject({ chunks: [], truncated: false })
    })
  })

  describe('subscribe', () => {
    it('tells of changes to runs, task states, cancel requests, hosts and output', async () => {
      const changes: StoreChange[] = []
      const stop = await store().subscribe((change) => changes.push(change))
      try {
        const run = makeRun({ task: 'feed', status: 'queued', hostId: 'h' })
        await store().insertRun(run)
        await store().updateRun(run.id, { status: 'running' })
        await store().setTaskState({ task: 'feed', lastFireTime: 1, nextFireTime: 2, paused: true })
        await store().requestCancel(run.id, { reason: 'r', requestedBy: null })
        await store().appendOutput(run.id, { offset: 0, stream: 'stdout', time: T0, text: 'hi\n' })
        await store().registerHost(host('h'), { now: T0 })
        await store().unregisterHost('h')
        const expected: StoreChange[] = [
          { type: 'run', id: run.id, task: 'feed', status: 'queued', hostId: 'h' },
          { type: 'run', id: run.id, task: 'feed', status: 'running', hostId: 'h' },
          { type: 'task-state', task: 'feed' },
          { type: 'cancel', runId: run.id, hostId: 'h' },
          { type: 'output', runId: run.id, next: 3 },
          { type: 'host', id: 'h', event: 'registered' },
          { type: 'host', id: 'h', event: 'unregistered' },
        ]
        await until(() => expected.every((e) => changes.some((c) => sameChange(c, e))))
        // In the order they were made, whatever else the store tells in between.
        const seen = changes.filter((c) => expected.some((e) => sameChange(c, e)))
        expect(seen.map((c) => c.type)).toStrictEqual(expected.map((e) => e.type))
      } finally {
        await stop()
      }
    })

    it('stops telling a listener once it unsubscribed, and goes on past one that throws', async () => {
      const kept: StoreChange[] = []
      const dropped: StoreChange[] = []
      const stopThrowing = await store().subscribe(() => {
        throw new Error('a broken listener')
      })
      const stopDropped = await store().subscribe((change) => dropped.push(change))
      const stopKept = await store().subscribe((change) => kept.push(change))
      try {
        await stopDropped()
        for (let i = 0; i < 3; i++) await store().insertRun(makeRun({ task: `t${i}` }))
        await until(() => kept.filter((c) => c.type === 'run').length === 3)
        expect(dropped).toStrictEqual([])
      } finally {
        await stopKept()
        await stopThrowing()
      }
    })
  })

  describe('close', () => {
    it('rejects every call of the cluster part once closed', async () => {
      await store().close()
      const calls: [string, () => Promise<unknown>][] = [
        ['claimFire', () => store().claimFire('t', FIRE, { hostId: 'h' })],
        ['admitRun', () => store().admitRun('t', () => ({}))],
        ['registerHost', () => store().registerHost(host('h'))],
        ['heartbeat', () => store().heartbeat('h')],
        ['listHosts', () => store().listHosts()],
        ['expireHosts', () => store().expireHosts({ leaseMs: 1 })],
        ['unregisterHost', () => store().unregisterHost('h')],
        ['requestCancel', () => store().requestCancel('x', { reason: 'r', requestedBy: null })],
        ['cancelRequests', () => store().cancelRequests(null)],
        [
          'appendOutput',
          () => store().appendOutput('x', { offset: 0, stream: 'stdout', time: 0, text: '' }),
        ],
        ['readOutput', () => store().readOutput('x')],
        ['subscribe', () => store().subscribe(() => {})],
      ]
      for (const [name, call] of calls) await expect(call(), name).rejects.toThrow(/closed/)
    })
  })
}

function sameChange(a: StoreChange, b: StoreChange): boolean {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
  return JSON.stringify(a, keys) === JSON.stringify(b, keys)
}

/** Polls `condition` (the feed may deliver after the call resolved) for up to 20 s. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the store did not tell of the change within 20 s')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
