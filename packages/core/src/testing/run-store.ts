/**
 * The contract every `RunStore` passes: `testRunStore({ name, create })` registers a Vitest
 * `describe` block that checks what core and the HTTP API rely on (round trips of every field,
 * patches, filters, newest-first pages without gaps or duplicates, crash-recovery queries, task
 * state, retention, close). A store package runs it first, then adds tests of its own.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BadCursorError } from '../errors.js'
import { newRunId } from '../run-id.js'
import {
  FINAL_RUN_STATUSES,
  RUN_REASONS,
  RUN_STATUSES,
  type Run,
  type RunQuery,
  type RunStatus,
  type RunStore,
  type TaskState,
} from '../types.js'
import {
  CONTRACT_MAX_OUTPUT_BYTES,
  describeRunStoreCluster,
  type RunStoreClusterOptions,
} from './run-store-cluster.js'

export interface TestRunStoreOptions extends RunStoreClusterOptions {
  /** Shown in the suite's title, e.g. `sqlite`. */
  name: string
  /**
   * A new, empty store keeping at most `maxOutputBytes` of output per run (the suite checks the
   * cap with a small one); called before every test.
   */
  create: (options: { maxOutputBytes: number }) => Promise<RunStore> | RunStore
  /** Called after every test, once the store is closed (remove temporary files here). */
  cleanup?: () => Promise<void> | void
}

/** 2026-01-01T00:00:00Z, the epoch of the suite's made-up history. */
const T0 = Date.UTC(2026, 0, 1)
const MINUTE = 60_000
const DAY = 24 * 60 * MINUTE

/**
 * Registers the run store contract suite in the calling test file.
 *
 * @example
 * // packages/store-foo/test/foo-store.test.ts
 * import type { RunStore } from '@tasse/core'
 * import { testRunStore } from '@tasse/core/testing'
 * declare function createFooRunStore(options: { url: string; maxOutputBytes?: number }): RunStore
 * testRunStore({
 *   name: 'foo',
 *   hosts: 'many',
 *   create: ({ maxOutputBytes }) => createFooRunStore({ url: process.env.FOO_URL!, maxOutputBytes }),
 * })
 */
