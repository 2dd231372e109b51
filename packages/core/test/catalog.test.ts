import { execFileSync } from 'node:child_process'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadCatalog, loadTask, loadTaskSchedule, TasseConfigError } from '@tasse/core'
import { afterEach, describe, expect, it } from 'vitest'
import { Catalog } from '../src/catalog.js'
import { everyPlugin, everyTrigger, FIXTURES } from './helpers.js'

const factories = new Map([[everyTrigger.type, everyTrigger]])
const discovery = join(FIXTURES, 'discovery')

function catalogOf(dir: string) {
  return new Catalog(dir, { factories, defaultTimezone: 'UTC', displayFrom: dir })
}

describe('catalog discovery', () => {
  const catalog = catalogOf(discovery)
  const changes = catalog.scan()
  const errors = new Map(catalog.invalid().map((i) => [i.name, i.error]))

  it('loads the valid folders, with their entrypoints', () => {
    expect(catalog.tasks().map((t) => [t.name, t.entrypoint])).toEqual([
      ['custom-entry', 'run.sh'],
      ['hello', 'task.py'],
      ['shell', 'task.sh'],
    ])
    expect(changes.added.map((t) => t.name)).toEqual(['custom-entry', 'hello', 'shell'])
    expect(catalog.get('hello')?.trigger?.describe()).toBe('every 1000 ms')
    expect(catalog.get('shell')?.trigger).toBeNull()
  })

  it('keeps an error per invalid folder, naming the file and the key', () => {
    expect([...errors.keys()].sort()).toEqual([
      'bad name',
      'bad-yaml',
      'no-entrypoint',
      'no-yaml',
      'typo-key',
      'unknown-trigger',
    ])
    for (const error of errors.values()) expect(error).toBeInstanceOf(TasseConfigError)
    expect(errors.get('bad-yaml')?.message).toBe(
      'bad-yaml/task.yaml is not valid YAML at line 2, column 12: Nested mappings are not allowed in compact mappings',
    )
    expect(errors.get('typo-key')?.message).toBe(
      'typo-key/task.yaml: schedulr is not a known option (did you mean "scheduler"?)',
    )
    expect(errors.get('unknown-trigger')?.message).toContain(
      'unknown-trigger/task.yaml: scheduler.trigger "evry" is not a known trigger type (did you mean "every"?)',
    )
    expect(errors.get('no-yaml')?.message).toContain('no-yaml/task.yaml is missing')
    expect(errors.get('no-entrypoint')?.message).toContain('has no task.py or task.sh')
    expect(errors.get('bad name')?.message).toContain('is not a valid task folder name')
    expect((errors.get('typo-key') as TasseConfigError).field).toBe('schedulr')
  })

  it('leaves hidden folders out', () => {
    expect(catalog.entry('.hidden')).toBeUndefined()
  })
})

describe('catalog rescans', () => {
  let dir = ''
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('reports added, changed and removed tasks, and keeps a last good definition', () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-catalog-'))
    cpSync(join(discovery, 'hello'), join(dir, 'hello'), { recursive: true })
    const catalog = catalogOf(dir)
    expect(catalog.scan().added).toHaveLength(1)
    expect(catalog.scan()).toEqual({ added: [], changed: [], removed: [], invalid: [] })

    // A task writing files into its own folder does not change the task.
    writeFileSync(join(dir, 'hello', 'output.csv'), 'a,b\n')
    expect(catalog.scan()).toEqual({ added: [], changed: [], removed: [], invalid: [] })

    writeFileSync(join(dir, 'hello', 'task.yaml'), 'scheduler:\n  trigger: every\n  ms: 50\n')
    expect(catalog.scan().changed.map((t) => t.trigger?.describe())).toEqual(['every 50 ms'])

    writeFileSync(join(dir, 'hello', 'task.yaml'), 'scheduler: [broken\n')
    const broken = catalog.scan()
    expect(broken.invalid.map((i) => i.name)).toEqual(['hello'])
    expect(catalog.get('hello')?.trigger?.describe()).toBe('every 50 ms')
    expect(catalog.invalid()[0]?.error.message).toContain('hello/task.yaml is not valid YAML')

    rmSync(join(dir, 'hello'), { recursive: true })
    expect(catalog.scan().removed.map((t) => t.name)).toEqual(['hello'])
    expect(catalog.tasks()).toEqual([])
  })
})

