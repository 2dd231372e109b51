/** `tasse trigger NAME [--param k=v]…`: asks a running host to run a task now. */
import { runExitCode } from '../exit-code.js'
import type { Command } from './command.js'
import {
  CLIENT_FLAGS,
  CLIENT_HELP,
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
  --param NAME=VALUE   a value for one of the task's params: (repeat for several)
  --follow             follow the run's output to its end
  --json               print the run as JSON (one line)
${CLIENT_HELP}`

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
    const run = await client.trigger(name, paramsFrom(input.values))
    if (input.values.json) printJson(run)
    else console.error(`[tasse] run ${run.id} of ${run.task}: ${run.status}`)
    if (!input.values.follow) {
      if (!input.values.json) console.log(run.id)
      return 0
    }
    const ended = await client.followLogs(run.id, (text) => process.stdout.write(text))
    if (input.values.json) printJson(ended)
    else
      console.error(
        `[tasse] run ${ended.id} ${ended.status}${ended.error ? `: ${ended.error}` : ''}`,
      )
    return runExitCode(ended)
  },
}
