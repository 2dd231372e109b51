import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type RunStore, registerPlugins } from '@tasse/core'
import { makeRun, testRunStore } from '@tasse/core/testing'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createSqliteRunStore,
  MIGRATIONS,
  type Migration,
  PLUGIN_NAME,
  type SqliteRunStore,
  sqliteStorePlugin,
} from '../src/index.js'

const CHILD_HOST = fileURLToPath(new URL('./fixtures/child-host.mjs', import.meta.url))
const isRoot = process.getuid?.() === 0
const T0 = Date.UTC(2026, 0, 1)
const DAY = 24 * 3600 * 1000

let dir: string
const newDir = () => mkdtempSync(join(tmpdir(), 'tasse-store-sqlite-'))
const removeDir = () => rmSync(dir, { recursive: true, force: true })

testRunStore({
  name: 'sqlite',
  hosts: 'one',
  create: ({ maxOutputBytes }) => {
    dir = newDir()
    return createSqliteRunStore({ path: join(dir, 'tasse.db'), maxOutputBytes })
  },
  reopen: () => createSqliteRunStore({ path: join(dir, 'tasse.db') }),
  cleanup: removeDir,
})

describe('createSqliteRunStore', () => {
  const opened: RunStore[] = []
  let path: string
  const open = (options: Partial<Parameters<typeof createSqliteRunStore>[0]> = {}) => {
    const store = createSqliteRunStore({ path, ...options })
    opened.push(store)
    return store
  }

  beforeEach(() => {
    dir = newDir()
    path = join(dir, 'tasse.db')
  })

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close()
    removeDir()
  })

  describe('the file', () => {
    it('creates missing directories, as for the default <dataDir>/.tasse/tasse.db', async () => {
      path = join(dir, 'data', '.tasse', 'tasse.db')
      const store = open()
      await store.insertRun(makeRun())
      expect(existsSync(path)).toBe(true)
      expect((store as SqliteRunStore).path).toBe(path)
    })

    it('uses the WAL journal and stores the current schema version', () => {
      open()
      const db = new Database(path, { readonly: true })
      try {
        expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
        expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length)
      } finally {
        db.close()
      }
    })

    it('keeps params as JSON and µs times as integers, for ad-hoc SQL', async () => {
      const store = open()
      const run = makeRun({ params: { date: '2026-01-31' }, scheduledAt: 1_767_225_600_123_457 })
      await store.insertRun(run)
      const db = new Database(path, { readonly: true })
      try {
        const row = db
          .prepare(
            `SELECT json_extract(params, '$.date') AS date, typeof(scheduled_at) AS type,
               scheduled_at AS micros FROM runs WHERE id = ?`,
          )
          .get(run.id)
        expect(row).toStrictEqual({
          date: '2026-01-31',
          type: 'integer',
          micros: 1_767_225_600_123_457,
        })
      } finally {
        db.close()
      }
    })

    it('answers history queries from its indexes', () => {
      open()
      const db = new Database(path, { readonly: true })
      const plan = (sql: string) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
          .map((step) => step.detail)
          .join('; ')
      try {
        const byTask = plan(
          "SELECT * FROM runs WHERE task = 'a' AND id < 'x' ORDER BY id DESC LIMIT 51",
        )
        expect(byTask).toContain('runs_task_id')
        expect(byTask).not.toContain('TEMP B-TREE') // no sort: the index gives the order
        expect(
          plan("SELECT * FROM runs WHERE status IN ('queued', 'running') ORDER BY id"),
        ).toContain('runs_status')
        expect(plan('SELECT * FROM runs ORDER BY id DESC LIMIT 51')).not.toContain('TEMP B-TREE')
      } finally {
        db.close()
      }
    })
  })

  describe('errors', () => {
    it('names the path when its directory cannot be created', () => {
      const file = join(dir, 'not-a-directory')
      writeFileSync(file, 'a file where a directory should be')
      path = join(file, 'tasse.db')
      expect(() => open()).toThrow(
        `[store-sqlite] cannot open the run store at ${path}: ` +
          `cannot create its directory, ${file} is a file`,
      )
    })

    it.skipIf(isRoot)('names the path when its directory is not writable (skipped as root)', () => {
      const readOnly = join(dir, 'read-only')
      mkdirSync(readOnly)
      chmodSync(readOnly, 0o555)
      path = join(readOnly, 'tasse.db')
      try {
        expect(() => open()).toThrow(`cannot open the run store at ${path}`)
      } finally {
        chmodSync(readOnly, 0o755)
      }
    })

    it('refuses a file that is not a database, naming it', () => {
      writeFileSync(path, 'not sqlite, just text long enough to have a header of sorts '.repeat(20))
      expect(() => open()).toThrow(`cannot open the run store at ${path}: file is not a database`)
    })

    it('keeps the SQLite error as the cause', () => {
      writeFileSync(path, 'x'.repeat(1000))
      try {
        open()
        expect.unreachable()
      } catch (error) {
        expect((error as Error).cause).toMatchObject({ code: 'SQLITE_NOTADB' })
      }
    })

    it('refuses an empty path', () => {
      path = ''
      expect(() => open()).toThrow(/path option/)
    })

    it('waits busyTimeoutMs for another writer, then fails', async () => {
      const store = open({ busyTimeoutMs: 150 })
      const other = new Database(path)
      other.exec('BEGIN IMMEDIATE') // another host holds the write lock
      try {
        const started = performance.now()
        await expect(store.insertRun(makeRun())).rejects.toMatchObject({ code: 'SQLITE_BUSY' })
        expect(performance.now() - started).toBeGreaterThanOrEqual(140)
      } finally {
        other.exec('ROLLBACK')
        other.close()
      }
      await store.insertRun(makeRun()) // and works once the lock is gone
    })
  })

  describe('several processes and hosts', () => {
    it('keeps what a killed process committed, for a new process and for one already open', async () => {
      const store = open()
      const mine = makeRun({ task: 'parent' })
      await store.insertRun(mine)

      // Another process writes through the store, then dies by SIGKILL without closing it.
      const child = await runChild(path, 'child', 25)
      expect(child.signal).toBe('SIGKILL')
      expect(child.ids).toHaveLength(25)

      for (const reader of [store, open()]) {
        const { runs } = await reader.listRuns({ task: 'child', limit: 100 })
        expect(runs.map((run) => run.id)).toStrictEqual([...child.ids].reverse())
        expect(runs[0]).toMatchObject({
          status: 'running',
          params: { i: '24' },
          scheduledAt: 1_767_225_600_000_025,
        })
        expect(await reader.getTaskState('child')).toStrictEqual({
          task: 'child',
          lastFireTime: 1,
          nextFireTime: 2,
          paused: true,
        })
        expect(await reader.getRun(mine.id)).toStrictEqual(mine)
        expect((await reader.unfinishedRuns()).length).toBe(26)
      }
    })

    it('survives close and reopen', async () => {
      const first = open()
      const run = makeRun({ params: { a: 'b' }, status: 'succeeded' })
      await first.insertRun(run)
      await first.setTaskState({
        task: run.task,
        lastFireTime: 10,
        nextFireTime: 20,
        paused: false,
      })
      await first.close()
      const second = open()
      expect(await second.getRun(run.id)).toStrictEqual(run)
      expect(await second.listTaskStates()).toStrictEqual([
        { task: run.task, lastFireTime: 10, nextFireTime: 20, paused: false },
      ])
    })

    it('lets two stores on one file see each other’s writes', async () => {
      const [a, b] = [open(), open()]
      const run = makeRun({ task: 'shared' })
      await a.insertRun(run)
      expect(await b.getRun(run.id)).toStrictEqual(run)
      await b.updateRun(run.id, { status: 'running', pid: 42 })
      expect(await a.getRun(run.id)).toMatchObject({ status: 'running', pid: 42 })
      await b.setTaskState({ task: 'shared', lastFireTime: 5, nextFireTime: 6, paused: true })
      expect(await a.getTaskState('shared')).toMatchObject({ paused: true, nextFireTime: 6 })

      const written = []
      for (let i = 0; i < 100; i++) {
        const next = makeRun({ task: 'shared', status: 'succeeded' })
        await (i % 2 === 0 ? a : b).insertRun(next)
        written.push(next.id)
      }
      for (const store of [a, b]) {
        const { runs } = await store.listRuns({ task: 'shared', status: ['succeeded'], limit: 500 })
        expect(runs.map((r) => r.id)).toStrictEqual([...written].reverse())
      }
      // 101 runs: the newest 10 stay, and the oldest, still running.
      expect(await a.pruneRuns({ keepPerTask: 10 })).toHaveLength(90)
      expect((await b.listRuns({ task: 'shared', limit: 500 })).runs).toHaveLength(11)
    })
  })

  describe('migrations', () => {
    it('creates the schema in a file that exists but was never migrated (version 0)', async () => {
      const db = new Database(path)
      db.exec('CREATE TABLE unrelated (x)')
      db.close()
      const store = open()
      const run = makeRun()
      await store.insertRun(run)
      expect(await store.getRun(run.id)).toStrictEqual(run)
    })

    it('upgrades an older file, keeping its data', async () => {
      const old = open()
      const runs = [makeRun({ status: 'failed' }), makeRun({ status: 'succeeded' })]
      for (const run of runs) await old.insertRun(run)
      await old.setTaskState({ task: 't', lastFireTime: 1, nextFireTime: 2, paused: false })
      await old.close()

      // The next release's migration: a new column, filled from the existing rows.
      const next: Migration = {
        version: MIGRATIONS.length + 1,
        description: 'add runs.failed',
        up(db) {
          db.exec(`ALTER TABLE runs ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
                   UPDATE runs SET failed = status = 'failed';`)
        },
      }
      const upgraded = open({ migrations: [...MIGRATIONS, next] })
      for (const run of runs) expect(await upgraded.getRun(run.id)).toStrictEqual(run)
      expect(await upgraded.getTaskState('t')).toMatchObject({ nextFireTime: 2 })
      await upgraded.insertRun(makeRun())
      await upgraded.close()

      const db = new Database(path, { readonly: true })
      try {
        expect(db.pragma('user_version', { simple: true })).toBe(next.version)
        expect(db.prepare('SELECT id, failed FROM runs ORDER BY id LIMIT 2').all()).toStrictEqual([
          { id: runs[0]?.id, failed: 1 },
          { id: runs[1]?.id, failed: 0 },
        ])
      } finally {
        db.close()
      }
    })

    it('applies each migration once', () => {
      let applied = 0
      const counting: Migration = {
        version: MIGRATIONS.length + 1,
        description: 'counted',
        up: () => {
          applied++
        },
      }
      open({ migrations: [...MIGRATIONS, counting] })
      open({ migrations: [...MIGRATIONS, counting] })
      expect(applied).toBe(1)
    })

    it('rolls a failed migration back entirely, naming the file', async () => {
      const store = open()
      const run = makeRun()
      await store.insertRun(run)
      await store.close()

      const broken: Migration = {
        version: MIGRATIONS.length + 1,
        description: 'broken',
        up(db) {
          db.exec('CREATE TABLE half_done (x); DELETE FROM runs;')
          throw new Error('something went wrong in the middle')
        },
      }
      expect(() => open({ migrations: [...MIGRATIONS, broken] })).toThrow(
        `cannot open the run store at ${path}: something went wrong in the middle`,
      )

      const db = new Database(path, { readonly: true })
      try {
        expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length)
        expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").all()).toEqual(
          [],
        )
      } finally {
        db.close()
      }
      expect(await open().getRun(run.id)).toStrictEqual(run)
    })

    it('refuses a file from a newer release, saying what to do', () => {
      open()
      const db = new Database(path)
      db.pragma(`user_version = ${MIGRATIONS.length + 7}`)
      db.close()
      expect(() => open()).toThrow(
        `its schema is version ${MIGRATIONS.length + 7}, newer than version ${MIGRATIONS.length}, ` +
          'the last this @tasse/store-sqlite knows; upgrade @tasse/store-sqlite',
      )
    })

    it('refuses a migration list with a gap', () => {
      const skipped: Migration = {
        version: MIGRATIONS.length + 2,
        description: 'gap',
        up: () => {},
      }
      expect(() => open({ migrations: [...MIGRATIONS, skipped] })).toThrow(
        `migration "gap" has version ${MIGRATIONS.length + 2}, expected ${MIGRATIONS.length + 1}`,
      )
    })
  })

  describe('pruneRuns at scale', () => {
    it('deletes in several batches and keeps exactly the newest per task', async () => {
      const store = open()
      const db = new Database(path)
      // 12,000 finished runs of 2 tasks (more than one batch of deletions each), then 6,000 of a
      // third, old enough to go by age. Inserted in one transaction to keep the test quick.
      const insert = db.prepare(
        `INSERT INTO runs (id, task, reason, params, queued_at, status, attempt)
         VALUES (?, ?, 'schedule', '{}', ?, 'succeeded', 1)`,
      )
      const id = (i: number) => `r${String(i).padStart(6, '0')}`
      db.transaction(() => {
        for (let i = 0; i < 18_000; i++) {
          const [task, queuedAt] = i < 12_000 ? [`t${i % 2}`, T0 + i] : ['old', T0 - DAY - i]
          insert.run(id(i), task, queuedAt)
        }
      })()
      db.close()
      const pruned = await store.pruneRuns({ keepPerTask: 100, olderThanMs: DAY, now: T0 })
      expect(pruned).toHaveLength(12_000 - 200 + 6_000)
      expect(new Set(pruned.map((run) => run.id)).size).toBe(pruned.length)
      expect(pruned).toContainEqual({ id: id(0), task: 't0' })
      for (const task of ['t0', 't1']) {
        const { runs } = await store.listRuns({ task, limit: 1000 })
        expect(runs).toHaveLength(100)
        expect(runs[0]?.id).toBe(id(12_000 - 2 + Number(task[1])))
        expect(runs[99]?.id).toBe(id(12_000 - 200 + Number(task[1])))
      }
      expect((await store.listRuns({ task: 'old' })).runs).toStrictEqual([])
    })
  })
})