// Issue #12, item 9 and the smaller ones: what a task folder holds is checked before it is read.
describe('catalog on files that are not what they seem', () => {
  let dir = ''
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  function folder(name: string, files: Record<string, string>): string {
    const path = join(dir, 'tasks', name)
    mkdirSync(path, { recursive: true })
    for (const [file, content] of Object.entries(files)) writeFileSync(join(path, file), content)
    return path
  }

  it('names the file in every error, and never shows what an outside link points to', () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-catalog-'))
    writeFileSync(join(dir, 'outside.txt'), 'SECRET: first line\n')
    execFileSync('mkfifo', [join(folder('fifo', { 'task.sh': 'echo\n' }), 'task.yaml')])
    mkdirSync(join(folder('yaml-folder', { 'task.sh': 'echo\n' }), 'task.yaml'))
    mkdirSync(join(folder('py-folder', { 'task.yaml': '' }), 'task.py'))
    symlinkSync('../../outside.txt', join(folder('escape', { 'task.sh': 'echo\n' }), 'task.yaml'))
    symlinkSync('/dev/zero', join(folder('device', { 'task.yaml': 'entrypoint: run' }), 'run'))
    folder('bomb', {
      'task.sh': 'echo\n',
      'task.yaml': [
        'a: &a [x, x, x, x, x, x, x, x, x]',
        ...'bcdefg'.split('').map((k, i) => {
          const prev = 'abcdefg'[i]
          return `${k}: &${k} [${Array(9).fill(`*${prev}`).join(', ')}]`
        }),
        '',
      ].join('\n'),
    })
    folder('long', { 'task.sh': 'echo\n', 'task.yaml': `description: ${'x'.repeat(10_000)}\n` })
    folder('huge', { 'task.sh': 'echo\n', 'task.yaml': `# ${'x'.repeat(300 * 1024)}\n` })

    const catalog = catalogOf(join(dir, 'tasks'))
    const started = Date.now()
    catalog.scan()
    expect(Date.now() - started, 'the FIFO did not block the scan').toBeLessThan(5000)
    const errors = Object.fromEntries(catalog.invalid().map((i) => [i.name, i.error.message]))
    expect(errors).toEqual({
      bomb: expect.stringMatching(
        /^bomb\/task\.yaml cannot be read as YAML: Excessive alias count/,
      ),
      device: expect.stringContaining(
        `device/task.yaml: entrypoint names "run", which is a link that leads outside the task's folder`,
      ),
      escape: expect.stringContaining(
        "escape/task.yaml is a link that leads outside the task's folder",
      ),
      fifo: 'fifo/task.yaml is a FIFO (named pipe), not a regular file',
      huge: expect.stringContaining('huge/task.yaml is larger than the 256 KiB a task file may be'),
      long: expect.stringContaining('long/task.yaml: description must be at most 4096 characters'),
      'py-folder': expect.stringContaining('py-folder/task.py is a folder, not a regular file'),
      'yaml-folder': 'yaml-folder/task.yaml is a folder, not a regular file',
    })
    expect(JSON.stringify(errors)).not.toContain('SECRET')
  })
})

// Issue #12, item 2: the tasks folder itself becomes unreadable, not a folder, or goes away.
describe('catalog when the tasks folder cannot be listed', () => {
  let dir = ''
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('keeps every task and says why, until the folder is back', () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-catalog-'))
    const tasks = join(dir, 'tasks')
    const catalog = catalogOf(tasks)
    // Never there: no task, and no problem (it may be created later).
    expect(catalog.scan()).toEqual({ added: [], changed: [], removed: [], invalid: [] })
    cpSync(join(discovery, 'hello'), join(tasks, 'hello'), { recursive: true })
    expect(catalog.scan().added.map((t) => t.name)).toEqual(['hello'])

    renameSync(tasks, join(dir, 'tasks.old'))
    writeFileSync(tasks, 'not a folder')
    const swapped = catalog.scan()
    expect(swapped).toEqual({
      added: [],
      changed: [],
      removed: [],
      invalid: [],
      problem: `${tasks} is not a folder; every task keeps its last definition until it can be read again`,
    })
    expect(catalog.problem()).toBe(swapped.problem)
    expect(catalog.tasks().map((t) => t.name)).toEqual(['hello'])

    rmSync(tasks)
    expect(catalog.scan().problem).toMatch(/tasks is gone \(moved or deleted\?\)/)
    symlinkSync('tasks', tasks) // a link to itself: ELOOP, which root cannot read past either
    expect(catalog.scan().problem).toMatch(/tasks cannot be read: .*\(ELOOP\)/)
    rmSync(tasks)

    renameSync(join(dir, 'tasks.old'), tasks)
    expect(catalog.scan()).toEqual({ added: [], changed: [], removed: [], invalid: [] })
    expect(catalog.problem()).toBeNull()
    expect(catalog.tasks().map((t) => t.name)).toEqual(['hello'])
  })
})

