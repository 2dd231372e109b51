/**
 * The composition root, built exactly as the host builds it: `createHostTasse` (what `tasse
 * serve` and `tasse run` use) and an embedder's `createTasse` with `builtinPlugins`, each on a
 * fresh data folder. Every token of `TOKENS` resolves to what the built-in plugins register.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createTasse,
  type LogSink,
  pickRunner,
  type Runner,
  type RunStore,
  type Tasse,
  type TasseLogger,
  TOKENS,
  type TriggerFactory,
} from '@tasse/core'
import { makeTask } from '@tasse/core/testing'
import { builtinPlugins, createHostTasse, readConfig, stateDir } from '@tasse/host'
import { RUNNER_TAG } from '@tasse/runner-poetry'
import { SqliteRunStore } from '@tasse/store-sqlite'
import { cronTriggerFactory } from '@tasse/trigger-cron'
import { dateTriggerFactory } from '@tasse/trigger-date'
import { intervalTriggerFactory } from '@tasse/trigger-interval'
import { rruleTriggerFactory } from '@tasse/trigger-rrule'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const quiet: TasseLogger = { info: () => {}, warn: () => {}, error: () => {} }

const builds: [string, (dataDir: string) => Tasse][] = [
  [
    'createHostTasse (tasse serve)',
    (data) => createHostTasse(readConfig({ data }, {}), { logger: quiet }),
  ],
  [
    'createTasse with builtinPlugins (an embedder)',
    (data) => createTasse({ dataDir: data, plugins: builtinPlugins(data), logger: quiet }),
  ],
]

describe.each(builds)('the container of %s', (_, build) => {
  let dataDir: string
  let tasse: Tasse

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tasse-container-'))
    tasse = build(dataDir)
  })

  afterEach(async () => {
    try {
      await tasse.store.close()
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('resolves every token of TOKENS', () => {
    const c = tasse.container
    // Every token is a symbol (Symbol.for('tasse.…')), typed by what it resolves to.
    for (const [name, token] of Object.entries(TOKENS) as [string, symbol][]) {
      expect(c.isRegistered(token, true), `TOKENS.${name} is registered`).toBe(true)
      expect(c.resolveAll(token).length, `TOKENS.${name} resolves`).toBeGreaterThan(0)
    }
  })

  it('TriggerFactory: one factory per type, interval, cron, date and rrule, the plugins’ own', () => {
    const factories = tasse.container.resolveAll<TriggerFactory>(TOKENS.TriggerFactory)
    expect(factories.map((f) => f.type).sort()).toStrictEqual(['cron', 'date', 'interval', 'rrule'])
    expect(new Set(factories)).toStrictEqual(
      new Set([
        intervalTriggerFactory,
        cronTriggerFactory,
        dateTriggerFactory,
        rruleTriggerFactory,
      ]),
    )
  })

  it('Runner: core’s plain runners and runner-poetry, which runs Python tasks', () => {
    const runners = tasse.container.resolveAll<Runner>(TOKENS.Runner)
    expect(runners.map((r) => r.name).sort()).toStrictEqual(
      ['executable', 'python', RUNNER_TAG, 'shell'].sort(),
    )
    expect(pickRunner(runners, makeTask('report', { entrypoint: 'task.py' })).name).toBe(RUNNER_TAG)
    expect(pickRunner(runners, makeTask('backup', { entrypoint: 'task.sh' })).name).toBe('shell')
  })

  it('LogSink: the file sink', () => {
    const sinks = tasse.container.resolveAll<LogSink>(TOKENS.LogSink)
    expect(sinks.map((s) => s.name)).toStrictEqual(['file'])
  })

  it('RunStore: one SQLite store in <data>/.tasse/tasse.db, the one Tasse uses', async () => {
    const store = tasse.container.resolve<RunStore>(TOKENS.RunStore)
    expect(store).toBeInstanceOf(SqliteRunStore)
    expect(store.name).toBe('sqlite')
    expect(tasse.container.resolve(TOKENS.RunStore), 'resolved twice').toBe(store)
    expect(tasse.store).toBe(store)
    expect(existsSync(join(stateDir(dataDir), 'tasse.db'))).toBe(true)
    expect(await store.listRuns()).toStrictEqual({ runs: [], nextCursor: null })
  })

  it('Logger: the logger given', () => {
    expect(tasse.container.resolve(TOKENS.Logger)).toBe(quiet)
    expect(tasse.logger).toBe(quiet)
  })
})
