/**
 * The composition root, built exactly as the host builds it: `createHostTasse` (what `tasse
 * serve` and `tasse run` use) and an embedder's `createTasse` with `builtinPlugins`, each on a
 * fresh data folder. Every extension point holds what the built-in plugins add.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTasse, pickRunner, type Tasse, type TasseLogger } from '@tasse/core'
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

describe.each(builds)('the extensions of %s', (_, build) => {
  let dataDir: string
  let tasse: Tasse

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tasse-container-'))
    tasse = build(dataDir)
  })

  afterEach(async () => {
    try {
      await tasse.stop(0)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it('opens no store, nor creates its file, until the store is first used', () => {
    expect(existsSync(join(stateDir(dataDir), 'tasse.db'))).toBe(false)
  })

  it('triggers: one factory per type, interval, cron, date and rrule, the plugins’ own', () => {
    const factories = tasse.extensions.triggerFactories()
    expect([...factories.keys()].sort()).toStrictEqual(['cron', 'date', 'interval', 'rrule'])
    expect(new Set(factories.values())).toStrictEqual(
      new Set([
        intervalTriggerFactory,
        cronTriggerFactory,
        dateTriggerFactory,
        rruleTriggerFactory,
      ]),
    )
  })

  it('runners: core’s plain runners and runner-poetry, which runs Python tasks', () => {
    const runners = tasse.extensions.runners()
    expect(runners.map((r) => r.name).sort()).toStrictEqual(
      ['executable', 'python', RUNNER_TAG, 'shell'].sort(),
    )
    expect(pickRunner(runners, makeTask('report', { entrypoint: 'task.py' })).name).toBe(RUNNER_TAG)
    expect(pickRunner(runners, makeTask('backup', { entrypoint: 'task.sh' })).name).toBe('shell')
  })

  it('log sinks: the file sink', () => {
    const sinks = tasse.extensions.logSinks()
    expect(sinks.map((s) => s.name)).toStrictEqual(['file'])
  })

  it('run store: one SQLite store in <data>/.tasse/tasse.db, the one Tasse uses', async () => {
    const store = tasse.extensions.runStore()
    expect(store).toBeInstanceOf(SqliteRunStore)
    expect(store.name).toBe('sqlite')
    expect(tasse.extensions.runStore(), 'asked for twice').toBe(store)
    expect(tasse.store).toBe(store)
    expect(existsSync(join(stateDir(dataDir), 'tasse.db'))).toBe(true)
    expect(await store.listRuns()).toStrictEqual({ runs: [], nextCursor: null })
  })

  it('logger: the logger given', () => {
    expect(tasse.extensions.logger()).toBe(quiet)
    expect(tasse.logger).toBe(quiet)
  })
})
