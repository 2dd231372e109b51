/**
 * A throwaway PostgreSQL server for the cluster scenario, as the tests' (`@tasse/test-support`,
 * TypeScript the bench cannot import): `initdb` in a temporary folder, `pg_ctl` on a free
 * loopback port, as the `postgres` user when run as root; removed by `stop()`.
 */
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './hosts.mjs'

const BIN = process.env.TASSE_POSTGRES_BIN ?? '/usr/lib/postgresql/15/bin'

/** Why no server can be started here, or null. */
export function postgresProblem() {
  if (!existsSync(join(BIN, 'initdb')))
    return `no PostgreSQL in ${BIN} (apt-get install postgresql)`
  return null
}

export async function startPostgres() {
  const root = process.getuid?.() === 0
  const owner = root
    ? {
        uid: Number(execFileSync('id', ['-u', 'postgres'])),
        gid: Number(execFileSync('id', ['-g', 'postgres'])),
      }
    : null
  const dir = mkdtempSync(join(root ? '/tmp' : tmpdir(), 'tasse-bench-pg-'))
  if (owner) chownSync(dir, owner.uid, owner.gid)
  const data = join(dir, 'data')
  const run = (binary, args) =>
    execFileSync(join(BIN, binary), args, {
      ...(owner ?? {}),
      cwd: dir,
      stdio: 'pipe',
      timeout: 120_000,
    })
  const port = await freePort()
  run('initdb', [
    '-D',
    data,
    '-U',
    'tasse',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ])
  const options = `-p ${port} -k ${dir} -c listen_addresses='127.0.0.1' -c fsync=off -c synchronous_commit=off -c max_connections=200`
  run('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', 'start'])
  let databases = 0
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    process.off('exit', stop)
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  // A bench stopped half-way (an exception, Ctrl-C) leaves no server behind.
  process.once('exit', stop)
  return {
    createDatabase() {
      const name = `bench_${++databases}`
      run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'tasse', name])
      return `postgres://tasse@127.0.0.1:${port}/${name}`
    },
    stop,
  }
}
