/** `tasse runs`: the run history of a running host, with the API's filters. */

import { formatBytes } from '@tasse/core'
import { formatDuration } from '@tasse/core/plugin-kit'
import type { RunView } from '../api/views.js'
import { helpTable } from '../cli/help-table.js'
import type { RunListFilters } from '../client.js'
import type { Command } from './command.js'
import {
  CLIENT_FLAGS,
  CLIENT_ROWS,
  clientFrom,
  JSON_FLAG,
  noPositional,
  printJson,
  printTable,
  stringFlag,
  wholeNumberFlag,
} from './shared.js'

/** The API's largest page; `--limit` above it is fetched page by page. */
const PAGE_LIMIT = 500
const DEFAULT_LIMIT = 50

const usage = `tasse runs [options]

Lists the runs a running host has recorded, newest first, with the filters of GET /api/v1/runs.
When more runs match than --limit, the last line (on stderr with --json) gives the --cursor
that continues the list.

Options:
${helpTable([
  ['--task NAME', 'runs of this task only'],
  ['--status LIST', 'comma-separated: queued,running,succeeded,failed,timed_out,…'],
  ['--from TIME', 'queued at or after TIME: ISO-8601 with a zone, or epoch ms'],
  ['--to TIME', 'queued at or before TIME'],
  ['--limit N', 'at most N runs', `default ${DEFAULT_LIMIT}`],
  ['--cursor CURSOR', 'continue a list where the previous one stopped'],
  ['--json', 'one JSON array of runs, each as GET /api/v1/runs/ID shows it'],
  ...CLIENT_ROWS,
])}`

export const runs: Command = {
  usage,
  options: {
    ...CLIENT_FLAGS,
    ...JSON_FLAG,
    task: { type: 'string' },
    status: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    limit: { type: 'string' },
    cursor: { type: 'string' },
  },
  async run(input) {
    noPositional(input, usage)
    const limit = wholeNumberFlag(input.values, 'limit', {
      min: 1,
      max: 100_000,
      fallback: DEFAULT_LIMIT,
    })
    const client = clientFrom(input.values)
    const filters: RunListFilters = {}
    for (const key of ['task', 'status', 'from', 'to', 'cursor'] as const) {
      const value = stringFlag(input.values[key])
      if (value !== undefined) filters[key] = value
    }
    const found: RunView[] = []
    let cursor = filters.cursor ?? null
    do {
      const page = await client.listRuns({
        ...filters,
        ...(cursor === null ? {} : { cursor }),
        limit: Math.min(PAGE_LIMIT, limit - found.length),
      })
      found.push(...page.runs)
      cursor = page.nextCursor
    } while (cursor !== null && found.length < limit)

    const more = cursor === null ? '' : `more runs: --cursor ${cursor}`
    if (input.values.json) {
      printJson(found)
      if (more) console.error(`[tasse] ${more}`)
      return 0
    }
    if (!found.length) console.log('no runs')
    else
      printTable([
        [
          'RUN',
          'TASK',
          'STATUS',
          'REASON',
          'QUEUED',
          'DURATION',
          'EXIT',
          'MEMORY',
          'CPU',
          'OUTPUT',
          'HOST',
        ],
        ...found.map((run) => [
          run.id,
          run.task,
          run.status,
          run.reason,
          run.queuedAt,
          run.durationMs === null ? '-' : formatDuration(run.durationMs),
          run.exitCode === null ? (run.signal ?? '-') : String(run.exitCode),
          ...usageColumns(run),
          run.hostId ?? '-',
        ]),
      ])
    if (more) console.log(more)
    return 0
  },
}

/** Peak memory, CPU time (user + system) and output of a run, `-` where not recorded. */
function usageColumns(run: RunView): [string, string, string] {
  const cpu =
    run.cpuUserSeconds === null && run.cpuSystemSeconds === null
      ? '-'
      : `${((run.cpuUserSeconds ?? 0) + (run.cpuSystemSeconds ?? 0)).toFixed(2)}s`
  return [
    run.peakMemoryBytes === null ? '-' : formatBytes(run.peakMemoryBytes),
    cpu,
    run.outputBytes === null ? '-' : formatBytes(run.outputBytes),
  ]
}
