#!/usr/bin/env node
/**
 * `node bench/snapshot.mjs [REV] [DIR]`: a clean, built copy of commit REV (default HEAD) to
 * benchmark with `--root DIR` while the working tree is being edited. The copy reuses this
 * checkout's node_modules (copied, workspace links included) instead of installing, then builds
 * with `tsc -b`. Prints the folder.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const rev = process.argv[2] ?? 'HEAD'
const dir = process.argv[3]
  ? resolve(process.argv[3])
  : mkdtempSync(join(tmpdir(), 'tasse-snapshot-'))
mkdirSync(dir, { recursive: true })
const commit = execFileSync('git', ['-C', root, 'rev-parse', rev], { encoding: 'utf8' }).trim()
const archive = spawnSync('git', ['-C', root, 'archive', '--format=tar', commit], {
  maxBuffer: 1 << 30,
})
if (archive.status !== 0) throw new Error(`git archive failed: ${archive.stderr}`)
execFileSync('tar', ['-x', '-C', dir], { input: archive.stdout })
if (!existsSync(join(dir, 'node_modules')))
  cpSync(join(root, 'node_modules'), join(dir, 'node_modules'), {
    recursive: true,
    verbatimSymlinks: true,
  })
const subject = execFileSync('git', ['-C', root, 'log', '-1', '--format=%h %s', commit], {
  encoding: 'utf8',
}).trim()
writeFileSync(join(dir, 'COMMIT'), `${subject}\n`)
const build = spawnSync(join(dir, 'node_modules/.bin/tsc'), ['-b'], { cwd: dir, stdio: 'inherit' })
if (build.status !== 0) {
  console.error(`[bench] the build of ${commit} in ${dir} failed`)
  process.exit(1)
}
// Core's posix_spawn addon, as `npm ci` builds it (a snapshot reuses node_modules instead).
const addon = join(dir, 'packages/core/native/build.mjs')
if (existsSync(addon)) spawnSync(process.execPath, [addon], { stdio: 'inherit' })
console.log(dir)
