/**
 * A throwaway PostgreSQL server for tests: `initdb` in a temporary folder, `pg_ctl start` on a
 * free loopback port (its socket in the same folder), removed by `stop()` and, should the test
 * process end without calling it, at exit. Run as the `postgres` user when the tests run as root
 * (PostgreSQL refuses to run as root), as CI does.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll } from 'vitest'

/** Debian's PostgreSQL 15 (`apt-get install postgresql`), or `TASSE_POSTGRES_BIN`. */
export const POSTGRES_BIN = process.env.TASSE_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin'

const isRoot = process.getuid?.() === 0
/** The database user the tests connect as (a superuser of the throwaway server). */
const USER = 'tasse'

/** Why PostgreSQL cannot run here, or `null` when it can: for a skip reason in a test's name. */
export function postgresMissing(): string | null {
  if (!existsSync(join(POSTGRES_BIN, 'initdb')) || !existsSync(join(POSTGRES_BIN, 'pg_ctl')))
    return `PostgreSQL absent: no initdb in ${POSTGRES_BIN} (apt-get install postgresql)`
  if (isRoot && postgresUser() === null)
    return 'PostgreSQL cannot run as root, and there is no postgres user'
  return null
}

export const hasPostgres = postgresMissing() === null

export interface PostgresServer {
  /** `postgres://tasse@127.0.0.1:<port>/postgres`. */
  url: string
  port: number
  /** The temporary folder of its files (removed by `stop`). */
  dir: string
  /** A new, empty database on the server; resolves to its URL. */
  createDatabase(name?: string): Promise<string>
  /** Stops the server, keeping its files (to start it again: an outage). */
  pause(): Promise<void>
  /** Starts a paused server again, on the same port. */
  resume(): Promise<void>
  /** Stops the server and removes its files. Safe to call twice. */
  stop(): Promise<void>
}

let databases = 0

/**
 * Starts a new server.
 *
 * @example
 * const pg = await startPostgres()
 * const url = await pg.createDatabase()
 * // … connect to url …
 * await pg.stop()
 */
export async function startPostgres(): Promise<PostgresServer> {
  const missing = postgresMissing()
  if (missing) throw new Error(`[test-support] ${missing}`)
  // As root, in /tmp: the postgres user must reach the folder, and a TMPDIR under /root it cannot.
  const dir = mkdtempSync(join(isRoot ? '/tmp' : tmpdir(), 'tasse-pg-'))
  const owner = isRoot ? postgresUser() : null
  if (owner) chownSync(dir, owner.uid, owner.gid)
  const data = join(dir, 'data')
  const run = (binary: string, args: string[]) =>
    promisify(execFile)(join(POSTGRES_BIN, binary), args, {
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', HOME: dir },
      timeout: 120_000,
    }).catch((error: Error & { stderr?: string }) => {
      throw new Error(`[test-support] ${binary} failed: ${error.stderr || error.message}`, {
        cause: error,
      })
    })
  let stopped = false
  const removeAll = () => {
    if (existsSync(join(data, 'postmaster.pid')))
      spawnSync(join(POSTGRES_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], {
        ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
        stdio: 'ignore',
      })
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('exit', removeAll)
  try {
    await run('initdb', [
      '-D',
      data,
      '-U',
      USER,
      '--auth=trust',
      '--no-sync',
      '-E',
      'UTF8',
      '--locale=C',
    ])
    const port = await freePort()
    // Settings for a test server: no fsync (its data is thrown away), enough connections for
    // several hosts with pools, the socket in its own folder, listening on loopback only.
    const options = [
      `-p ${port}`,
      `-k ${dir}`,
      "-c listen_addresses='127.0.0.1'",
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
    ].join(' ')
    const start = () =>
      run('pg_ctl', [
        '-D',
        data,
        '-l',
        join(dir, 'server.log'),
        '-o',
        options,
        '-w',
        '-t',
        '60',
        'start',
      ])
    const halt = () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop'])
    await start()
    const url = `postgres://${USER}@127.0.0.1:${port}/postgres`
    return {
      url,
      port,
      dir,
      async createDatabase(name = `test_${process.pid}_${++databases}`) {
        await run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', USER, name])
        return `postgres://${USER}@127.0.0.1:${port}/${name}`
      },
      pause: async () => {
        await halt()
      },
      resume: async () => {
        await start()
      },
      async stop() {
        if (stopped) return
        stopped = true
        process.off('exit', removeAll)
        removeAll()
      },
    }
  } catch (error) {
    process.off('exit', removeAll)
    removeAll()
    throw error
  }
}

/** The `postgres` user's ids, or `null` when there is none. */
function postgresUser(): { uid: number; gid: number } | null {
  try {
    const [uid, gid] = ['-u', '-g'].map((flag) =>
      Number(
        execFileSync('id', [flag, 'postgres'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }),
      ),
    )
    return Number.isInteger(uid) && Number.isInteger(gid)
      ? { uid: uid as number, gid: gid as number }
      : null
  } catch {
    return null
  }
}

/** A TCP port free on loopback now (the server takes it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/**
 * One throwaway server shared by a test file: started before its tests (unless PostgreSQL is
 * missing: the file's tests skip, naming why), stopped after them. The getter answers the
 * server, and throws where there is none (a test that did not skip).
 *
 * @example
 * const postgres = usePostgres()
 * it('…', async () => {
 *   const url = await postgres().createDatabase()
 * })
 */
export function usePostgres(): () => PostgresServer {
  let server: PostgresServer | undefined
  beforeAll(async () => {
    if (!postgresMissing()) server = await startPostgres()
  }, 120_000)
  afterAll(async () => {
    await server?.stop()
  })
  return () => {
    if (!server) throw new Error(`[test-support] no PostgreSQL server: ${postgresMissing()}`)
    return server
  }
}
