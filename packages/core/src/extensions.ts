/**
 * The extension points of one Tasse instance, filled by plugins through a `PluginContext`.
 *
 * tsyringe does the bookkeeping, on a child container per instance (two instances in one
 * process never see each other's plugins): several registrations under one token for triggers,
 * runners and sinks (`resolveAll`, in the order they were added), the last registration for the
 * store and the logger, and cached factories (`instanceCachingFactory`) for what costs something
 * to open, so the SQLite file is opened when the store is first used, never by loading plugins.
 * Plugins see none of it: no decorators, no tokens, no container.
 */
// tsyringe refuses to load without a Reflect metadata polyfill, even with no decorators in use.
import 'reflect-metadata'
import {
  type DependencyContainer,
  type InjectionToken,
  instanceCachingFactory,
  container as rootContainer,
} from 'tsyringe'
import { TasseError } from './errors.js'
import { consoleLogger } from './logger.js'
import { MemoryRunStore } from './memory-store.js'
import { plainRunners } from './plain-runners.js'
import type {
  LogSink,
  PluginContext,
  Runner,
  RunStore,
  TasseLogger,
  TassePlugin,
  TriggerFactory,
} from './types.js'

const TOKENS = {
  TriggerFactory: Symbol('tasse.TriggerFactory') as InjectionToken<TriggerFactory>,
  Runner: Symbol('tasse.Runner') as InjectionToken<Runner>,
  LogSink: Symbol('tasse.LogSink') as InjectionToken<LogSink>,
  RunStore: Symbol('tasse.RunStore') as InjectionToken<RunStore>,
  Logger: Symbol('tasse.Logger') as InjectionToken<TasseLogger>,
}

/** What an instance's plugins provide, read-only. */
export interface ExtensionPoints {
  /** The trigger factories by `trigger:` type. */
  triggerFactories(): ReadonlyMap<string, TriggerFactory>
  /** The runners, in the order they were added (core's plain ones first). */
  runners(): readonly Runner[]
  /** The log sinks, in the order they were added (made on the first call). */
  logSinks(): readonly LogSink[]
  /** The run store (opened on the first call, then the same one). */
  runStore(): RunStore
  /** The run store if it is open (set as an object, or made by a first `runStore()`): close it. */
  openedRunStore(): RunStore | undefined
  logger(): TasseLogger
}

/**
 * Core's own extensions, registered before any plugin: the plain runners, a memory store and
 * the console logger (a plugin or an option may replace the last two).
 */
export const corePlugin: TassePlugin = {
  name: '@tasse/core',
  register(context) {
    context.setLogger(consoleLogger())
    context.setRunStore(() => new MemoryRunStore())
    for (const runner of plainRunners()) context.addRunner(runner)
  },
}

export class Extensions implements ExtensionPoints {
  readonly #container: DependencyContainer = rootContainer.createChildContainer()
  /** Which plugin added each trigger type, to name both when a second one adds it. */
  readonly #triggerOwners = new Map<string, string>()
  #store: { opened: boolean } = { opened: false }

  /** Registers `plugins` in order; a plugin that throws is named in the error. */
  constructor(plugins: readonly TassePlugin[]) {
    for (const plugin of plugins) {
      try {
        plugin.register(this.#contextFor(plugin))
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause)
        throw new TasseError('plugin', `plugin ${plugin.name} failed to register: ${reason}`, {
          cause,
        })
      }
    }
  }

  triggerFactories(): ReadonlyMap<string, TriggerFactory> {
    return new Map(this.#all(TOKENS.TriggerFactory).map((factory) => [factory.type, factory]))
  }

  runners(): readonly Runner[] {
    return this.#all(TOKENS.Runner)
  }

  logSinks(): readonly LogSink[] {
    return this.#all(TOKENS.LogSink)
  }

  runStore(): RunStore {
    return this.#container.resolve(TOKENS.RunStore)
  }

  openedRunStore(): RunStore | undefined {
    return this.#store.opened ? this.runStore() : undefined
  }

  logger(): TasseLogger {
    return this.#container.resolve(TOKENS.Logger)
  }

  #all<T>(token: InjectionToken<T>): T[] {
    return this.#container.isRegistered(token) ? this.#container.resolveAll(token) : []
  }

  #contextFor(plugin: TassePlugin): PluginContext {
    const container = this.#container
    const owners = this.#triggerOwners
    return {
      addTrigger: (factory) => {
        const owner = owners.get(factory.type)
        if (owner !== undefined)
          throw new TasseError(
            'plugin',
            `trigger type "${factory.type}" is already added by ${owner}; ${plugin.name} adds it too (load one of the two)`,
          )
        owners.set(factory.type, plugin.name)
        container.register(TOKENS.TriggerFactory, { useValue: factory })
      },
      addRunner: (runner) => {
        container.register(TOKENS.Runner, { useValue: runner })
      },
      addLogSink: (sink) => {
        if (typeof sink === 'function')
          container.register(TOKENS.LogSink, { useFactory: instanceCachingFactory(sink) })
        else container.register(TOKENS.LogSink, { useValue: sink })
      },
      setRunStore: (store) => {
        // Each store set gets its own flag: the one in force is what `openedRunStore` asks about.
        const state = { opened: typeof store !== 'function' }
        this.#store = state
        const make = typeof store === 'function' ? store : () => store
        container.register(TOKENS.RunStore, {
          useFactory: instanceCachingFactory(() => {
            state.opened = true
            return make()
          }),
        })
      },
      setLogger: (logger) => {
        container.register(TOKENS.Logger, { useValue: logger })
      },
    }
  }
}

/**
 * Core's extensions and those of `plugins`, without a Tasse instance: for tools that only read
 * (the trigger factories to load tasks with, the runners to check them against).
 *
 * @example
 * import { registerPlugins } from '@tasse/core'
 * import { plugin as cron } from '@tasse/trigger-cron'
 * const factories = registerPlugins([cron]).triggerFactories()
 */
export function registerPlugins(plugins: readonly TassePlugin[]): ExtensionPoints {
  return new Extensions([corePlugin, ...plugins])
}
