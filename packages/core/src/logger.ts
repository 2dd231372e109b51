/** Where Tasse writes about itself by default: the console, each line prefixed `[tasse]`. */
import type { TasseLogger } from './types.js'

/** Messages to the console, each prefixed `[tasse]` (messages never carry it themselves). */
export function consoleLogger(): TasseLogger {
  const prefix = (message: string) => `[tasse] ${message}`
  return {
    info: (message) => console.log(prefix(message)),
    warn: (message) => console.warn(prefix(message)),
    error: (message, cause) =>
      console.error(
        prefix(message) +
          (cause instanceof Error && !message.includes(cause.message) ? `: ${cause.message}` : ''),
      ),
  }
}

/** A logger that drops everything (commands that report by other means). */
export const silentLogger: TasseLogger = { info: () => {}, warn: () => {}, error: () => {} }
