/** `tasse trigger NAME [--param k=v]…`: asks a running host to run a task now. */
import { helpTable } from '../cli/help-table.js'
import { runExitCode } from '../exit-code.js'
import type { Command } from './command.js'
import { followRun } from './follow.js'
import {
  CLIENT_FLAGS,
  CLIENT_ROWS,
  clientFrom,
  JSON_FLAG,
  paramsFrom,
  printJson,
  taskNameArgument,
} from './shared.js'

const usage = `tasse trigger NAME [--param NAME=VALUE]… [options]

Asks a running host to run task NAME now, with parameters, and prints the run's id. With
--follow, prints the run's output until it ends and exits with the task's exit status.

Options:
${helpTable([
  ['--param NAME=VALUE', "a value for one of the task's params: (repeat for several)"],
  ['--follow', "follow the run's output to its end"],
  [
    '--json',
    'print the run as one JSON document; with --follow, JSON lines:\n{"event":"run","run"}, {"event":"output","text"}…, {"event":"end","run"}',
  ],
  ...CLIENT_ROWS,
])}`

export const trigger: Command = {
  usage,
  options: {
    ...CLIENT_FLAGS,
    ...JSON_FLAG,
    param: { type: 'string', multiple: true },
    follow: { type: 'boolean' },
  },
  async run(input) {
    const name = taskNameArgument(input, usage)
    const client = clientFrom(input.values)
    const json = input.values.json === true
    const run = await client.trigger(name, paramsFrom(input.values))
    if (!input.values.follow) {
      if (json) printJson(run)
      else {
        console.error(`[tasse] run ${run.id} of ${run.task}: ${run.status}`)
        console.log(run.id)
      }
      return 0
    }
    if (json) printJson({ event: 'run', run })
    else console.error(`[tasse] run ${run.id} of ${run.task}: ${run.status}`)
    const ended = await followRun(client, run.id, { json })
    return ended === null ? 130 : runExitCode(ended)
  },
}
