/** `tasse pause NAME` and `tasse resume NAME`: a task's schedule, on a running host. */
import type { TaskView } from '../api/views.js'
import { helpTable } from '../cli/help-table.js'
import type { Command } from './command.js'
import {
  CLIENT_FLAGS,
  CLIENT_ROWS,
  clientFrom,
  JSON_FLAG,
  printJson,
  taskNameArgument,
} from './shared.js'

export const pause = scheduleCommand(
  'pause',
  `Pauses the schedule of task NAME on a running host: it is not fired until resumed (the
pause is kept across restarts); triggers still run it. Exits 4 for a task without a schedule.`,
)

export const resume = scheduleCommand(
  'resume',
  `Resumes the schedule of task NAME on a running host: it fires from now on (fire times missed
while it was paused are dropped). Exits 4 for a task without a schedule.`,
)

function scheduleCommand(action: 'pause' | 'resume', description: string): Command {
  const usage = `tasse ${action} NAME [options]

${description}

Options:
${helpTable([['--json', 'print the task as JSON, as GET /api/v1/tasks/NAME shows it'], ...CLIENT_ROWS])}`
  return {
    usage,
    options: { ...CLIENT_FLAGS, ...JSON_FLAG },
    async run(input) {
      const name = taskNameArgument(input, usage)
      const client = clientFrom(input.values)
      const task = action === 'pause' ? await client.pause(name) : await client.resume(name)
      if (input.values.json) printJson(task)
      else console.log(describe(task))
      return 0
    },
  }
}

function describe(task: TaskView): string {
  if (task.state === 'paused') return `${task.name}: paused`
  const [next] = task.nextFireTimes
  return `${task.name}: ${task.state}${next ? `, next fire ${next}` : ''}`
}
