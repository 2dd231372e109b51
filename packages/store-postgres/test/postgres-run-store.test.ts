/**
 * The PostgreSQL store against a real server (a throwaway one from `@tasse/test-support`): the
 * run store contract, then what only a shared server has: many connections claiming at once,
 * hosts starting at once on an empty database, changes told to other store objects, and a
 * server that goes away and comes back.
 */
import type { RunStore, StoreChange } from '@tasse/core'
import { redactUrl } from '@tasse/core/plugin-kit'
import { makeRun, testRunStore } from '@tasse/core/testing'
import { postgresMissing, startPostgres, usePostgres } from '@tasse/test-support'
import pg from 'pg'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  createPostgresRunStore,
  MIGRATIONS,
  type Migration,
  type PostgresRunStoreOptions,
} from '../src/index.js'

const missing = postgresMissing()
const postgres = usePostgres()
let url = ''

if (missing) {
  it.skip(`RunStore contract: postgres (skipped: ${missing})`, () => {})
} else {
  testRunStore({
    name: 'postgres',
    hosts: 'many',
    create: async ({ maxOutputBytes }) => {
      url = await postgres().createDatabase()
      return createPostgresRunStore({ url, maxOutputBytes })
    },
    reopen: () => createPostgresRunStore({ url }),
  })
}