export function testRunStore(options: TestRunStoreOptions): void {
  describe(`RunStore contract: ${options.name}`, () => {
    let store: RunStore
    let created = false

    beforeEach(async () => {
      created = false
      store = await options.create({ maxOutputBytes: CONTRACT_MAX_OUTPUT_BYTES })
      created = true
    })

    afterEach(async () => {
      try {
        // A create() that failed already reported its error: do not bury it under close()'s.
        if (created) await store.close()
      } finally {
        await options.cleanup?.()
      }
    })

    it('has a name', () => {
      expect(typeof store.name).toBe('string')
      expect(store.name.length).toBeGreaterThan(0)
    })

    describe('insertRun and getRun', () => {
      it('round-trips every field of a run with every field set', async () => {
        const run = makeRun({
          task: 'report.daily_v2-x',
          reason: 'retry',
          params: { date: '2026-01-31', empty: '', quote: `it's "quoted" \\ ünïcødé 🎉\nline 2` },
          scheduledAt: 1_767_225_600_123_457, // µs, not a whole millisecond
          queuedAt: T0 + 1,
          startedAt: T0 + 20,
          endedAt: T0 + 4_000,
          status: 'failed',
          exitCode: 0,
          signal: 'SIGKILL',
          attempt: 3,
          retryOf: newRunId(T0),
          error: 'exited with code 3\nsecond line: ✗',
          pid: 4_194_303,
          pidStartedAt: T0 + 19,
          hostId: 'host-1.example.org-4242',
          peakMemoryBytes: 6_442_450_944, // past 2^32: PostgreSQL's bigint
          cpuUserSeconds: 1.234567,
          cpuSystemSeconds: 0.000001,
          outputBytes: 3_000_000_000,
        })
        await store.insertRun(run)
        expect(await store.getRun(run.id)).toStrictEqual(run)
      })

      it('round-trips nulls and empty params', async () => {
        const run = makeRun({ task: 'nulls', params: {} })
        await store.insertRun(run)
        expect(await store.getRun(run.id)).toStrictEqual(run)
      })

      it('round-trips every status and every reason', async () => {
        const runs = RUN_STATUSES.map((status, i) =>
          makeRun({ status, reason: RUN_REASONS[i % RUN_REASONS.length] }),
        )
        for (const run of runs) await store.insertRun(run)
        for (const run of runs) expect(await store.getRun(run.id)).toStrictEqual(run)
      })

      it('keeps microsecond fire times exactly, up to the largest safe integer', async () => {
        // Number.MAX_SAFE_INTEGER µs is in the year 2255; every whole µs before it is exact.
        const times = [0, 1, -1_000_001, 1_767_225_600_000_001, 7_258_118_400_000_001, 2 ** 53 - 1]
        const runs = times.map((scheduledAt) => makeRun({ scheduledAt }))
        for (const run of runs) await store.insertRun(run)
        for (const run of runs)
          expect((await store.getRun(run.id))?.scheduledAt).toBe(run.scheduledAt)
      })

      it('answers undefined for an unknown id', async () => {
        await store.insertRun(makeRun())
        expect(await store.getRun(newRunId())).toBeUndefined()
      })

      it('refuses a second run with the same id and keeps the first', async () => {
        const run = makeRun({ task: 'first' })
        await store.insertRun(run)
        await expect(store.insertRun({ ...run, task: 'second' })).rejects.toThrow(run.id)
        expect(await store.getRun(run.id)).toStrictEqual(run)
      })

      it('stores a copy: changing the object passed in or handed out changes nothing stored', async () => {
        const run = makeRun({ params: { a: '1' } })
        const expected = structuredClone(run)
        await store.insertRun(run)
        run.status = 'failed'
        ;(run.params as Record<string, string>).a = 'changed in place'

        const got = (await store.getRun(run.id)) as Run
        got.status = 'cancelled'
        ;(got.params as Record<string, string>).a = 'changed after get'
        const listed = (await store.listRuns()).runs[0] as Run
        listed.exitCode = 99
        ;(listed.params as Record<string, string>).b = 'added after list'
        const unfinished = (await store.unfinishedRuns())[0] as Run
        unfinished.pid = 1

        expect(await store.getRun(run.id)).toStrictEqual(expected)
      })
    })

    describe('updateRun', () => {
      it('changes the fields given and only those', async () => {
        const run = makeRun({ status: 'queued', params: { keep: 'me' } })
        await store.insertRun(run)
        await store.updateRun(run.id, {
          status: 'running',
          startedAt: T0 + 5,
          pid: 321,
          pidStartedAt: T0 + 4,
        })
        expect(await store.getRun(run.id)).toStrictEqual({
          ...run,
          status: 'running',
          startedAt: T0 + 5,
          pid: 321,
          pidStartedAt: T0 + 4,
        })

        await store.updateRun(run.id, {
          status: 'succeeded',
          endedAt: T0 + 9,
          exitCode: 0,
          pid: null,
        })
        expect(await store.getRun(run.id)).toStrictEqual({
          ...run,
          status: 'succeeded',
          startedAt: T0 + 5,
          endedAt: T0 + 9,
          exitCode: 0,
          pid: null,
          pidStartedAt: T0 + 4,
        })
      })

      it('sets every patchable field, params included', async () => {
        const run = makeRun()
        await store.insertRun(run)
        const patch = {
          reason: 'catch-up',
          params: { n: '2', other: 'x' },
          scheduledAt: 1_767_225_600_654_321,
          queuedAt: T0 + 7,
          startedAt: T0 + 8,
          endedAt: T0 + 9,
          status: 'interrupted',
          exitCode: 137,
          signal: 'SIGTERM',
          attempt: 2,
          retryOf: newRunId(),
          error: 'the host stopped',
          pid: 12,
          pidStartedAt: T0 + 8,
          hostId: 'another-host',
          peakMemoryBytes: 67_108_864,
          cpuUserSeconds: 0.5,
          cpuSystemSeconds: 12.75,
          outputBytes: 0,
        } as const satisfies Partial<Run>
        await store.updateRun(run.id, patch)
        expect(await store.getRun(run.id)).toStrictEqual({ ...run, ...patch })
      })

      it('leaves a field given as undefined as it is', async () => {
        const run = makeRun({ error: 'kept' })
        await store.insertRun(run)
        await store.updateRun(run.id, { error: undefined, exitCode: 1 })
        expect(await store.getRun(run.id)).toStrictEqual({ ...run, exitCode: 1 })
      })

      it('copies the params of a patch', async () => {
        const run = makeRun()
        await store.insertRun(run)
        const params: Record<string, string> = { a: '1' }
        await store.updateRun(run.id, { params })
        params.a = 'changed in place'
        expect((await store.getRun(run.id))?.params).toStrictEqual({ a: '1' })
      })

      it('rejects an unknown id, naming it', async () => {
        const id = newRunId()
        await expect(store.updateRun(id, { status: 'failed' })).rejects.toThrow(id)
        expect(await store.getRun(id)).toBeUndefined()
      })

      it('touches no other run', async () => {
        const [a, b] = [makeRun({ task: 'a' }), makeRun({ task: 'a' })]
        await store.insertRun(a)
        await store.insertRun(b)
        await store.updateRun(a.id, { status: 'cancelled', error: 'by a user' })
        expect(await store.getRun(b.id)).toStrictEqual(b)
      })
    })

    describe('listRuns', () => {
      it('answers an empty page for an empty store', async () => {
        expect(await store.listRuns()).toStrictEqual({ runs: [], nextCursor: null })
      })

      it('lists newest first by id, whatever the order of insertion and of queuedAt', async () => {
        const runs = Array.from({ length: 40 }, (_, i) =>
          makeRun({ queuedAt: T0 + ((i * 7919) % 40) * MINUTE }),
        )
        for (const run of shuffle(runs)) await store.insertRun(run)
        const page = await store.listRuns({ limit: 100 })
        expect(ids(page.runs)).toStrictEqual(ids(runs).reverse())
        expect(page.nextCursor).toBeNull()
      })

      it('returns 50 runs by default', async () => {
        const runs = await insertMany(store, 60, (i) => ({ task: `t${i % 3}` }))
        const page = await store.listRuns()
        expect(ids(page.runs)).toStrictEqual(ids(runs).reverse().slice(0, 50))
        expect(page.nextCursor).toEqual(expect.any(String))
      })

      it('filters by task, exactly (no prefix, no other case)', async () => {
        const tasks = ['report', 'report2', 'Report', 'repor', 'report.x', 'a_b', 'a-b', 'a%b']
        const runs = await insertMany(store, 48, (i) => ({
          task: tasks[i % tasks.length] as string,
        }))
        for (const task of [...tasks, 'a%', 'a_', 'report%', 'REPORT']) {
          const page = await store.listRuns({ task, limit: 100 })
          expect(ids(page.runs)).toStrictEqual(
            ids(runs.filter((run) => run.task === task)).reverse(),
          )
        }
        expect(await store.listRuns({ task: 'unknown' })).toStrictEqual({
          runs: [],
          nextCursor: null,
        })
      })

      it('filters by one status and by several', async () => {
        const runs = await insertMany(store, 45, (i) => ({
          status: RUN_STATUSES[i % RUN_STATUSES.length] as RunStatus,
        }))
        const cases: RunStatus[][] = [
          ['running'],
          ['succeeded', 'failed'],
          ['missed', 'skipped', 'interrupted', 'queued'],
          [...RUN_STATUSES],
        ]
        for (const status of cases) {
          const page = await store.listRuns({ status, limit: 100 })
          expect(ids(page.runs)).toStrictEqual(
            ids(runs.filter((run) => status.includes(run.status))).reverse(),
          )
        }
      })

      it('matches no run with an empty status list', async () => {
        await insertMany(store, 5, () => ({}))
        expect(await store.listRuns({ status: [] })).toStrictEqual({ runs: [], nextCursor: null })
      })

      it('sees a status changed by updateRun', async () => {
        const run = makeRun({ status: 'queued' })
        await store.insertRun(run)
        await store.updateRun(run.id, { status: 'running' })
        expect(ids((await store.listRuns({ status: ['queued'] })).runs)).toStrictEqual([])
        expect(ids((await store.listRuns({ status: ['running'] })).runs)).toStrictEqual([run.id])
      })

      it('filters on queuedAt with inclusive from and to bounds', async () => {
        const runs = await insertMany(store, 30, (i) => ({ queuedAt: T0 + i * MINUTE }))
        const between = (from?: number, to?: number) =>
          ids(
            runs.filter(
              (run) =>
                (from === undefined || run.queuedAt >= from) &&
                (to === undefined || run.queuedAt <= to),
            ),
          ).reverse()
        const cases: [number | undefined, number | undefined][] = [
          [T0 + 10 * MINUTE, undefined],
          [undefined, T0 + 10 * MINUTE],
          [T0 + 10 * MINUTE, T0 + 20 * MINUTE],
          [T0 + 10 * MINUTE + 1, T0 + 20 * MINUTE - 1],
          [T0 + 15 * MINUTE, T0 + 15 * MINUTE],
          [T0 + 20 * MINUTE, T0 + 10 * MINUTE],
          [T0 - DAY, T0 + DAY],
        ]
        for (const [from, to] of cases) {
          const query: RunQuery = { limit: 100 }
          if (from !== undefined) query.from = from
          if (to !== undefined) query.to = to
          expect(ids((await store.listRuns(query)).runs), `from ${from} to ${to}`).toStrictEqual(
            between(from, to),
          )
        }
      })

      it('combines every filter', async () => {
        const runs = await insertMany(store, 90, (i) => ({
          task: ['a', 'b', 'c'][i % 3] as string,
          status: (['failed', 'succeeded', 'running', 'missed'] as const)[i % 4],
          queuedAt: T0 + i * MINUTE,
        }))
        const query = {
          task: 'b',
          status: ['failed', 'missed'],
          from: T0 + 20 * MINUTE,
          to: T0 + 70 * MINUTE,
        } satisfies RunQuery
        const expected = runs.filter(
          (run) =>
            run.task === query.task &&
            (query.status as readonly string[]).includes(run.status) &&
            run.queuedAt >= query.from &&
            run.queuedAt <= query.to,
        )
        expect(expected.length).toBeGreaterThan(3)
        expect(ids(await collect(store, { ...query, limit: 2 }))).toStrictEqual(
          ids(expected).reverse(),
        )
      })

      it('ends with a null cursor exactly when no more runs match', async () => {
        await insertMany(store, 20, () => ({}))
        const first = await store.listRuns({ limit: 10 })
        expect(first.runs).toHaveLength(10)
        const second = await store.listRuns({ limit: 10, cursor: first.nextCursor as string })
        expect(second.runs).toHaveLength(10)
        expect(second.nextCursor).toBeNull()
        expect((await store.listRuns({ limit: 20 })).nextCursor).toBeNull()
        expect((await store.listRuns({ limit: 19 })).nextCursor).not.toBeNull()
      })

      it('pages through hundreds of runs without gaps or duplicates while runs are added and updated', async () => {
        const tasks = ['alpha', 'beta', 'gamma']
        const statuses: RunStatus[] = ['succeeded', 'failed', 'running', 'skipped']
        const all = await insertMany(store, 400, (i) => ({
          task: tasks[i % 3] as string,
          status: statuses[(i * 5) % 4] as RunStatus,
        }))

        const queries: (RunQuery & { limit: number })[] = [
          { limit: 7 },
          { limit: 33, task: 'beta' },
          { limit: 9, status: ['failed', 'skipped'] },
          { limit: 1, task: 'gamma', status: ['succeeded'] },
        ]
        for (const query of queries) {
          // What the store held when the first page was asked for.
          const expected = all.filter(
            (run) =>
              (query.task === undefined || run.task === query.task) &&
              (query.status === undefined || query.status.includes(run.status)),
          )
          let page = await store.listRuns(query)
          const seen = [...page.runs]
          let pages = 1
          while (page.nextCursor !== null) {
            // Newer runs arrive between pages (they belong before the first page, not in later
            // ones), and an already-listed run changes (it must not be listed again).
            all.push(
              ...(await insertMany(store, 2, (i) => ({
                task: tasks[i % 3] as string,
                status: 'failed',
              }))),
            )
            const listed = seen[seen.length - 1] as Run
            await store.updateRun(listed.id, { endedAt: T0 + pages })
            page = await store.listRuns({ ...query, cursor: page.nextCursor })
            expect(page.runs.length).toBeLessThanOrEqual(query.limit)
            seen.push(...page.runs)
            pages++
          }
          expect(ids(seen), JSON.stringify(query)).toStrictEqual(ids(expected).reverse())
          expect(pages).toBe(Math.max(1, Math.ceil(expected.length / query.limit)))
        }
      })

      it('rejects a limit that is not a whole number of at least 1', async () => {
        for (const limit of [0, -1, 1.5, Number.NaN]) {
          await expect(store.listRuns({ limit }), `limit ${limit}`).rejects.toThrow(/limit/)
        }
      })

      it('rejects a cursor it did not make with a BadCursorError', async () => {
        await insertMany(store, 3, () => ({}))
        for (const cursor of ['', 'garbage!', 'Zm9v', newRunId()]) {
          const page = store.listRuns({ cursor })
          // The HTTP API answers 400 for exactly this class: the cursor is the client's input.
          await expect(page, `cursor ${cursor}`).rejects.toBeInstanceOf(BadCursorError)
          await expect(page, `cursor ${cursor}`).rejects.toMatchObject({
            code: 'bad_cursor',
            cursor,
          })
        }
      })
    })

    describe('unfinishedRuns', () => {
      it('lists queued and running runs of every task, oldest first', async () => {
        const runs = await insertMany(store, 36, (i) => ({
          task: `t${i % 4}`,
          status: RUN_STATUSES[i % RUN_STATUSES.length] as RunStatus,
        }))
        const unfinished = runs.filter((run) => !FINAL_RUN_STATUSES.has(run.status))
        expect(unfinished.length).toBeGreaterThan(4)
        expect(await store.unfinishedRuns()).toStrictEqual(unfinished)
      })

      it('forgets a run once it reaches a final state', async () => {
        const [a, b] = [makeRun({ status: 'running' }), makeRun({ status: 'queued' })]
        await store.insertRun(a)
        await store.insertRun(b)
        await store.updateRun(a.id, { status: 'interrupted' })
        expect(ids(await store.unfinishedRuns())).toStrictEqual([b.id])
      })

      it('answers an empty list when nothing is unfinished', async () => {
        await insertMany(store, 3, () => ({ status: 'succeeded' }))
        expect(await store.unfinishedRuns()).toStrictEqual([])
      })
    })

    describe('task state', () => {
      it('answers undefined for a task it never saw', async () => {
        expect(await store.getTaskState('nope')).toBeUndefined()
        expect(await store.listTaskStates()).toStrictEqual([])
      })

      it('round-trips µs fire times, nulls and the paused flag', async () => {
        const states: TaskState[] = [
          {
            task: 'a',
            lastFireTime: 1_767_225_600_123_457,
            nextFireTime: 1_767_225_610_123_457,
            paused: false,
          },
          { task: 'b', lastFireTime: null, nextFireTime: null, paused: true },
          { task: 'c', lastFireTime: 7_258_118_400_000_001, nextFireTime: null, paused: false },
        ]
        for (const state of states) await store.setTaskState(state)
        for (const state of states)
          expect(await store.getTaskState(state.task)).toStrictEqual(state)
      })

      it('overwrites the whole state of a task, paused flag included', async () => {
        await store.setTaskState({ task: 'a', lastFireTime: 1, nextFireTime: 2, paused: true })
        const next = { task: 'a', lastFireTime: 2, nextFireTime: null, paused: false }
        await store.setTaskState(next)
        expect(await store.getTaskState('a')).toStrictEqual(next)
        await store.setTaskState({ ...next, paused: true })
        expect((await store.getTaskState('a'))?.paused).toBe(true)
        expect(await store.listTaskStates()).toHaveLength(1)
      })

      it('keeps the stored paused flag when a write gives the fire times only', async () => {
        // Another host paused the task; this host's fire-time write must not resume it.
        await store.setTaskState({ task: 'a', lastFireTime: 1, nextFireTime: 2, paused: true })
        await store.setTaskState({ task: 'a', lastFireTime: 2, nextFireTime: 3 })
        expect(await store.getTaskState('a')).toStrictEqual({
          task: 'a',
          lastFireTime: 2,
          nextFireTime: 3,
          paused: true,
        })
        await store.setTaskState({ task: 'a', lastFireTime: 3, nextFireTime: 4, paused: false })
        await store.setTaskState({ task: 'a', lastFireTime: 4, nextFireTime: 5 })
        expect((await store.getTaskState('a'))?.paused).toBe(false)
        // A task not stored yet is not paused.
        await store.setTaskState({ task: 'new', lastFireTime: null, nextFireTime: 7 })
        expect(await store.getTaskState('new')).toStrictEqual({
          task: 'new',
          lastFireTime: null,
          nextFireTime: 7,
          paused: false,
        })
      })

      it('keeps tasks apart and lists them by name', async () => {
        const names = ['report', 'Report', 'report2', 'a.b', 'a-b', 'a_b', 'zeta', 'alpha']
        for (const [i, task] of names.entries()) {
          await store.setTaskState({
            task,
            lastFireTime: i,
            nextFireTime: i + 1,
            paused: i % 2 === 0,
          })
        }
        await store.setTaskState({
          task: 'report',
          lastFireTime: 100,
          nextFireTime: 200,
          paused: false,
        })
        const listed = await store.listTaskStates()
        expect(listed.map((state) => state.task)).toStrictEqual([...names].sort())
        for (const [i, task] of names.entries()) {
          const expected =
            task === 'report'
              ? { task, lastFireTime: 100, nextFireTime: 200, paused: false }
              : { task, lastFireTime: i, nextFireTime: i + 1, paused: i % 2 === 0 }
          expect(await store.getTaskState(task)).toStrictEqual(expected)
          expect(listed.find((state) => state.task === task)).toStrictEqual(expected)
        }
      })

      it('stores a copy of the state', async () => {
        const state = { task: 'a', lastFireTime: 1, nextFireTime: 2, paused: false }
        await store.setTaskState(state)
        state.paused = true
        const got = (await store.getTaskState('a')) as TaskState
        got.nextFireTime = 99
        const listed = (await store.listTaskStates())[0] as TaskState
        listed.lastFireTime = 98
        expect(await store.getTaskState('a')).toStrictEqual({
          task: 'a',
          lastFireTime: 1,
          nextFireTime: 2,
          paused: false,
        })
      })

      it('is independent of the runs', async () => {
        await store.setTaskState({ task: 'a', lastFireTime: 1, nextFireTime: 2, paused: false })
        await insertMany(store, 3, () => ({ task: 'a', status: 'succeeded' }))
        await store.pruneRuns({ keepPerTask: 0 })
        expect(await store.getTaskState('a')).toStrictEqual({
          task: 'a',
          lastFireTime: 1,
          nextFireTime: 2,
          paused: false,
        })
        expect(await store.getTaskState('b')).toBeUndefined()
      })
    })

    describe('pruneRuns', () => {
      it('deletes finished runs queued before now - olderThanMs, never unfinished ones', async () => {
        const now = T0 + 40 * DAY
        const runs = await insertMany(store, 45, (i) => ({
          task: `t${i % 2}`,
          queuedAt: T0 + i * DAY,
          status: RUN_STATUSES[i % RUN_STATUSES.length] as RunStatus,
        }))
        const cutoff = now - 30 * DAY
        const kept = runs.filter(
          (run) => run.queuedAt >= cutoff || !FINAL_RUN_STATUSES.has(run.status),
        )
        expect(sortedIds(await store.pruneRuns({ olderThanMs: 30 * DAY, now }))).toStrictEqual(
          sortedIds(runs.filter((run) => !kept.includes(run))),
        )
        expect(ids(await collect(store, { limit: 10 }))).toStrictEqual(ids(kept).reverse())
        // The boundary itself is kept: a run queued exactly olderThanMs ago is not older.
        expect(kept.some((run) => run.queuedAt === cutoff)).toBe(true)
        expect(await store.pruneRuns({ olderThanMs: 30 * DAY, now })).toStrictEqual([])
      })

      it('defaults now to the current time', async () => {
        const [old, recent] = [
          makeRun({ queuedAt: Date.now() - 2 * DAY, status: 'succeeded' }),
          makeRun({ queuedAt: Date.now() - 60_000, status: 'succeeded' }),
        ]
        await store.insertRun(old)
        await store.insertRun(recent)
        expect(await store.pruneRuns({ olderThanMs: DAY })).toStrictEqual([
          { id: old.id, task: old.task },
        ])
        expect(await store.getRun(old.id)).toBeUndefined()
        expect(await store.getRun(recent.id)).toStrictEqual(recent)
      })

      it('keeps the newest keepPerTask runs of each task, unfinished ones counting and kept', async () => {
        const runs = await insertMany(store, 60, (i) => ({
          task: i < 50 ? `t${i % 2}` : 'small',
          status: i === 3 || i === 44 ? 'running' : i === 1 ? 'queued' : 'succeeded',
        }))
        const keep = 10
        const kept = runs.filter((run) => {
          const newer = runs.filter((other) => other.task === run.task && other.id > run.id)
          return newer.length < keep || !FINAL_RUN_STATUSES.has(run.status)
        })
        expect(sortedIds(await store.pruneRuns({ keepPerTask: keep }))).toStrictEqual(
          sortedIds(runs.filter((run) => !kept.includes(run))),
        )
        expect(ids(await collect(store, { limit: 100 }))).toStrictEqual(ids(kept).reverse())
        for (const task of ['t0', 't1']) {
          const page = await store.listRuns({ task, limit: 100 })
          expect(page.runs.filter((run) => run.status === 'succeeded').length).toBeLessThanOrEqual(
            keep,
          )
        }
        expect((await store.listRuns({ task: 'small' })).runs).toHaveLength(10)
        expect(ids(await store.unfinishedRuns())).toStrictEqual(
          [runs[1], runs[3], runs[44]].map((r) => r?.id),
        )
      })

      it('deletes what either rule selects when both are given', async () => {
        const now = T0 + 100 * DAY
        // Task a: one run every 10 days; by age (10 days) runs 0-8 go (run 9 is on the boundary),
        // by count (15) runs 0-4 go. Task b: 20 recent runs; by count runs 0-4 go, none by age.
        const a = await insertMany(store, 20, (i) => ({
          task: 'a',
          queuedAt: T0 + i * 10 * DAY,
          status: 'failed',
        }))
        const b = await insertMany(store, 20, (i) => ({
          task: 'b',
          queuedAt: now - DAY + i,
          status: 'succeeded',
        }))
        expect(
          sortedIds(await store.pruneRuns({ olderThanMs: 10 * DAY, keepPerTask: 15, now })),
        ).toStrictEqual(sortedIds([...a.slice(0, 9), ...b.slice(0, 5)]))
        expect(ids(await collect(store, { limit: 100 }))).toStrictEqual(
          ids([...a.slice(9), ...b.slice(5)]).reverse(),
        )
      })

      it('deletes nothing without options, and everything finished with keepPerTask 0', async () => {
        const runs = await insertMany(store, 10, (i) => ({
          status: i === 5 ? 'running' : 'missed',
        }))
        expect(await store.pruneRuns({})).toStrictEqual([])
        expect(ids(await collect(store, { limit: 100 }))).toHaveLength(10)
        expect(await store.pruneRuns({ keepPerTask: 0 })).toHaveLength(9)
        expect(ids(await collect(store, { limit: 100 }))).toStrictEqual([runs[5]?.id])
      })

      it('leaves pages and ids consistent after deleting', async () => {
        const runs = await insertMany(store, 120, (i) => ({
          task: `t${i % 3}`,
          status: i % 7 === 0 ? 'queued' : 'succeeded',
        }))
        await store.pruneRuns({ keepPerTask: 11 })
        const remaining = await collect(store, { limit: 4 })
        for (const run of runs) {
          const expected = remaining.some((kept) => kept.id === run.id) ? run : undefined
          expect(await store.getRun(run.id)).toStrictEqual(expected)
        }
        // A deleted id can be used again without a clash.
        const reused = runs.find((run) => !remaining.some((kept) => kept.id === run.id)) as Run
        await store.insertRun(reused)
        expect(await store.getRun(reused.id)).toStrictEqual(reused)
      })

      it('rejects options that make no sense', async () => {
        await expect(store.pruneRuns({ olderThanMs: -1 })).rejects.toThrow(/olderThanMs/)
        await expect(store.pruneRuns({ olderThanMs: Number.NaN })).rejects.toThrow(/olderThanMs/)
        await expect(store.pruneRuns({ keepPerTask: -1 })).rejects.toThrow(/keepPerTask/)
        await expect(store.pruneRuns({ keepPerTask: 2.5 })).rejects.toThrow(/keepPerTask/)
      })
    })

    describe('close', () => {
      it('can be called twice, and every call after it rejects', async () => {
        const run = makeRun()
        await store.insertRun(run)
        await store.close()
        await store.close()
        const calls: [string, () => Promise<unknown>][] = [
          ['insertRun', () => store.insertRun(makeRun())],
          ['updateRun', () => store.updateRun(run.id, { status: 'failed' })],
          ['getRun', () => store.getRun(run.id)],
          ['listRuns', () => store.listRuns()],
          ['unfinishedRuns', () => store.unfinishedRuns()],
          ['getTaskState', () => store.getTaskState('a')],
          [
            'setTaskState',
            () =>
              store.setTaskState({
                task: 'a',
                lastFireTime: null,
                nextFireTime: null,
                paused: false,
              }),
          ],
          ['listTaskStates', () => store.listTaskStates()],
          ['pruneRuns', () => store.pruneRuns({ keepPerTask: 0 })],
        ]
        for (const [name, call] of calls) await expect(call(), name).rejects.toThrow(/closed/)
      })
    })

    describeRunStoreCluster(() => store, options)
  })
}

