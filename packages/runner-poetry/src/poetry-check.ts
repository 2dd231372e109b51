/**
 * What the installed Poetry says of a task's pyproject.toml, found without building anything:
 * `poetry check` in the task folder. A project that this Poetry cannot read (a PEP 621
 * `[project]` table or `package-mode` for Poetry 1.x) is reported by `tasse validate`, with the
 * Poetry version and what to do, instead of failing at its first run.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type InstallCommand, InstallStepError, runInstallCommand } from './install-command.js'

export interface PoetryCheckOptions {
  /** The Poetry executable, found. */
  poetry: string
  /** The task folder. */
  dir: string
  env: Readonly<Record<string, string>>
  timeoutMs: number
}

/** The problem with the pyproject.toml in `dir` as this Poetry sees it, or `null` when none. */
export async function poetryProblem(options: PoetryCheckOptions): Promise<string | null> {
  const said: string[] = []
  try {
    await run(options, ['check', '--no-interaction', '--no-ansi'], (line) => said.push(line))
    return null
  } catch (cause) {
    if (!(cause instanceof InstallStepError) || cause.exitCode === null) throw cause
  }
  const version = await poetryVersion(options)
  const problems = said.map((line) => line.replace(/^(Error|Warning): /, '').trim()).filter(Boolean)
  const pyproject = await readFile(join(options.dir, 'pyproject.toml'), 'utf8').catch(() => '')
  return `its pyproject.toml cannot be read by the installed Poetry ${version}: ${problems.join('; ') || 'poetry check failed'}. ${advice(version, pyproject)}`
}

/** What to do, for what we know to be a Poetry 1.x limit; the generic fix otherwise. */
function advice(version: string, pyproject: string): string {
  const major = Number(/^(\d+)/.exec(version)?.[1] ?? 'NaN')
  const pep621 = /^\s*\[project\]\s*$/m.test(pyproject)
  const packageMode = /^\s*package-mode\s*=/m.test(pyproject)
  if (major < 2 && (pep621 || packageMode))
    return (
      `Poetry ${version} reads only a [tool.poetry] table (name, version, description, authors)` +
      `${packageMode ? ' and knows no package-mode (Poetry 1.8 added it)' : ''}: ` +
      'install Poetry 2 and point TASSE_POETRY at it, or describe the project in [tool.poetry], ' +
      'or list its dependencies in a requirements.txt instead of the pyproject.toml.'
    )
  return 'Fix what it says (`poetry check` in the task folder shows it), or point TASSE_POETRY at a Poetry that reads this file.'
}

const versions = new Map<string, Promise<string>>()

/** `1.3.2` for Poetry 1.3.2, asked once per executable. */
function poetryVersion(options: PoetryCheckOptions): Promise<string> {
  let version = versions.get(options.poetry)
  if (!version) {
    version = (async () => {
      const lines: string[] = []
      await run(options, ['--version', '--no-ansi'], (line) => lines.push(line)).catch(() => {})
      return /(\d+\.\d+[\w.+-]*)/.exec(lines.join(' '))?.[1] ?? '(version unknown)'
    })()
    versions.set(options.poetry, version)
  }
  return version
}

function run(
  options: PoetryCheckOptions,
  args: readonly string[],
  log: (line: string) => void,
): Promise<number> {
  const step: InstallCommand = {
    command: options.poetry,
    args,
    cwd: options.dir,
    env: options.env,
    display: `poetry ${args.join(' ')}`,
  }
  return runInstallCommand(step, {
    log,
    signal: new AbortController().signal,
    timeoutMs: options.timeoutMs,
  })
}
