/** `tasse cancel RUN_ID`: ends a queued or running run on a running host. */
import { helpTable } from '../cli/help-table.js'
import type { Command } from './command.js'
import {
  CLIENT_FLAGS,
  CLIENT_ROWS,
  clientFrom,
  JSON_FLAG,
  onePositional,
  printJson,
} from './shared.js'

const usage = `tasse cancel RUN_ID [options]

Cancels run RUN_ID on a running host: a queued run is dropped, a running one has its whole
process group ended (SIGTERM, then SIGKILL after a grace period). Exits 4 when the run has
already ended.

Options:
${helpTable([['--json', 'print the run as one JSON document'], ...CLIENT_ROWS])}`

export const cancel: Command = {
  usage,
  options: { ...CLIENT_FLAGS, ...JSON_FLAG },
  async run(input) {
    const id = onePositional(input, 'the run id', usage)
    const run = await clientFrom(input.values).cancel(id)
    if (input.values.json) printJson(run)
    else
      console.log(
        run.status === 'cancelled'
          ? `run ${run.id} of ${run.task}: cancelled`
          : `run ${run.id} of ${run.task}: cancelling (its processes are being ended)`,
      )
    return 0
  },
}