describe('loadCatalog', () => {
  it('discovers and validates a tasks folder with the plugins’ trigger factories, reading only', () => {
    const catalog = loadCatalog(discovery, {
      plugins: [everyPlugin],
      defaultTimezone: 'UTC',
      displayFrom: discovery,
    })
    expect(catalog.tasks().map((t) => t.name)).toEqual(['custom-entry', 'hello', 'shell'])
    expect(catalog.names()).toEqual([
      'bad name',
      'bad-yaml',
      'custom-entry',
      'hello',
      'no-entrypoint',
      'no-yaml',
      'shell',
      'typo-key',
      'unknown-trigger',
    ])
    expect(catalog.info('hello', null)).toMatchObject({ state: 'ok', error: null, schedule: null })
    expect(catalog.info('bad-yaml', null)).toMatchObject({ state: 'invalid', task: null })
    const paused = { task: 'hello', lastFireTime: null, nextFireTime: null, paused: true }
    expect(catalog.info('hello', paused)?.state).toBe('paused')
    expect(catalog.info('nope', null)).toBeUndefined()
  })

  it('knows no trigger type without the plugins that add them', () => {
    const catalog = loadCatalog(discovery, { displayFrom: discovery })
    expect(catalog.get('hello')).toBeUndefined()
    expect(catalog.entry('hello')?.error?.error.message).toContain(
      'scheduler.trigger "every" is not a known trigger type',
    )
  })
})

describe('task.yaml, read once for every purpose', () => {
  let dir = ''
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('refuses a key given twice, for a whole task and for its schedule alone', () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-yaml-'))
    cpSync(join(discovery, 'hello'), join(dir, 'twice'), { recursive: true })
    writeFileSync(
      join(dir, 'twice', 'task.yaml'),
      'scheduler:\n  trigger: every\n  ms: 50\n  ms: 60\n',
    )
    const options = { factories, defaultTimezone: 'UTC', displayFrom: dir }
    const message =
      /^twice\/task\.yaml is not valid YAML at line 4, column 3: Map keys must be unique/
    expect(() => loadTaskSchedule(join(dir, 'twice'), options)).toThrow(message)
    expect(catalogOf(dir).scan().invalid[0]?.error.message).toMatch(message)
    writeFileSync(join(dir, 'twice', 'task.yaml'), 'scheduler:\n  trigger: every\n  ms: 50\n')
    expect(loadTaskSchedule(join(dir, 'twice', 'task.yaml'), options)?.describe()).toBe(
      'every 50 ms',
    )
  })
})

describe('every problem of a task, each where it is written (#18)', () => {
  let dir = ''
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('keeps them all, in the readers’ order, the first as the error loadTask throws', () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-problems-'))
    mkdirSync(join(dir, 'many'))
    writeFileSync(join(dir, 'many', 'task.sh'), 'echo\n')
    const yaml = [
      'timeout: soon',
      'scheduler:',
      '  trigger: every',
      '  ms: 50',
      '  often: true',
      'overlap: sometimes',
      'params:',
      '  - {name: a, required: maybe, arg: 1}',
      'descripton: typo',
      '',
    ].join('\n')
    writeFileSync(join(dir, 'many', 'task.yaml'), yaml)
    const [invalid] = catalogOf(dir).scan().invalid
    const problems = (invalid?.problems ?? []) as TasseConfigError[]
    expect(problems.map((p) => [p.field, p.line, p.column])).toEqual([
      ['descripton', 9, 1],
      ['scheduler.often', 5, 3],
      ['overlap', 6, 1],
      ['timeout', 1, 1],
      ['params[0].required', 8, 15],
      ['params[0].arg', 8, 32],
    ])
    expect(invalid?.error).toBe(problems[0])
    expect(() =>
      loadTask(join(dir, 'many'), { factories, defaultTimezone: 'UTC', displayFrom: dir }),
    ).toThrow(problems[0]?.message as string)
    expect(problems[3]?.positioned()).toBe(
      'many/task.yaml:1:1: timeout must be a duration such as "90s", "15m", "2h" or "1h30m" (or a number of seconds), got "soon"',
    )
  })
})
