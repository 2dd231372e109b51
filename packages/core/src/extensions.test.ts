import { describe, expect, it } from 'vitest'
import { TasseError } from './errors.js'
import { Extensions, registerPlugins } from './extensions.js'
import { MemoryRunStore } from './memory-store.js'
import { triggerPlugin } from './plugin-kit.js'
import type { LogSink, Runner, TasseLogger, TassePlugin, TriggerFactory } from './types.js'

const factory = (type: string): TriggerFactory => ({
  type,
  options: [],
  create: () => ({ type, timezone: 'UTC', describe: () => type, nextFireTime: () => null }),
})
const runner = (name: string): Runner => ({
  name,
  priority: 5,
  claims: () => true,
  prepare: async () => ({ command: 'true', args: [] }),
})
const sink = (name: string): LogSink => ({
  name,
  runStarted: () => {},
  output: () => {},
  runEnded: () => {},
})

describe('Extensions', () => {
  it('holds core’s plain runners and memory store, then what each plugin adds, in order', () => {
    const extensions = registerPlugins([
      { name: 'a', register: (context) => context.addRunner(runner('a')) },
      { name: 'b', register: (context) => context.addRunner(runner('b')) },
    ])
    expect(extensions.runners().map((r) => r.name)).toEqual([
      'python',
      'shell',
      'executable',
      'a',
      'b',
    ])
    expect(extensions.runStore()).toBeInstanceOf(MemoryRunStore)
    expect(extensions.logSinks()).toEqual([])
  })

  it('adds trigger factories by type; a type added twice names both plugins', () => {
    const one = triggerPlugin({ name: '@acme/every', factory: factory('every') })
    expect(registerPlugins([one]).triggerFactories().get('every')?.type).toBe('every')
    const two = triggerPlugin({ name: '@other/every', factory: factory('every') })
    const error = (() => {
      try {
        registerPlugins([one, two])
      } catch (cause) {
        return cause
      }
    })()
    expect(error).toBeInstanceOf(TasseError)
    expect(error).toMatchObject({
      code: 'plugin',
      message:
        'plugin @other/every failed to register: trigger type "every" is already added by @acme/every; @other/every adds it too (load one of the two)',
    })
  })

  it('names the plugin whose register throws, keeping the cause', () => {
    const cause = new Error('no licence key')
    const broken: TassePlugin = {
      name: '@acme/broken',
      register() {
        throw cause
      },
    }
    expect(() => registerPlugins([broken])).toThrow(
      'plugin @acme/broken failed to register: no licence key',
    )
    try {
      registerPlugins([broken])
    } catch (error) {
      expect((error as Error).cause).toBe(cause)
    }
  })

  it('makes a store or a sink given as a function once, when first asked for', () => {
    let stores = 0
    let sinks = 0
    const extensions = new Extensions([
      {
        name: 'lazy',
        register(context) {
          context.setRunStore(() => {
            stores++
            return new MemoryRunStore()
          })
          context.addLogSink(() => {
            sinks++
            return sink('lazy')
          })
        },
      },
    ])
    expect([stores, sinks]).toEqual([0, 0])
    expect(extensions.openedRunStore()).toBeUndefined()
    const store = extensions.runStore()
    expect(extensions.runStore()).toBe(store)
    expect(extensions.openedRunStore()).toBe(store)
    expect(extensions.logSinks()).toEqual(extensions.logSinks())
    expect([stores, sinks]).toEqual([1, 1])
  })

  it('keeps the last store and logger set; a store set as an object counts as open', () => {
    const logger: TasseLogger = { info: () => {}, warn: () => {}, error: () => {} }
    const store = new MemoryRunStore()
    const extensions = registerPlugins([
      { name: 'x', register: (context) => context.setRunStore(() => new MemoryRunStore()) },
      {
        name: 'y',
        register(context) {
          context.setRunStore(store)
          context.setLogger(logger)
        },
      },
    ])
    expect(extensions.openedRunStore()).toBe(store)
    expect(extensions.runStore()).toBe(store)
    expect(extensions.logger()).toBe(logger)
  })

  it('gives each instance its own registrations', () => {
    const plugin: TassePlugin = { name: 'p', register: (c) => c.addLogSink(() => sink('p')) }
    const [a, b] = [registerPlugins([plugin]), registerPlugins([plugin])]
    expect(a.logSinks()[0]).not.toBe(b.logSinks()[0])
    expect(registerPlugins([]).logSinks()).toEqual([])
  })
})
