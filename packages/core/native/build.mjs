#!/usr/bin/env node
/**
 * Builds the posix_spawn addon (native/tasse-spawn.c) at install time, against the headers of
 * the Node.js that runs the install (include/node beside its bin/, as the Dockerfile does for
 * better-sqlite3) so that nothing is downloaded. Without a compiler the host still works: runs
 * start through child_process, as `tasse serve` says at start. In CI (CI=true) a failed build
 * fails the install, so that the tests never run without the fast path unnoticed.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const nodeDir = process.env.npm_config_nodedir || resolve(process.execPath, '..', '..')
// npm names its own node-gyp to install scripts; run by hand, the one beside npm.
const gyp = [
  process.env.npm_config_node_gyp,
  join(nodeDir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].find((path) => path && existsSync(path))
const [command, args] = gyp ? [process.execPath, [gyp]] : ['node-gyp', []]
const headers = join(nodeDir, 'include', 'node', 'node_api.h')
const result = existsSync(headers)
  ? spawnSync(command, [...args, 'rebuild', '--release', `--nodedir=${nodeDir}`], {
      cwd: packageDir,
      stdio: 'inherit',
    })
  : { status: 1, error: new Error(`no Node.js headers at ${headers}`) }
if (result.status !== 0) {
  const why = result.error?.message ?? `node-gyp exited with status ${result.status}`
  console.error(
    `[tasse] the posix_spawn addon was not built (${why}): runs will start through child_process, slower in a large host. Install python3, make and g++ and run "npm rebuild @tasse/core".`,
  )
  process.exit(process.env.CI === 'true' ? 1 : 0)
}
