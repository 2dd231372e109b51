import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readConfig } from './config.js'
import { readPluginSpecs } from './plugin-specs.js'

function dataFolder(yaml?: string): string {
  const data = mkdtempSync(join(tmpdir(), 'tasse-specs-'))
  mkdirSync(join(data, 'tasks'))
  if (yaml !== undefined) writeFileSync(join(data, 'tasse.yaml'), yaml)
  return data
}

describe('readPluginSpecs', () => {
  it('reads tasse.yaml, then TASSE_PLUGINS, then --plugin, each named once', () => {
    const data = dataFolder(
      'plugins:\n  - tasse-trigger-a\n  - name: ./local/plugin.js\n    options: {holidays: [2026-12-25]}\n',
    )
    const specs = readPluginSpecs(data, ['tasse-trigger-c', 'tasse-trigger-a'], {
      TASSE_PLUGINS: ' tasse-trigger-b, ,@scope/tasse-trigger-d',
    })
    expect(specs).toEqual([
      { spec: 'tasse-trigger-a', source: `${join(data, 'tasse.yaml')}: plugins[0]` },
      {
        spec: join(data, 'local/plugin.js'),
        source: `${join(data, 'tasse.yaml')}: plugins[1]`,
        options: { holidays: ['2026-12-25'] },
      },
      { spec: 'tasse-trigger-b', source: 'TASSE_PLUGINS' },
      { spec: '@scope/tasse-trigger-d', source: 'TASSE_PLUGINS' },
      { spec: 'tasse-trigger-c', source: '--plugin' },
    ])
  })

  it('resolves paths of the flag and the variable from the working folder', () => {
    expect(readPluginSpecs(dataFolder(), './p.js', {})).toEqual([
      { spec: resolve('p.js'), source: '--plugin' },
    ])
  })

  it('is empty without a file, a variable or a flag; readConfig carries it', () => {
    const data = dataFolder()
    expect(readPluginSpecs(data, undefined, {})).toEqual([])
    expect(readConfig({ data, plugin: ['x'] }, {}).plugins).toEqual([
      { spec: 'x', source: '--plugin' },
    ])
  })

  it.each([
    ['plugin:\n  - x\n', 'tasse.yaml: plugin is not a known key (did you mean "plugins"?)'],
    ['plugins: tasse-trigger-x\n', 'tasse.yaml: plugins must be a list of package names or paths'],
    [
      'plugins:\n  - 42\n',
      'tasse.yaml: plugins[0] must be a package name, a path, or {name, options}, got 42',
    ],
    [
      'plugins:\n  - {name: x, option: {}}\n',
      'plugins[0]: option is not a known key (did you mean "options"?)',
    ],
    [
      'plugins:\n  - {options: {}}\n',
      'plugins[0]: name must be a package name or a path, got nothing',
    ],
    ['plugins:\n  - {name: x, options: [1]}\n', 'plugins[0]: options must be a mapping'],
    ['plugins: [x\n', 'tasse.yaml is not valid YAML at line'],
    ['- x\n', 'tasse.yaml must hold a mapping of keys (plugins, notify, limits), got ["x"]'],
  ])('refuses %j naming the file and the key', (yaml, message) => {
    const data = dataFolder(yaml)
    expect(() => readPluginSpecs(data, undefined, {})).toThrow(message)
    // What a command does with it: a usage error (exit 2) naming the file.
    expect(() => readConfig({ data }, {})).toThrow(join(data, 'tasse.yaml'))
  })
})
