/**
 * A plugin as an outsider uses one: the example plugin (examples/trigger-plugin) packed with
 * `npm pack`, installed from its tarball into a data folder's node_modules (as an operator does
 * in the container, without rebuilding anything), then named to the built `tasse` CLI with
 * `--plugin` and `TASSE_PLUGINS`: `validate` and `next` understand its trigger, `serve` logs it
 * and fires a task on it, and a misspelt name stops the start with a clear message.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  businessDaysYaml,
  EXAMPLE_PLUGIN,
  installExamplePlugin,
  soonTimes,
} from '../../../test/example-plugin.mjs'
import { dataWith, type HostProcess, killHosts, spawnTasse, until } from './host-process.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const PLUGIN = EXAMPLE_PLUGIN
const hosts: Omit<HostProcess, 'url'>[] = []
let data: string

/** Runs `tasse ARGS` to its end: exit code and output. */
async function tasse(args: string[], env: NodeJS.ProcessEnv = {}) {
  const run = spawnTasse(args, { TASSE_PLUGINS: '', ...env })
  hosts.push(run)
  const { code } = await run.exited
  return { code, output: run.output() }
}

beforeAll(() => {
  execFileSync('npx', ['tsc', '-b', 'packages/host'], { cwd: ROOT, stdio: 'inherit' })
  data = dataWith({
    report: {
      'task.py': 'print("report for the business day")\n',
      // Every 5 s for ten minutes: on a loaded machine the serve tests come minutes later.
      'task.yaml': businessDaysYaml(soonTimes(120, 5)),
    },
  })
  installExamplePlugin(data)
}, 180_000)

afterEach(() => killHosts(hosts as HostProcess[]))

describe('a plugin installed into the data folder, loaded by name', () => {
  it('validate refuses the task without the plugin, and accepts it with --plugin', async () => {
    const without = await tasse(['validate', data])
    expect(without.code).toBe(1)
    expect(without.output).toContain(
      'scheduler.trigger "business_days" is not a known trigger type; expected one of: interval, cron, date, rrule (a trigger type from a plugin package needs that plugin loaded)',
    )
    const withPlugin = await tasse(['validate', data, '--plugin', PLUGIN])
    expect(withPlugin).toEqual({ code: 0, output: expect.stringContaining('ok       report') })
  })

  it('list and run understand the task with --plugin', async () => {
    const list = await tasse(['list', '--data', data, '--plugin', PLUGIN])
    expect(list.code).toBe(0)
    expect(list.output).toMatch(/report +ok +business days \(mon,tue,wed,thu,fri,sat,sun\) at /)
    const run = await tasse(['run', 'report', '--data', data, '--plugin', PLUGIN])
    expect(run).toEqual({ code: 0, output: expect.stringContaining('report for the business day') })
  })

  it('next shows its fire times with TASSE_PLUGINS', async () => {
    const next = await tasse(
      ['next', join(data, 'tasks', 'report'), '--data', data, '--count', '2'],
      {
        TASSE_PLUGINS: PLUGIN,
      },
    )
    expect(next.code).toBe(0)
    expect(next.output).toMatch(/business days \(mon,tue,wed,thu,fri,sat,sun\) at .* in UTC/)
    expect(next.output.trim().split('\n')).toHaveLength(3)
  })

  it.each([
    ['--plugin', ['--plugin', PLUGIN], {}],
    ['TASSE_PLUGINS', [], { TASSE_PLUGINS: PLUGIN }],
  ])('serve with %s logs name@version and fires a task on its trigger', async (_, args, env) => {
    const log = join(data, 'logs', 'report', 'log.txt')
    const before = existsSync(log) ? readFileSync(log, 'utf8').split('\n').length : 0
    const host = spawnTasse(['serve', '--data', data, '--port', '0', ...args], {
      TASSE_PLUGINS: '',
      ...env,
    })
    hosts.push(host)
    await until(() => /serving .* on http/.test(host.output()), 30_000, 'the host to listen')
    expect(host.output()).toContain(
      `plugin ${PLUGIN}@0.1.0 (${join(data, 'node_modules', PLUGIN, 'dist', 'index.js')})`,
    )
    await until(
      () => existsSync(log) && readFileSync(log, 'utf8').split('\n').length > before + 2,
      30_000,
      'a fire of the business_days task',
    )
    expect(readFileSync(log, 'utf8')).toContain('report for the business day')
    host.child.kill('SIGTERM')
    expect((await host.exited).code).toBe(0)
  })

  it('a misspelt plugin name stops the start, naming it, where it looked and how to install', async () => {
    const misspelt = await tasse([
      'serve',
      '--data',
      data,
      '--port',
      '0',
      '--plugin',
      'tasse-trigger-busines-days',
    ])
    expect(misspelt.code).toBe(3)
    expect(misspelt.output).toContain(
      `serve: plugin "tasse-trigger-busines-days" (--plugin) was not found: looked in ${join(data, 'node_modules')}, `,
    )
    expect(misspelt.output).toContain(
      `(install it with: npm install --prefix ${data} tasse-trigger-busines-days)`,
    )
    expect(misspelt.output).not.toContain('serving')
  })
})