describe('sqliteStorePlugin', () => {
  beforeEach(() => {
    dir = newDir()
  })
  afterEach(removeDir)

  it('sets the store of the instance it registers in, opened on first use, then shared', async () => {
    const path = join(dir, '.tasse', 'tasse.db')
    const plugin = sqliteStorePlugin({ path })
    expect(plugin.name).toBe(PLUGIN_NAME)

    const extensions = registerPlugins([plugin])
    expect(extensions.openedRunStore()).toBeUndefined()
    expect(existsSync(path)).toBe(false)

    const store = extensions.runStore()
    expect(store.name).toBe('sqlite')
    expect(existsSync(path)).toBe(true)
    expect(extensions.runStore()).toBe(store)
    expect(extensions.openedRunStore()).toBe(store)
    await store.close()
  })

  it('gives each instance its own store on the same file', async () => {
    const plugin = sqliteStorePlugin({ path: join(dir, 'tasse.db') })
    const [a, b] = [registerPlugins([plugin]).runStore(), registerPlugins([plugin]).runStore()]
    expect(a).not.toBe(b)
    await a.close() // one Tasse instance stopping leaves the other's store open
    const run = makeRun()
    await b.insertRun(run)
    expect(await b.getRun(run.id)).toStrictEqual(run)
    await b.close()
  })
})

/** Runs the child host fixture; resolves with the ids it wrote and how it ended. */
async function runChild(
  path: string,
  task: string,
  count: number,
): Promise<{ ids: string[]; signal: string | null }> {
  const ended = await promisify(execFile)(
    process.execPath,
    [CHILD_HOST, path, task, String(count)],
    {
      timeout: 60_000,
    },
  ).then(
    () => ({ stdout: '', stderr: 'it exited normally instead of being killed', signal: null }),
    (error: { stdout?: string; stderr?: string; signal?: string | null }) => error,
  )
  if (!ended.stdout?.trim()) throw new Error(`the child host failed: ${ended.stderr}`)
  return { ids: (JSON.parse(ended.stdout) as { ids: string[] }).ids, signal: ended.signal ?? null }
}
