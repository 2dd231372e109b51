/** `tasse logs RUN_ID [--follow]`: a run's output, from a running host. */
import { helpTable } from '../cli/help-table.js'
import { runExitCode } from '../exit-code.js'
import type { Command } from './command.js'
import { followRun } from './follow.js'
import {
  CLIENT_FLAGS,
  CLIENT_ROWS,
  clientFrom,
  JSON_FLAG,
  onePositional,
  printJson,
} from './shared.js'

const usage = `tasse logs RUN_ID [--follow] [options]

Prints the output of run RUN_ID. With --follow, prints it from the start as it is written until
the run ends, then exits with the task's exit status (0, its exit code, 124 for a timeout,
130 for a cancel).

Options:
${helpTable([
  ['--follow, -f', 'follow the output until the run ends'],
  [
    '--json',
    'print {"id","text"}; with --follow, JSON lines:\n{"event":"output","text"}…, then {"event":"end","run"}',
  ],
  ...CLIENT_ROWS,
])}`

export const logs: Command = {
  usage,
  options: { ...CLIENT_FLAGS, ...JSON_FLAG, follow: { type: 'boolean', short: 'f' } },
  async run(input) {
    const id = onePositional(input, 'the run id', usage)
    const client = clientFrom(input.values)
    const json = input.values.json === true
    if (!input.values.follow) {
      const text = await client.logs(id)
      if (json) printJson({ id, text })
      else process.stdout.write(text)
      return 0
    }
    const ended = await followRun(client, id, { json })
    return ended === null ? 130 : runExitCode(ended)
  },
}
