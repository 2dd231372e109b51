#!/usr/bin/env node
/**
 * `tasse`: the command line. Each command lives in `commands/<name>.ts`; this file only finds
 * it, parses its flags, prints help and turns failures into messages and exit statuses
 * (`cli/exit-codes.ts`). With `--json`, a failure is one JSON document on stdout too.
 */
import { parseArgs } from 'node:util'
import { cliFailure, EXIT, EXIT_HELP, UsageError } from './cli/exit-codes.js'
import { helpTable } from './cli/help-table.js'
import type { Command } from './commands/command.js'
import { hostVersion } from './package-root.js'

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
    summary: 'list the tasks, their state and next fire time (folder or --url)',
    load: async () => (await import('./commands/list.js')).list,
  },
  validate: {
    summary: 'check every task of a folder; exit 1 listing the errors (for CI)',
    load: async () => (await import('./commands/validate.js')).validate,
  },
  schema: {
    summary: "print task.yaml's JSON Schema, for editors",
    load: async () => (await import('./commands/schema.js')).schema,
  },
  next: {
    summary: 'preview the next fire times of tasks (with DST notes)',
    load: async () => (await import('./commands/next.js')).next,
  },
  trigger: {
    summary: 'run a task now on a running host (with --param NAME=VALUE)',
    load: async () => (await import('./commands/trigger.js')).trigger,
  },
  runs: {
    summary: 'the run history of a running host (filters: task, status, time)',
    load: async () => (await import('./commands/runs.js')).runs,
  },
  logs: {
    summary: "print a run's output (--follow: live, until it ends)",
    load: async () => (await import('./commands/logs.js')).logs,
  },
  cancel: {
    summary: 'cancel a queued or running run on a running host',
    load: async () => (await import('./commands/cancel.js')).cancel,
  },
  pause: {
    summary: "pause a task's schedule on a running host",
    load: async () => (await import('./commands/pause-resume.js')).pause,
  },
  resume: {
    summary: "resume a paused task's schedule on a running host",
    load: async () => (await import('./commands/pause-resume.js')).resume,
  },
  rescan: {
    summary: 'make a running host read its tasks folder now',
    load: async () => (await import('./commands/rescan.js')).rescan,
  },
}

function help(): string {
  const commands = helpTable(Object.entries(COMMANDS).map(([name, entry]) => [name, entry.summary]))
  return [
    'Usage: tasse <command> [options]',
    '',
    'Commands:',
    commands,
    '',
    'Options:',
    helpTable([
      ['--version', 'print the version of tasse'],
      ['--help', 'this help; "tasse <command> --help" for a command\'s options'],
    ]),
    '',
    "Exit statuses (run, trigger --follow and logs --follow exit with the task's, once it ran):",
    helpTable(EXIT_HELP),
  ].join('\n')
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === '--version' || name === '-V') {
    console.log(`tasse ${hostVersion()}`)
    return EXIT.ok
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help())
    return name ? EXIT.ok : EXIT.usage
  }
  // Known before the flags are parsed, so that a usage error is JSON too.
  const json = rest.includes('--json')
  const entry = COMMANDS[name]
  if (!entry) return fail(new UsageError(`unknown command "${name}"\n\n${help()}`), null, json)
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
    return fail(new UsageError(`${(cause as Error).message}\n\n${command.usage}`), name, json)
  }
  if (input.values.help) {
    console.log(command.usage)
    return EXIT.ok
  }
  try {
    return await command.run(input as Parameters<Command['run']>[0])
  } catch (cause) {
    return fail(cause, name, json)
  }
}

/** Prints a failure (JSON on stdout with --json, a message on stderr otherwise); its status. */
function fail(cause: unknown, command: string | null, json: boolean): number {
  const failure = cliFailure(cause)
  if (json) {
    // The usage text is for people; a program gets the first line.
    const message = failure.error.message.split('\n\n')[0] ?? ''
    process.stdout.write(`${JSON.stringify({ error: { ...failure.error, message } })}\n`)
  } else console.error(`[tasse] ${command ? `${command}: ` : ''}${failure.error.message}`)
  return failure.exitCode
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (cause) => {
    console.error(cause)
    process.exitCode = EXIT.failed
  },
)
