/**
 * `tasse list`: the tasks, their state and their next fire time, read from a data folder or
 * asked of a running host (`--url`).
 */
import type { TaskInfo, TaskState } from '@tasse/core'
import { type TaskView, taskView } from '../api/views.js'
import { helpTable } from '../cli/help-table.js'
import { readConfig } from '../config.js'
import { createHostTasse } from '../server.js'
import type { Command, CommandInput } from './command.js'
import {
  CLIENT_FLAGS,
  clientFrom,
  JSON_FLAG,
  printJson,
  printTable,
  requireDataDir,
  TOKEN_ROW,
  wholeNumberFlag,
} from './shared.js'

const usage = `tasse list [options]

Lists the tasks: state (ok, paused, invalid), schedule, next fire time and last run. Reads the
data folder and its run history (a running host is neither needed nor touched), or, with
--url, asks the host serving it.

Options:
${helpTable([
  ['--json', 'one JSON array of tasks, each as GET /api/v1/tasks/NAME shows it'],
  ['--next N', 'fire times to show per task', 'default 1'],
  ['--data DIR', 'data directory', 'TASSE_DATA, default ./data'],
  ['--timezone ZONE', 'default zone of triggers', 'TASSE_TIMEZONE, default UTC'],
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
  },
  async run(input) {
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
      view.state,
      view.trigger?.description ?? (view.state === 'invalid' ? '' : 'when triggered'),
      view.nextFireTimes.join(', ') || '-',
      view.lastRun ? `${view.lastRun.status} ${view.lastRun.queuedAt}` : '-',
    ])
    printTable([['TASK', 'STATE', 'SCHEDULE', 'NEXT FIRE', 'LAST RUN'], ...rows])
    for (const view of views) if (view.error) console.log(`\n${view.name}: ${view.error}`)
    return 0
  },
}

async function fromFolder(values: CommandInput['values'], next: number): Promise<TaskView[]> {
  const config = readConfig(values)
  requireDataDir(config.dataDir)
  const tasse = createHostTasse(config, {
    logger: { info: () => {}, warn: () => {}, error: () => {} },
  })
  try {
    tasse.rescan()
    const saved = new Map((await tasse.store.listTaskStates()).map((s) => [s.task, s]))
    return await Promise.all(
      tasse.listTasks().map((info) => taskView(tasse, withSavedSchedule(info, saved), { next })),
    )
  } finally {
    await tasse.stop(0)
  }
}

/**
 * A task's schedule as the host left it in the store (paused, its pending fire time) rather
 * than as a fresh discovery computes it. The host's state is only read here, never written.
 */
function withSavedSchedule(info: TaskInfo, saved: ReadonlyMap<string, TaskState>): TaskInfo {
  const schedule = saved.get(info.name)
  if (!info.task?.trigger || !schedule) return info
  return { ...info, schedule, state: schedule.paused ? 'paused' : info.state }
}
