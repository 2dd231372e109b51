#!/usr/bin/env node
/**
 * `tasse`: the command line. Each command lives in `commands/<name>.ts`; this file only finds
 * it, parses its flags, prints help and turns errors into messages and exit codes.
 */
import { parseArgs } from 'node:util'
import { cancel } from './commands/cancel.js'
import type { Command } from './commands/command.js'
import { list } from './commands/list.js'
import { logs } from './commands/logs.js'
import { next } from './commands/next.js'
import { run } from './commands/run.js'
import { serve } from './commands/serve.js'
import { UsageError } from './commands/shared.js'
import { trigger } from './commands/trigger.js'
import { validate } from './commands/validate.js'

export const COMMANDS: Record<string, Command> = {
  serve,
  run,
  list,
  validate,
  next,
  trigger,
  logs,
  cancel,
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length))
  const lines = Object.entries(COMMANDS).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  )
  return `Usage: tasse <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "tasse <command> --help" for a command's options.`
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help())
    return name ? 0 : 2
  }
  const command = COMMANDS[name]
  if (!command) {
    console.error(`[tasse] unknown command "${name}"\n\n${help()}`)
    return 2
  }
  let input: ReturnType<typeof parseArgs>
  try {
    input = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    })
  } catch (cause) {
    console.error(`[tasse] ${name}: ${(cause as Error).message}\n\n${command.usage}`)
    return 2
  }
  if (input.values.help) {
    console.log(command.usage)
    return 0
  }
  try {
    return await command.run(input as Parameters<Command['run']>[0])
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause)
    console.error(message.startsWith('[tasse]') ? message : `[tasse] ${name}: ${message}`)
    return cause instanceof UsageError ? 2 : 1
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (cause) => {
    console.error(cause)
    process.exitCode = 1
  },
)
