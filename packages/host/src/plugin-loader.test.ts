import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { registerPlugins } from '@tasse/core'
import { describe, expect, it } from 'vitest'
import { CliError, EXIT } from './cli/exit-codes.js'
import { loadPlugins, packageEntry } from './plugin-loader.js'
import { hostPlugins } from './plugins.js'

/** A plugin module's text: a trigger factory of `type`, with no import (runs from anywhere). */
const pluginSource = (name: string, type: string) => `{
  name: ${JSON.stringify(name)},
  register(context) {
    context.addTrigger({ type: ${JSON.stringify(type)}, options: [], create: () => ({
      type: ${JSON.stringify(type)}, timezone: 'UTC', describe: () => ${JSON.stringify(type)},
      nextFireTime: (previous, now) => (previous ?? now) + 1_000_000,
    }) })
  },
}`

/** A data folder with `node_modules/<name>` holding `files` (package.json given as an object). */
function withPackage(name: string, manifest: object, files: Record<string, string>): string {
  const data = mkdtempSync(join(tmpdir(), 'tasse-loader-'))
  const dir = join(data, 'node_modules', name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, type: 'module', ...manifest }))
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), { recursive: true })
    writeFileSync(join(dir, file), text)
  }
  return data
}

async function failure(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => null,
    (cause: unknown) => cause,
  )
  expect(error).toBeInstanceOf(CliError)
  return error as CliError
}

describe('loadPlugins', () => {
  it("loads a package from the data folder's node_modules by name, through its exports", async () => {
    const data = withPackage(
      'tasse-trigger-tick',
      { version: '1.2.3', exports: { '.': { types: './x.d.ts', import: './dist/main.js' } } },
      { 'dist/main.js': `export default ${pluginSource('tasse-trigger-tick', 'tick')}` },
    )
    const [loaded] = await loadPlugins([{ spec: 'tasse-trigger-tick', source: '--plugin' }], data)
    expect(loaded?.label).toBe('tasse-trigger-tick@1.2.3')
    expect(loaded?.file).toBe(join(data, 'node_modules/tasse-trigger-tick/dist/main.js'))
    const config = { dataDir: data, store: null, fileMode: 0o600 }
    const plugins = await hostPlugins({
      ...config,
      plugins: [{ spec: 'tasse-trigger-tick', source: 'TASSE_PLUGINS' }],
    })
    expect([...registerPlugins(plugins).triggerFactories().keys()]).toContain('tick')
  })

  it('takes `plugin`, or a factory given the options (from tasse.yaml)', async () => {
    const data = withPackage(
      'tasse-trigger-made',
      { version: '0.0.1', main: 'index.js' },
      {
        'index.js': `export default (options) => ({ ...${pluginSource('made', 'made')}, name: 'made ' + options.suffix })`,
        'named.js': `export const plugin = ${pluginSource('named', 'named')}`,
      },
    )
    const dir = join(data, 'node_modules', 'tasse-trigger-made')
    const loaded = await loadPlugins(
      [
        { spec: 'tasse-trigger-made', source: 'f', options: { suffix: 'x' } },
        { spec: join(dir, 'named.js'), source: '--plugin' },
      ],
      data,
    )
    expect(loaded.map((l) => l.plugin.name)).toEqual(['made x', 'named'])
    // A file inside a package is labelled with that package's name and version.
    expect(loaded[1]?.label).toBe('tasse-trigger-made@0.0.1')
  })

  it('stops at a plugin that is not found, naming the spec, its source, where it looked and the fix', async () => {
    const data = mkdtempSync(join(tmpdir(), 'tasse-loader-'))
    const error = await failure(
      loadPlugins([{ spec: 'tasse-trigger-nope', source: 'TASSE_PLUGINS' }], data),
    )
    expect(error.exitCode).toBe(EXIT.notFound)
    expect(error.message).toMatch(
      /^plugin "tasse-trigger-nope" \(TASSE_PLUGINS\) was not found: looked in \S+\/node_modules, /,
    )
    expect(error.message).toContain(join(data, 'node_modules'))
    expect(error.message).toContain(
      `(install it with: npm install --prefix ${data} tasse-trigger-nope)`,
    )
    const path = await failure(
      loadPlugins([{ spec: '/no/such/plugin.js', source: '--plugin' }], data),
    )
    expect(path.message).toBe(
      'plugin "/no/such/plugin.js" (--plugin) was not found: looked in /no/such/plugin.js',
    )
  })

  it.each([
    ['export default {', 'failed to load from'],
    ['throw new Error("no database")', 'failed to load from .*: no database'],
    ['export const x = 1', 'it exports no plugin: expected `default` or `plugin` .*; it exports x'],
    ['export default () => 42', 'its factory returned number, not a plugin'],
    ['export default async () => { throw new Error("bad options") }', ': bad options'],
  ])('stops at a module %j, with the cause', async (text, message) => {
    const data = withPackage('tasse-trigger-broken', {}, { 'index.js': text })
    const error = await failure(loadPlugins([{ spec: 'tasse-trigger-broken', source: 'f' }], data))
    expect(error.exitCode).toBe(EXIT.failed)
    expect(error.message).toMatch(new RegExp(`^plugin "tasse-trigger-broken" \\(f\\) .*${message}`))
  })

  it('refuses options for a module that exports a plugin, not a factory', async () => {
    const data = withPackage(
      'tasse-trigger-fixed',
      {},
      {
        'index.js': `export default ${pluginSource('fixed', 'fixed')}`,
      },
    )
    const error = await failure(
      loadPlugins([{ spec: 'tasse-trigger-fixed', source: 'f', options: { a: 1 } }], data),
    )
    expect(error.message).toContain('options are given but the module exports a plugin')
  })

  it('a plugin adding a built-in trigger type stops the host, naming both plugins', async () => {
    const data = withPackage(
      'tasse-trigger-cron2',
      {},
      {
        'index.js': `export default ${pluginSource('tasse-trigger-cron2', 'cron')}`,
      },
    )
    const plugins = await hostPlugins({
      dataDir: data,
      store: null,
      fileMode: 0o600,
      plugins: [{ spec: 'tasse-trigger-cron2', source: '--plugin' }],
    })
    expect(() => registerPlugins(plugins)).toThrow(
      'trigger type "cron" is already added by @tasse/trigger-cron; tasse-trigger-cron2 adds it too',
    )
  })
})

describe('packageEntry', () => {
  it.each([
    [{ exports: './a.js' }, './a.js'],
    [{ exports: { '.': './b.js', './x': './x.js' } }, './b.js'],
    [{ exports: { require: './c.cjs', import: './c.js' } }, './c.js'],
    [{ exports: { '.': { node: { import: './d.js' }, default: './e.js' } } }, './d.js'],
    [{ main: 'main.js' }, 'main.js'],
    [{}, 'index.js'],
  ])('%j → %s', (manifest, entry) => {
    expect(packageEntry(manifest)).toBe(entry)
  })
})