describe.skipIf(missing)(`the PostgreSQL store${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const opened: RunStore[] = []
  const open = (options: Partial<PostgresRunStoreOptions> = {}) => {
    const store = createPostgresRunStore({ url, ...options })
    opened.push(store)
    return store
  }
  const query = async (sql: string) => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      return (await client.query(sql)).rows
    } finally {
      await client.end()
    }
  }

  beforeAll(async () => {
    url = await postgres().createDatabase()
  })
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close()
  })

  it('gives each fire time to exactly one of 200 claims from 10 pools at once', async () => {
    const stores = Array.from({ length: 10 }, () => open({ maxConnections: 5 }))
    await Promise.all(stores.map((store) => store.listHosts())) // connected and migrated
    for (let round = 0; round < 5; round++) {
      const fire = Date.UTC(2026, 0, 1) * 1000 + round
      const won = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          (stores[i % 10] as RunStore).claimFire('race', fire, { hostId: `h${i % 10}` }),
        ),
      )
      expect(won.filter(Boolean)).toHaveLength(1)
    }
    expect(await query("SELECT count(*)::int AS n FROM fire_claims WHERE task = 'race'")).toEqual([
      { n: 5 },
    ])
  })

  it('migrates once when eight hosts start at once on an empty database', async () => {
    url = await postgres().createDatabase()
    const stores = Array.from({ length: 8 }, () => open())
    await Promise.all(stores.map((store) => store.listHosts()))
    expect(await query('SELECT version FROM tasse_migrations ORDER BY version')).toEqual(
      MIGRATIONS.map((m) => ({ version: m.version })),
    )
    // And a later start finds nothing to do.
    await open().listHosts()
    expect(await query('SELECT count(*)::int AS n FROM tasse_migrations')).toEqual([
      { n: MIGRATIONS.length },
    ])
  })

  it('rolls a failed migration back entirely, naming the server without its password', async () => {
    url = await postgres().createDatabase()
    await open().listHosts()
    const broken: Migration = {
      version: MIGRATIONS.length + 1,
      description: 'broken',
      sql: 'CREATE TABLE half_done (x int); DELETE FROM runs; SELECT 1/0;',
    }
    const withPassword = url.replace('tasse@', 'tasse:s3cret@')
    const store = open({ url: withPassword, migrations: [...MIGRATIONS, broken] })
    const error = (await store.listHosts().catch((e) => e)) as Error
    expect(error.message).toContain('cannot open the run store at postgres://tasse:***@127.0.0.1')
    expect(error.message).toContain('division by zero')
    expect(error.message).not.toContain('s3cret')
    expect(await query("SELECT to_regclass('half_done') AS t")).toEqual([{ t: null }])
    expect(await query('SELECT max(version)::int AS v FROM tasse_migrations')).toEqual([
      { v: MIGRATIONS.length },
    ])
  })

  it('refuses a database migrated by a newer release, saying what to do', async () => {
    url = await postgres().createDatabase()
    await open().listHosts()
    await query(
      `INSERT INTO tasse_migrations (version, description) VALUES (${MIGRATIONS.length + 3}, 'future')`,
    )
    await expect(open().listHosts()).rejects.toThrow(
      `its schema is version ${MIGRATIONS.length + 3}, newer than version ${MIGRATIONS.length}, ` +
        'the last this @tasse/store-postgres knows; upgrade @tasse/store-postgres on every host',
    )
  })

  it('tells every store object of changes made through another one (LISTEN/NOTIFY)', async () => {
    url = await postgres().createDatabase()
    const [writer, reader] = [open(), open()]
    const seen: { change: StoreChange; at: number }[] = []
    await reader.subscribe((change) => seen.push({ change, at: performance.now() }))
    const run = makeRun({ task: 'shared', status: 'running', hostId: 'a' })
    const sent = performance.now()
    await writer.insertRun(run)
    await writer.appendOutput(run.id, { offset: 0, stream: 'stdout', time: 0, text: 'hello\n' })
    await writer.updateRun(run.id, { status: 'succeeded' })
    await until(() => seen.some((s) => s.change.type === 'run' && s.change.status === 'succeeded'))
    expect(seen.map((s) => s.change)).toEqual([
      { type: 'run', id: run.id, task: 'shared', status: 'running', hostId: 'a' },
      { type: 'output', runId: run.id, next: 6 },
      { type: 'run', id: run.id, task: 'shared', status: 'succeeded', hostId: 'a' },
    ])
    // The delay from the write to the other object being told, for the README.
    console.log(`change feed delay: ${((seen[0]?.at ?? 0) - sent).toFixed(1)} ms`)
  })

  it('keeps output with NUL characters, each a space, offsets unchanged', async () => {
    url = await postgres().createDatabase()
    const store = open()
    const run = makeRun({ status: 'running' })
    await store.insertRun(run)
    await store.appendOutput(run.id, { offset: 0, stream: 'stdout', time: 0, text: 'a\0b\n' })
    await store.appendOutput(run.id, { offset: 4, stream: 'stdout', time: 0, text: 'c\n' })
    expect(await store.readOutput(run.id, { from: 2 })).toMatchObject({
      chunks: [
        { text: 'b\n', offset: 2 },
        { text: 'c\n', offset: 4 },
      ],
      next: 6,
    })
  })

  it('hides the password of a URL it names', () => {
    expect(redactUrl('postgres://u:p%40ss@db:5432/x')).toBe('postgres://u:***@db:5432/x')
    expect(redactUrl('postgres://db/x')).toBe('postgres://db/x')
  })
})

describe.skipIf(missing)(
  `a PostgreSQL server that goes away${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    it('fails calls while it is down, works again when it is back, and tells listeners to resync', async () => {
      const own = await startPostgres()
      const errors: unknown[] = []
      const store = createPostgresRunStore({
        url: await own.createDatabase(),
        connectTimeoutMs: 2000,
        onError: (error) => errors.push(error),
      })
      try {
        const changes: StoreChange[] = []
        await store.subscribe((change) => changes.push(change))
        await store.insertRun(makeRun())
        await own.pause()
        await expect(store.listRuns()).rejects.toThrow()
        await own.resume()
        await until(async () => (await store.listRuns().catch(() => null))?.runs.length === 1)
        await until(() => changes.some((c) => c.type === 'resync'))
        const after = makeRun({ task: 'after' })
        await store.insertRun(after)
        await until(() => changes.some((c) => c.type === 'run' && c.id === after.id))
        expect(errors.length).toBeGreaterThan(0) // told, not thrown: the process lives on
      } finally {
        await store.close()
        await own.stop()
      }
    }, 120_000)
  },
)

/** Polls `check` for up to 20 s. */
async function until(check: () => unknown): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out after 20 s')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
