/**
 * `tasse validate [DIR]`: loads every task of a data folder (or of a tasks folder, or one task
 * folder) as the host would, and lists every problem. Exits 1 when there is any, so that a
 * repository of tasks can check itself in CI.
 */
import { existsSync, statSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import {
  displayPath,
  loadCatalog,
  pickRunner,
  registerPlugins,
  TasseConfigError,
  taskUserProblem,
  unschedulableParams,
} from '@tasse/core'
import { taskBaseEnv } from '@tasse/core/plugin-kit'
import { CliError, EXIT } from '../cli/exit-codes.js'
import { helpTable } from '../cli/help-table.js'
import { PLUGIN_FLAG, PLUGIN_ROW, readConfig } from '../config.js'
import { HOST_CONFIG_FILE } from '../host-file.js'
import { hostPlugins } from '../plugins.js'
import type { Command } from './command.js'
import { JSON_FLAG, printJson, UsageError } from './shared.js'

const usage = `tasse validate [DIR] [options]

Checks every task as the host would load it: task.yaml (every key, the schedule, the params),
the entrypoint, that a runner can run it, and what that runner can check without building
(a pyproject.toml that the installed Poetry cannot read). Lists every problem, each as
FILE:LINE:COLUMN: where task.yaml says it, and exits 1 if there is one, 0 when all tasks are
valid. Nothing is run and nothing is written.

DIR is a data folder (with tasks/), a tasks folder, or one task's folder.
Default: the data folder  [TASSE_DATA, default ./data]

Options:
${helpTable([
  [
    '--json',
    'print {"dir", "valid": [names], "invalid": [{"name", "file", "error", "problems": [{"file", "line", "column", "field", "message", "text"}]}]}',
  ],
  ['--timezone ZONE', 'default zone of triggers', 'TASSE_TIMEZONE, default UTC'],
  PLUGIN_ROW,
])}`

export interface ValidationReport {
  dir: string
  valid: string[]
  invalid: { name: string; file: string; error: string; problems: Finding[] }[]
}

/** One problem of a task; `line` and `column` (1-based) where task.yaml says it, when it does. */
export interface Finding {
  file: string
  line: number | null
  column: number | null
  /** The key at fault (`scheduler.hour`, `params[0].name`), `null` for the file or task as a whole. */
  field: string | null
  message: string
  /** `file:line:column: …` when the position is known, else the message. */
  text: string
}

export const validate: Command = {
  usage,
  options: { ...JSON_FLAG, timezone: { type: 'string' }, ...PLUGIN_FLAG },
  async run(input) {
    if (input.positionals.length > 1)
      throw new UsageError(`validate takes one folder, got ${input.positionals.length}\n\n${usage}`)
    // Not readConfig's: that would read ./data's tasse.yaml, which DIR may have nothing to do with.
    const dir = resolve(input.positionals[0] ?? (process.env.TASSE_DATA || 'data'))
    // The data folder of DIR: its tasse.yaml and node_modules give the plugins.
    const config = readConfig({ ...input.values, data: folders(dir).dataDir })
    const report = await validateFolder(dir, config)
    if (input.values.json) printJson(report)
    else {
      for (const name of report.valid) console.log(`ok       ${name}`)
      for (const invalid of report.invalid)
        for (const problem of invalid.problems)
          console.log(`invalid  ${invalid.name}: ${problem.text}`)
      const total = report.valid.length + report.invalid.length
      console.log(
        total
          ? `${total} task(s): ${report.valid.length} valid, ${report.invalid.length} invalid`
          : `no task folders in ${dir}`,
      )
    }
    return report.invalid.length ? 1 : 0
  },
}

/** Every task below `dir` checked; see the command's help for what `dir` may be. */
export async function validateFolder(
  dir: string,
  config: ReturnType<typeof readConfig>,
): Promise<ValidationReport> {
  if (!isDirectory(dir))
    throw new CliError(EXIT.notFound, 'not_found', `${dir} is not a folder`, { dir })
  const { tasksDir, only } = folders(dir)
  const extensions = registerPlugins(await hostPlugins(config))
  const catalog = loadCatalog(tasksDir, {
    factories: extensions.triggerFactories(),
    defaultTimezone: config.timezone,
  })
  const problem = catalog.problem()
  if (problem) throw new Error(problem)
  const report: ValidationReport = { dir, valid: [], invalid: [] }
  for (const invalid of catalog.invalid())
    if (!only || invalid.name === only) {
      const problems = invalid.problems.map((problem) => finding(problem, invalid.file))
      // In the file's order, so that the output reads down the file.
      problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity))
      report.invalid.push({
        name: invalid.name,
        file: invalid.file,
        error: problems.map((problem) => problem.message).join('; '),
        problems,
      })
    }
  const env = taskBaseEnv()
  const now = Date.now() * 1000
  for (const task of catalog.tasks()) {
    if (only && task.name !== only) continue
    const problems: string[] = []
    try {
      const runner = pickRunner(extensions.runners(), task)
      problems.push(...((await runner.check?.(task, { env: { ...env, ...task.env } })) ?? []))
    } catch (cause) {
      problems.push((cause as Error).message)
    }
    try {
      task.trigger?.nextFireTime(null, now)
    } catch (cause) {
      problems.push(`the schedule cannot compute a fire time: ${(cause as Error).message}`)
    }
    // Issue #12, item 1: such a task crashed the host at its first fire.
    const unschedulable = unschedulableParams(task)
    if (unschedulable) problems.push(unschedulable)
    const userProblem = taskUserProblem(task)
    if (userProblem) problems.push(userProblem)
    if (problems.length) {
      const file = displayPath(task.file)
      report.invalid.push({
        name: task.name,
        file,
        error: problems.join('; '),
        problems: problems.map((message) => finding(new Error(message), file)),
      })
    } else report.valid.push(task.name)
  }
  report.invalid.sort((a, b) => a.name.localeCompare(b.name))
  return report
}

/** The tasks folder (and data folder) of a data folder, a tasks folder or one task's folder. */
function folders(dir: string): { tasksDir: string; dataDir: string; only: string | null } {
  if (isDirectory(join(dir, 'tasks')))
    return { tasksDir: join(dir, 'tasks'), dataDir: dir, only: null }
  if (existsSync(join(dir, 'task.yaml')))
    return { tasksDir: dirname(dir), dataDir: dirname(dirname(dir)), only: basename(dir) }
  // A tasks folder, or a data folder with no tasks/ yet (its tasse.yaml says which).
  return {
    tasksDir: dir,
    dataDir: existsSync(join(dir, HOST_CONFIG_FILE)) ? dir : dirname(dir),
    only: null,
  }
}

function finding(problem: Error, file: string): Finding {
  if (!(problem instanceof TasseConfigError))
    return {
      file,
      line: null,
      column: null,
      field: null,
      message: problem.message,
      text: problem.message,
    }
  return {
    file: problem.file,
    line: problem.line ?? null,
    column: problem.column ?? null,
    field: problem.field || null,
    message: problem.message,
    text: problem.positioned(),
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}
