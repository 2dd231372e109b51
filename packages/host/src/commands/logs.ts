/** `tasse logs RUN_ID [--follow]`: a run's output, from a running host. */
import { runExitCode } from '../exit-code.js'
import type { Command } from './command.js'
import { CLIENT_FLAGS, CLIENT_HELP, clientFrom, onePositional } from './shared.js'

const usage = `tasse logs RUN_ID [--follow] [options]

Prints the output of run RUN_ID. With --follow, prints it from the start as it is written until
the run ends, then exits with the task's exit status (0, its exit code, 124 for a timeout,
130 for a cancel).

Options:
  --follow, -f     follow the output until the run ends
${CLIENT_HELP}`

export const logs: Command = {
  usage,
  options: { ...CLIENT_FLAGS, follow: { type: 'boolean', short: 'f' } },
  async run(input) {
    const id = onePositional(input, 'the run id', usage)
    const client = clientFrom(input.values)
    if (!input.values.follow) {
      process.stdout.write(await client.logs(id))
      return 0
    }
    const controller = new AbortController()
    const stop = () => controller.abort()
    process.once('SIGINT', stop)
    try {
      const run = await client.followLogs(
        id,
        (text) => process.stdout.write(text),
        controller.signal,
      )
      console.error(`[tasse] run ${run.id} ${run.status}${run.error ? `: ${run.error}` : ''}`)
      return runExitCode(run)
    } catch (cause) {
      if (controller.signal.aborted) return 130
      throw cause
    } finally {
      process.off('SIGINT', stop)
    }
  },
}
