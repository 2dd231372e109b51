import { CONFIG_FLAGS, CONFIG_HELP, readConfig } from '../config.js'
import { serveUntilSignal } from '../server.js'
import type { Command } from './command.js'

export const serve: Command = {
  usage: `tasse serve [options]\n\nOptions:\n${CONFIG_HELP}`,
  options: CONFIG_FLAGS,
  run: ({ values }) => serveUntilSignal(readConfig(values)),
}
