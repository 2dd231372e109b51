/**
 * `tasse next [--from ISO] [--count N] [--json] PATH…`: the next fire times of tasks, computed
 * as the scheduler computes them, shown in each trigger's zone with its real offset, and a note
 * on the ones a daylight-saving transition touched (like `systemd-analyze calendar`).
 */
import {
  type EpochMicros,
  loadTaskSchedule,
  registerPlugins,
  type TriggerFactory,
  timeZone,
} from '@tasse/core'
import { instantOfDateTime, MICROS_PER_SECOND, parseDateTime } from '@tasse/core/plugin-kit'
import { helpTable } from '../cli/help-table.js'
import { PLUGIN_FLAG, PLUGIN_ROW, readConfig } from '../config.js'
import { fireTimesWithNotes } from '../fire-times.js'
import { hostPlugins } from '../plugins.js'
import type { Command } from './command.js'
import { JSON_FLAG, printJson, UsageError } from './shared.js'

const DEFAULT_COUNT = 5

const usage = `tasse next [--from ISO] [--count N] [--json] PATH…

Prints the next fire times of each task, computed as the scheduler computes them: the first at
or after --from, then each from the one before. Times are shown in the trigger's zone with its
real UTC offset; a note marks those a daylight-saving transition touched. Exits 1 when a PATH
cannot be read or its schedule is invalid.

PATH is a task's folder or its task.yaml. Only the "scheduler:" block is read.

Options:
${helpTable([
  [
    '--from ISO',
    'start from this instant, e.g. 2024-03-31T00:00:00+01:00\n(without an offset, a wall time in --timezone)',
    'default: now',
  ],
  ['--count N', 'how many fire times', `default ${DEFAULT_COUNT}`],
  [
    '--json',
    'JSON lines, one per PATH (a stream, not one document):\n{"task", "fireTimes": [ISO, …], "error": null | message}',
  ],
  ['--timezone ZONE', 'zone of triggers that name none', 'TASSE_TIMEZONE, default UTC'],
  [
    '--data DIR',
    'the data folder whose tasse.yaml and node_modules\nplugins come from',
    'TASSE_DATA, default ./data',
  ],
  PLUGIN_ROW,
])}`

/** What `tasse next` found for one PATH. */
export interface NextReport {
  /** The PATH as given. */
  task: string
  /** ISO-8601 with the real offset, in the trigger's zone. */
  fireTimes: string[]
  /** Per fire time, a note when a DST transition touched it (text output only). */
  notes: (string | undefined)[]
  /** The trigger's description and zone, or `null` without a schedule or on error. */
  schedule: { description: string; timezone: string } | null
  error: string | null
}

export const next: Command = {
  usage,
  options: {
    ...JSON_FLAG,
    from: { type: 'string' },
    count: { type: 'string' },
    timezone: { type: 'string' },
    data: { type: 'string' },
    ...PLUGIN_FLAG,
  },
  async run(input) {
    if (input.positionals.length === 0)
      throw new UsageError(`next needs at least one PATH\n\n${usage}`)
    const config = readConfig(input.values)
    const count = readCount(input.values.count)
    const from = readFrom(input.values.from, config.timezone)
    const factories = registerPlugins(await hostPlugins(config)).triggerFactories()
    const reports = input.positionals.map((path) =>
      nextFireTimes(path, { factories, defaultTimezone: config.timezone, from, count }),
    )
    for (const report of reports) {
      if (input.values.json) {
        printJson({ task: report.task, fireTimes: report.fireTimes, error: report.error })
      } else console.log(formatReport(report))
    }
    return reports.some((report) => report.error !== null) ? 1 : 0
  },
}

/**
 * The next `count` fire times of the task at `path` (its folder or its task.yaml) from `from`.
 * Never throws for a bad task: the problem is the report's `error`.
 */
export function nextFireTimes(
  path: string,
  options: {
    factories: ReadonlyMap<string, TriggerFactory>
    defaultTimezone: string
    from: EpochMicros
    count: number
  },
): NextReport {
  const report: NextReport = { task: path, fireTimes: [], notes: [], schedule: null, error: null }
  try {
    const trigger = loadTaskSchedule(path, options)
    if (trigger === null) return report
    report.schedule = { description: trigger.describe(), timezone: trigger.timezone }
    for (const time of fireTimesWithNotes(trigger, { count: options.count, now: options.from })) {
      report.fireTimes.push(time.iso)
      report.notes.push(time.note)
    }
  } catch (cause) {
    report.error = cause instanceof Error ? cause.message : String(cause)
  }
  return report
}

function formatReport(report: NextReport): string {
  if (report.error !== null) return `${report.task}: invalid: ${report.error}`
  if (report.schedule === null) return `${report.task}: no schedule (runs only when triggered)`
  const header = `${report.task}: ${report.schedule.description} in ${report.schedule.timezone}`
  if (report.fireTimes.length === 0) return `${header}\n  (no more fire times)`
  const lines = report.fireTimes.map((time, i) => {
    const note = report.notes[i]
    return note ? `  ${time}  (${note})` : `  ${time}`
  })
  return [header, ...lines].join('\n')
}

function readCount(value: unknown): number {
  if (value === undefined) return DEFAULT_COUNT
  const count = Number(value)
  if (typeof value !== 'string' || !/^\d+$/.test(value) || count < 1) {
    throw new UsageError(`--count must be a whole number ≥ 1, got ${JSON.stringify(value)}`)
  }
  return count
}

/**
 * `--from`: an ISO-8601 date-time. Its fraction is a decimal fraction of a second, as ISO-8601
 * reads it (`.5` is half a second; only APScheduler's own options count microseconds); without
 * an offset it is a wall time in `zoneName`.
 */
function readFrom(value: unknown, zoneName: string): EpochMicros {
  if (value === undefined) return Date.now() * 1000
  const match =
    typeof value === 'string'
      ? /^(\d{4}-\d{1,2}-\d{1,2})(?:[T ](\d{1,2}:\d{1,2}(?::\d{1,2})?)(?:[.,](\d+))?)?\s*(Z|[+-]\d\d(?::?\d\d)?)?$/i.exec(
          value.trim(),
        )
      : null
  if (!match) {
    throw new UsageError(
      `--from must be an ISO-8601 date-time such as 2024-03-31T00:00:00+01:00, got ${JSON.stringify(value)}`,
    )
  }
  const [, date, time = '00:00:00', fraction = '', zone] = match
  const clock = time.split(':').length === 2 ? `${time}:00` : time
  const offset = zone === undefined ? '' : zone.toUpperCase() === 'Z' ? 'Z' : offsetWithColon(zone)
  const parsed = parseDateTime(`${date} ${clock}${offset}`)
  if ('problem' in parsed)
    throw new UsageError(`--from ${parsed.problem}, got ${JSON.stringify(value)}`)
  const micros = Math.round(Number(`0.${fraction || '0'}`) * MICROS_PER_SECOND)
  return instantOfDateTime(parsed, timeZone(zoneName)) + micros
}

/** `+01`, `+0100` or `+01:00` as `+01:00`. */
function offsetWithColon(zone: string): string {
  const digits = zone.slice(1).replace(':', '')
  return `${zone[0]}${digits.slice(0, 2)}:${digits.slice(2, 4) || '00'}`
}
