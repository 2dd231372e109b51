/**
 * The README's first commands in a fresh clone of this repository (its committed HEAD): after
 * `npm ci`, `npx tasse` runs the checkout's own CLI, with no registry reachable. The bin is a
 * committed launcher (packages/host/bin/tasse.js), so `npm ci` links it before dist/ exists;
 * without it, npx would ask the registry for a package named `tasse`.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
let clone: string

/** `npx tasse ARGS` in the clone, offline, with the registry pointed at a closed port. */
function npxTasse(...args: string[]) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('TASSE_')),
  )
  const result = spawnSync('npx', ['tasse', ...args], {
    cwd: clone,
    encoding: 'utf8',
    env: { ...env, npm_config_offline: 'true', npm_config_registry: 'http://127.0.0.1:9/' },
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

beforeAll(() => {
  clone = join(mkdtempSync(join(tmpdir(), 'tasse-clone-')), 'tasse')
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
  execFileSync('git', ['clone', '--quiet', ROOT, clone])
  execFileSync('git', ['checkout', '--quiet', head], { cwd: clone })
  // --ignore-scripts: better-sqlite3's build (minutes, from source when its prebuilt binary
  // cannot be downloaded) is not what this test is about, and no command below opens a store.
  execFileSync('npm', ['ci', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: clone,
    stdio: 'ignore',
  })
}, 300_000)

describe('a fresh clone', () => {
  it('npm ci links the tasse bin to the committed launcher; before a build, it says to build', () => {
    expect(readlinkSync(join(clone, 'node_modules', '.bin', 'tasse'))).toBe(
      '../@tasse/host/bin/tasse.js',
    )
    const before = npxTasse('--help')
    expect(before.code).toBe(1)
    expect(before.stderr).toContain(
      'does not exist: build tasse first (npm run build, or npm start)',
    )
  })

  it('after the build npm start does, npx tasse --help and npx tasse next run the local CLI', () => {
    execFileSync('npm', ['run', 'build'], { cwd: clone, stdio: 'ignore' })
    const help = npxTasse('--help')
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/^Usage: tasse <command> \[options\]/)
    const next = npxTasse('next', 'data/tasks/helloworld', '--count', '2')
    expect(next.code).toBe(0)
    expect(next.stdout).toMatch(/^data\/tasks\/helloworld: interval\[0:00:10\] in UTC\n {2}\d{4}-/)
  }, 300_000)
})
