/**
 * The example plugin (examples/trigger-plugin) as an operator installs it: built, packed with
 * `npm pack`, and installed from the tarball into a data folder's node_modules with
 * `--legacy-peer-deps` (the host's @tasse/core is the one used), as docs/writing-a-plugin.md
 * says. Shared by the host's plugins-by-name test and the container test.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The example plugin's package name. */
export const EXAMPLE_PLUGIN = 'tasse-trigger-business-days'

/** Builds, packs and installs the example plugin into `dataDir`; throws with npm's output. */
export function installExamplePlugin(dataDir) {
  const packed = mkdtempSync(join(process.env.TASSE_TEST_TMP ?? tmpdir(), 'tasse-plugin-'))
  try {
    run('npx', ['tsc', '-b', 'examples/trigger-plugin'], ROOT)
    run('npm', ['pack', '--pack-destination', packed, './examples/trigger-plugin'], ROOT)
    const tarball = join(packed, readdirSync(packed)[0] ?? 'no tarball')
    const flags = ['--offline', '--legacy-peer-deps', '--no-audit', '--no-fund']
    run('npm', ['install', '--prefix', dataDir, ...flags, tarball], dataDir)
  } finally {
    rmSync(packed, { recursive: true, force: true })
  }
}

/** `HH:MM:SS` (UTC) every 5 seconds for `count` times, from `afterSeconds` from now. */
export function soonTimes(count, afterSeconds) {
  const start = Math.ceil(Date.now() / 5000) * 5 + afterSeconds
  return Array.from({ length: count }, (_, i) => {
    const second = (start + i * 5) % 86_400
    const hms = [Math.floor(second / 3600), Math.floor(second / 60) % 60, second % 60]
    return hms.map((n) => String(n).padStart(2, '0')).join(':')
  })
}

/** A task.yaml on the example's trigger, every day, at `times`. */
export function businessDaysYaml(times) {
  return `scheduler:\n  trigger: business_days\n  weekdays: mon-sun\n  times: [${times.join(', ')}]\n`
}

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' })
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${result.stderr}`)
}
