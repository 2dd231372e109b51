/**
 * Issue #14: `tasse serve` on PostgreSQL (`TASSE_STORE` / `--store`): runs and hosts are kept on
 * the server, not in the data folder; `/readyz` says 503 while the server is down and the host
 * recovers by itself when it is back. A real `tasse serve` process, a real throwaway server.
 */
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { type Run, TasseError } from '@tasse/core'
import { readConfig } from '@tasse/host'
import { createPostgresRunStore } from '@tasse/store-postgres'
import { postgresMissing, usePostgres } from '@tasse/test-support'
import { afterEach, describe, expect, it } from 'vitest'
import { dataWith, type HostProcess, killHosts, startHostProcess, until } from './host-process.js'

const missing = postgresMissing()
const postgres = usePostgres()
let data = ''
const hosts: HostProcess[] = []

afterEach(async () => {
  await killHosts(hosts)
  if (data) rmSync(data, { recursive: true, force: true })
})

describe('--store', () => {
  it('takes a postgres:// URL from the flag or TASSE_STORE, and is null without one', () => {
    expect(readConfig({ store: 'postgres://db/tasse' }, {}).store).toBe('postgres://db/tasse')
    expect(readConfig({}, { TASSE_STORE: 'postgresql://db/t' }).store).toBe('postgresql://db/t')
    expect(readConfig({}, {}).store).toBeNull()
  })

  it('refuses anything else, naming the flag and never showing a password', () => {
    const read = () => readConfig({ store: 'mysql://admin:hunter2@db/tasse' }, {})
    expect(read).toThrow(TasseError)
    expect(read).toThrow(
      '--store must be a postgres:// or postgresql:// URL (without it, runs are kept in SQLite in <data>/.tasse/tasse.db), got "mysql://admin:***@db/tasse"',
    )
    expect(() => readConfig({}, { TASSE_STORE: 'sqlite' })).toThrow(/^TASSE_STORE must/)
  })
})

describe.skipIf(missing)(
  `tasse serve on PostgreSQL${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    it('keeps runs and hosts on the server, is not ready while it is down, and recovers alone', async () => {
      const url = await postgres().createDatabase()
      data = dataWith({ hello: { 'task.sh': 'echo hello from postgres\n', 'task.yaml': '' } })
      const host = await startHostProcess(data, { TASSE_STORE: url })
      hosts.push(host)
      const store = createPostgresRunStore({ url })
      try {
        const [registered] = await store.listHosts()
        expect(registered).toMatchObject({ pid: host.child.pid, url: host.url })

        const started = await fetch(`${host.url}/api/v1/tasks/hello/runs`, { method: 'POST' })
        const { id } = (await started.json()) as { id: string }
        const run = (await until(
          async () => {
            const found = await store.getRun(id)
            return found?.status === 'succeeded' && found
          },
          20_000,
          'the run to succeed',
        )) as Run
        expect(run.hostId).toBe(registered?.id)
        expect(existsSync(join(data, '.tasse', 'tasse.db'))).toBe(false)
        expect((await fetch(`${host.url}/readyz`)).status).toBe(200)

        await postgres().pause()
        await until(async () => (await fetch(`${host.url}/readyz`)).status === 503, 20_000, '503')
        await postgres().resume()
        await until(async () => (await fetch(`${host.url}/readyz`)).status === 200, 30_000, '200')
        const again = await fetch(`${host.url}/api/v1/tasks/hello/runs`, { method: 'POST' })
        expect(again.status).toBe(202)

        host.child.kill('SIGTERM')
        expect(await host.exited).toEqual({ code: 0, signal: null })
        expect(await store.listHosts()).toStrictEqual([])
      } finally {
        await store.close()
      }
    }, 120_000)
  },
)
