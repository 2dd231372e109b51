/** `tasse rescan`: a running host reads its tasks folder now and says what changed. */
import { helpTable } from '../cli/help-table.js'
import type { Command } from './command.js'
import {
  CLIENT_FLAGS,
  CLIENT_ROWS,
  clientFrom,
  JSON_FLAG,
  noPositional,
  printJson,
} from './shared.js'

const usage = `tasse rescan [options]

Makes a running host read its tasks folder now (it also watches it, and reads it again every
minute), and prints what was added, changed, removed, or is invalid.

Options:
${helpTable([['--json', 'print {"added", "changed", "removed", "invalid": [{"name", "error"}]}'], ...CLIENT_ROWS])}`

export const rescan: Command = {
  usage,
  options: { ...CLIENT_FLAGS, ...JSON_FLAG },
  async run(input) {
    noPositional(input, usage)
    const result = await clientFrom(input.values).rescan()
    if (input.values.json) {
      printJson(result)
      return 0
    }
    const lines = [
      ...(['added', 'changed', 'removed'] as const)
        .filter((key) => result[key].length)
        .map((key) => `${key}: ${result[key].join(', ')}`),
      ...result.invalid.map((invalid) => `invalid: ${invalid.name}: ${invalid.error}`),
    ]
    console.log(lines.length ? lines.join('\n') : 'no changes')
    return 0
  },
}