/** A queued run of task `t` with every optional field null, and a fresh id. */
export function makeRun(overrides: Partial<Run> = {}): Run {
  return {
    id: newRunId(),
    task: 't',
    reason: 'schedule',
    params: {},
    scheduledAt: null,
    queuedAt: T0,
    startedAt: null,
    endedAt: null,
    status: 'queued',
    exitCode: null,
    signal: null,
    attempt: 1,
    retryOf: null,
    error: null,
    pid: null,
    pidStartedAt: null,
    hostId: null,
    peakMemoryBytes: null,
    cpuUserSeconds: null,
    cpuSystemSeconds: null,
    outputBytes: null,
    ...overrides,
  }
}

async function insertMany(
  store: RunStore,
  count: number,
  fields: (index: number) => Partial<Run>,
): Promise<Run[]> {
  const runs: Run[] = []
  for (let i = 0; i < count; i++) {
    const run = makeRun({ queuedAt: T0 + i, ...fields(i) })
    await store.insertRun(run)
    runs.push(run)
  }
  return runs
}

/** Every run matching `query`, page by page. */
async function collect(store: RunStore, query: RunQuery): Promise<Run[]> {
  const runs: Run[] = []
  let cursor: string | null | undefined
  do {
    const page: Awaited<ReturnType<RunStore['listRuns']>> = await store.listRuns(
      cursor ? { ...query, cursor } : query,
    )
    runs.push(...page.runs)
    cursor = page.nextCursor
  } while (cursor)
  return runs
}

function ids(runs: readonly Run[]): string[] {
  return runs.map((run) => run.id)
}

/** `id task` of each run, sorted: what `pruneRuns` answers, in no particular order. */
function sortedIds(runs: readonly Pick<Run, 'id' | 'task'>[]): string[] {
  return runs.map((run) => `${run.id} ${run.task}`).sort()
}

/** A fixed permutation (a seeded Fisher-Yates), so a failure reproduces. */
function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items]
  let seed = 20_260_101
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    const j = seed % (i + 1)
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}
