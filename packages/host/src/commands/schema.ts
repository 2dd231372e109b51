/**
 * `tasse schema`: task.yaml's JSON Schema for the built-in triggers, on stdout, for an editor
 * that cannot reach a host (`tasse schema > task.schema.json`, then
 * `# yaml-language-server: $schema=./task.schema.json`). A running host serves the same, with
 * its plugins' triggers, at /api/v1/schema/task.json.
 */
import { registerPlugins, taskYamlSchema } from '@tasse/core'
import { helpTable } from '../cli/help-table.js'
import { builtinPlugins } from '../plugins.js'
import type { Command } from './command.js'
import { noPositional } from './shared.js'

const usage = `tasse schema

Prints the JSON Schema (draft-07) of task.yaml for the built-in triggers: completion and
checks in editors with "# yaml-language-server: $schema=…" at the top of a task.yaml. A running
host serves it, with its plugins' triggers, at /api/v1/schema/task.json.

Options:
${helpTable([['--help', 'this help']])}`

export const schema: Command = {
  usage,
  options: {},
  async run(input) {
    noPositional(input, usage)
    process.stdout.write(`${JSON.stringify(builtinTaskSchema(), null, 2)}\n`)
    return 0
  },
}

/** task.yaml's schema for the built-in triggers (no data folder is read or written). */
export function builtinTaskSchema(): ReturnType<typeof taskYamlSchema> {
  // The store's plugin only registers a factory here: nothing is opened in this folder.
  return taskYamlSchema(registerPlugins(builtinPlugins('.')).triggerFactories())
}
