/** `tasse list`: the tasks of a data folder, their state and their next fire time. */
import type { TaskInfo, TaskState } from '@tasse/core'
import { taskView } from '../api/views.js'
import { readConfig } from '../config.js'
import { createHostTasse } from '../server.js'
import type { Command } from './command.js'
import { JSON_FLAG, printJson } from './shared.js'

const usage = `tasse list [options]

Lists the tasks of a data folder: state (ok, paused, invalid), schedule, next fire time and
last run. Reads the folder and its run history; a running host is neither needed nor touched.

Options:
  --json           one JSON object per task and line, as GET /api/v1/tasks/NAME shows it
  --next N         fire times to show per task (default 1)
  --data DIR       data directory   [TASSE_DATA, default ./data]
  --timezone ZONE  default zone of triggers  [TASSE_TIMEZONE, default UTC]`

export const list: Command = {
  usage,
  options: {
    ...JSON_FLAG,
    next: { type: 'string' },
    data: { type: 'string' },
    timezone: { type: 'string' },
  },
  async run(input) {
    const next = input.values.next === undefined ? 1 : Number(input.values.next)
    if (!Number.isInteger(next) || next < 0 || next > 100)
      throw new Error(
        `--next must be a whole number 0-100, got ${JSON.stringify(input.values.next)}`,
      )
    const tasse = createHostTasse(readConfig(input.values), {
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      history: 'runs',
    })
    try {
      tasse.rescan()
      const saved = new Map((await tasse.store.listTaskStates()).map((s) => [s.task, s]))
      const views = await Promise.all(
        tasse.listTasks().map((info) => taskView(tasse, withSavedSchedule(info, saved), { next })),
      )
      if (input.values.json) {
        for (const view of views) printJson(view)
        return 0
      }
      if (!views.length) {
        console.log(`no tasks in ${tasse.tasksDir}`)
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
    } finally {
      await tasse.stop(0)
    }
  },
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

function printTable(rows: string[][]): void {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? []
  for (const row of rows)
    console.log(
      row
        .map((cell, column) =>
          column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0),
        )
        .join('  '),
    )
}
