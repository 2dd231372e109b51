/**
 * `tasse serve`: the scheduler and the HTTP API on a data folder, until SIGINT or SIGTERM. A data
 * folder that does not exist is refused (a typo in --data would otherwise serve an empty
 * folder) unless `--init` asks for it to be created.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { cliFailure } from '../cli/exit-codes.js'
import { helpTable } from '../cli/help-table.js'
import {
  CONFIG_FLAGS,
  CONFIG_ROWS,
  ENV_ONLY_HELP,
  LOG_FORMATS,
  type LogFormat,
  readConfig,
} from '../config.js'
import { hostLogger } from '../host-log.js'
import { serveUntilSignal } from '../server.js'
import type { Command } from './command.js'
import { DATA_HINT, noPositional, requireDataDir } from './shared.js'

const usage = `tasse serve [options]

Runs the scheduler and the HTTP API on a data folder until SIGINT or SIGTERM (running tasks get
the shutdown grace to finish). Its output is an operations log: one line per run end (task,
run id, status, duration, exit code), warnings and errors on stderr; with --log-format json,
one JSON object a line on stdout.

Options:
${helpTable([...CONFIG_ROWS, ['--init', 'create the data folder when it does not exist']])}

${ENV_ONLY_HELP}`

export const serve: Command = {
  usage,
  options: { ...CONFIG_FLAGS, init: { type: 'boolean' } },
  async run({ values, positionals }) {
    noPositional({ values, positionals }, usage, DATA_HINT)
    // Chosen before the rest is read: a refused setting is logged in the format asked for.
    const logger = hostLogger({ format: requestedFormat(values) })
    try {
      const config = readConfig(values)
      const log = hostLogger({ format: config.logFormat, timezone: config.timezone })
      if (values.init) {
        const tasks = join(config.dataDir, 'tasks')
        if (mkdirSync(tasks, { recursive: true }) !== undefined)
          log.info(`--init: created the data folder ${tasks}`)
      } else requireDataDir(config.dataDir, ', or tasse serve --init')
      return await serveUntilSignal(config, { logger: log })
    } catch (cause) {
      const failure = cliFailure(cause)
      logger.error(`serve: ${failure.error.message}`)
      return failure.exitCode
    }
  },
}

function requestedFormat(values: Record<string, unknown>): LogFormat {
  const asked = values['log-format'] ?? process.env.TASSE_LOG_FORMAT
  return (LOG_FORMATS as readonly unknown[]).includes(asked) ? (asked as LogFormat) : 'text'
}
