/**
 * `tasse list`: the tasks, their state and their next fire time, read from a data folder or
 * asked of a running host (`--url`).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { loadCatalog, MemoryRunStore, registerPlugins, type TaskInfo } from '@tasse/core'
import { type TaskView, type TaskViewSource, taskView } from '../api/views.js'
import { helpTable } from '../cli/help-table.js'
import { PLUGIN_FLAG, PLUGIN_ROW, readConfig } from '../config.js'
import { historyPath, hostPlugins } from '../plugins.js'
import type { Command, CommandInput } from './command.js'
import {
  CLIENT_FLAGS,
  clientFrom,
  DATA_HINT,
  JSON_FLAG,
  noPositional,
  printJson,
  printTable,
  requireDataDir,
  TOKEN_ROW,
  wholeNumberFlag,
} from './shared.js'

const usage = `tasse list [options]

Lists the tasks: state (ok, paused, invalid), schedule, next fire time and last run. Reads the
data folder and its run history, and writes nothing (a running host is neither needed nor
touched), or, with --url, asks the host serving it, which also knows each task's health: a
task overdue or failing says so beside its state, with the reason below the table.

Options:
${helpTable([
  ['--json', 'one JSON array of tasks, each as GET /api/v1/tasks/NAME shows it'],
  ['--next N', 'fire times to show per task', 'default 1'],
  ['--data DIR', 'data directory', 'TASSE_DATA, default ./data'],
  ['--timezone ZONE', 'default zone of triggers', 'TASSE_TIMEZONE, default UTC'],
  PLUGIN_ROW,
  ['--url URL', 'ask the host at this address instead of reading the folder'],
  TOKEN_ROW,
])}`

export const list: Command = {
  usage,
  options: {
    ...JSON_FLAG,
    ...CLIENT_FLAGS,
    next: { type: 'string' },
    data: { type: 'string' },
    timezone: { type: 'string' },
    ...PLUGIN_FLAG,
  },
  async run(input) {
    noPositional(input, usage, DATA_HINT)
    const next = wholeNumberFlag(input.values, 'next', { min: 0, max: 100, fallback: 1 })
    const views =
      typeof input.values.url === 'string'
        ? await clientFrom(input.values).listTasks({ next })
        : await fromFolder(input.values, next)
    if (input.values.json) {
      printJson(views)
      return 0
    }
    if (!views.length) {
      console.log('no tasks')
      return 0
    }
    const rows = views.map((view) => [
      view.name,
      view.health && view.health.status !== 'ok'
        ? `${view.state}, ${view.health.status}`
        : view.state,
      view.trigger?.description ?? (view.state === 'invalid' ? '' : 'when triggered'),
      view.nextFireTimes.join(', ') || '-',
      view.lastRun ? `${view.lastRun.status} ${view.lastRun.queuedAt}` : '-',
    ])
    printTable([['TASK', 'STATE', 'SCHEDULE', 'NEXT FIRE', 'LAST RUN'], ...rows])
    for (const view of views) if (view.error) console.log(`\n${view.name}: ${view.error}`)
    for (const view of views)
      if (view.health?.overdue)
        console.log(`\n${view.name}: overdue: ${view.health.overdue.reason}`)
    return 0
  },
}

async function fromFolder(values: CommandInput['values'], next: number): Promise<TaskView[]> {
  const config = readConfig(values)
  requireDataDir(config.dataDir)
  const extensions = registerPlugins(await hostPlugins(config))
  const tasksDir = join(config.dataDir, 'tasks')
  const catalog = loadCatalog(tasksDir, {
    factories: extensions.triggerFactories(),
    defaultTimezone: config.timezone,
  })
  // A folder without history gets none: opening the SQLite store would create its file.
  const hasHistory = config.store !== null || existsSync(historyPath(config.dataDir))
  const store = hasHistory ? extensions.runStore() : new MemoryRunStore()
  try {
    // The schedule as the host left it in the store (paused, its pending fire time), only read.
    const saved = new Map((await store.listTaskStates()).map((s) => [s.task, s]))
    const source: TaskViewSource = {
      dataDir: config.dataDir,
      tasksDir,
      listRuns: (query) => store.listRuns(query),
      activeRuns: () => [],
    }
    return await Promise.all(
      catalog.names().map((name) => {
        const schedule = catalog.get(name)?.trigger ? (saved.get(name) ?? null) : null
        return taskView(source, catalog.info(name, schedule) as TaskInfo, { next })
      }),
    )
  } finally {
    await store.close()
  }
}
