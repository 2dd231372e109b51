import { CONFIG_FLAGS, CONFIG_HELP, readConfig } from '../config.js'
import { serveUntilSignal } from '../server.js'
import type { Command } from './command.js'

export const serve: Command = {
  summary: 'run the scheduler and the HTTP API on a data folder',
  usage: `tasse serve [options]\n\nOptions:\n${CONFIG_HELP}`,
  options: CONFIG_FLAGS,
  run: ({ values }) => serveUntilSignal(readConfig(values)),
}
