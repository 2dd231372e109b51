/**
 * `tasse run NAME [--param k=v]…`: runs one task now, in the foreground, exactly as the host
 * would (same runner, environment, log files and run history) but without the scheduler or
 * the HTTP server; streams its output and exits with its exit status.
 */
import { HostConflictError, type OutputBatch, type Run } from '@tasse/core'
import { CliError, EXIT } from '../cli/exit-codes.js'
import { helpTable } from '../cli/help-table.js'
import { PLUGIN_FLAG, PLUGIN_ROW, readConfig } from '../config.js'
import { runExitCode } from '../exit-code.js'
import { hostLogger } from '../host-log.js'
import { createHostTasse } from '../host-tasse.js'
import { loadPluginObjects } from '../plugin-loader.js'
import { ProgressLine } from '../progress-line.js'
import type { Command } from './command.js'
import { paramsFrom, requireDataDir, taskNameArgument } from './shared.js'

const usage = `tasse run NAME [--param NAME=VALUE]… [options]

Runs task NAME once, now, in the foreground: its output goes to this terminal (and to its log
files, as under \`tasse serve\`), and tasse exits with its exit status (124 after a timeout,
130 when cancelled with Ctrl-C). The run is recorded in the data folder's history. Preparing a
Python environment shows a progress line.

Options:
${helpTable([
  ['--param NAME=VALUE', "a value for one of the task's params: (repeat for several)"],
  ['--data DIR', 'data directory (tasks/, logs/, venv/)', 'TASSE_DATA, default ./data'],
  ['--timezone ZONE', 'default zone of triggers and log times', 'TASSE_TIMEZONE, default UTC'],
  PLUGIN_ROW,
])}`

export const run: Command = {
  usage,
  options: {
    param: { type: 'string', multiple: true },
    data: { type: 'string' },
    timezone: { type: 'string' },
    ...PLUGIN_FLAG,
  },
  async run(input) {
    const name = taskNameArgument(input, usage)
    const params = paramsFrom(input.values)
    const config = readConfig(input.values)
    requireDataDir(config.dataDir)
    // Quiet while discovering: other tasks' problems are not this command's (`tasse validate`
    // lists them); the task asked for, if broken, is reported below.
    let quiet = true
    const plugins = await loadPluginObjects(config.plugins, config.dataDir)
    const tasse = createHostTasse(config, {
      plugins,
      // Warnings and errors on stderr, as this command's lines.
      logger: hostLogger({
        time: false,
        write: (line, level) => quiet || level === 'info' || console.error(line),
      }),
    })
    const progress = new ProgressLine({ status: process.stderr })
    let runId: string | null = null
    const early: [Run, OutputBatch][] = []
    let lastLine = ''
    const show = (batch: OutputBatch) => {
      progress.show(batch)
      lastLine = batch.lines.at(-1) ?? lastLine
    }
    const onOutput = (run: Run, batch: OutputBatch) => {
      if (runId === null) early.push([run, batch])
      else if (run.id === runId) show(batch)
    }
    tasse.events.on('run:output', onOutput)
    const interrupt = () => {
      if (runId) void tasse.cancel(runId)
    }
    process.on('SIGINT', interrupt)
    try {
      tasse.rescan()
      quiet = false
      const info = tasse.taskInfo(name)
      if (info && !info.task)
        throw new CliError(
          EXIT.refused,
          'task_invalid',
          info.error ?? `task "${name}" cannot be used`,
        )
      // A host of the store like any other (its run carries its id, and another host can follow
      // or cancel it); a store that serves one host at a time, held by \`tasse serve\`, records
      // the run with no host, as before.
      await tasse.membership.join().catch((cause) => {
        if (!(cause instanceof HostConflictError)) throw cause
      })
      const started = await tasse.trigger(name, { params, reason: 'cli' })
      runId = started.id
      for (const [run, batch] of early.splice(0)) if (run.id === runId) show(batch)
      const ended = await tasse.waitForRun(started.id)
      progress.end(ended.status !== 'succeeded')
      if (ended.status !== 'succeeded') {
        // One line, and not the error again when it was the last line shown (a runner's
        // failure is written into the run's output, after what the install printed).
        const error = (ended.error ?? '').split('\n')[0] ?? ''
        const shown = error === '' || lastLine === error
        console.error(
          `[tasse] run ${ended.id} of ${name} ${ended.status}${shown ? '' : `: ${error}`}`,
        )
      }
      return runExitCode(ended)
    } finally {
      process.off('SIGINT', interrupt)
      tasse.events.off('run:output', onOutput)
      progress.end(false)
      await tasse.stop(0)
    }
  },
}
