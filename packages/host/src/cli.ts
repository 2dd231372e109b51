#!/usr/bin/env node
/**
 * `tasse`: the command line. Each command lives in `commands/<name>.ts`; this file only finds
 * it, parses its flags, prints help and turns errors into messages and exit codes.
 */
import { parseArgs } from 'node:util'
import type { Command } from './commands/command.js'
import { UsageError } from './commands/shared.js'

/**
 * The commands, each loaded only when it runs: `tasse next` is called once per task by scripts,
 * and should not pay for the HTTP server, the store and the runners it never uses.
 */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: {
    summary: 'run the scheduler and the HTTP API on a data folder',
    load: async () => (await import('./commands/serve.js')).serve,
  },
  run: {
    summary: 'run a task now, in the foreground, and exit with its exit status',
    load: async () => (await import('./commands/run.js')).run,
  },
  list: {
    summary: 'list the tasks, their state and next fire time',
    load: async () => (await import('./commands/list.js')).list,
  },
  validate: {
    summary: 'check every task of a folder; exit 1 listing the errors (for CI)',
    load: async () => (await import('./commands/validate.js')).validate,
  },
  next: {
    summary: 'preview the next fire times of tasks (with DST notes)',
    load: async () => (await import('./commands/next.js')).next,
  },
  trigger: {
    summary: 'run a task now on a running host (with --param NAME=VALUE)',
    load: async () => (await import('./commands/trigger.js')).trigger,
  },
  logs: {
    summary: "print a run's output (--follow: live, until it ends)",
    load: async () => (await import('./commands/logs.js')).logs,
  },
  cancel: {
    summary: 'cancel a queued or running run on a running host',
    load: async () => (await import('./commands/cancel.js')).cancel,
  },
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length))
  const lines = Object.entries(COMMANDS).map(
    ([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`,
  )
  return `Usage: tasse <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "tasse <command> --help" for a command's options.`
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help())
    return name ? 0 : 2
  }
  const entry = COMMANDS[name]
  if (!entry) {
    console.error(`[tasse] unknown command "${name}"\n\n${help()}`)
    return 2
  }
  const command = await entry.load()
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
