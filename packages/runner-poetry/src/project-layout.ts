/**
 * Which of the three layouts a task folder uses, decided by the files in it, and what the
 * environment's inputs are (the files whose content decides whether it must be rebuilt).
 */
import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'

export type ProjectLayout =
  | {
      kind: 'poetry' | 'uv'
      /** Install the project itself too (it declares a package), or only its dependencies. */
      installRoot: boolean
    }
  | { kind: 'requirements' }
  | {
      kind: 'interpreter'
      /** Set when a pyproject.toml was found but declares nothing to install. */
      note?: string
    }

/** How each layout is named in log lines. */
export const LAYOUT_NAMES = {
  poetry: 'Poetry',
  uv: 'uv',
  requirements: 'requirements.txt',
  interpreter: 'plain interpreter',
} as const

/**
 * The layout of the task folder `dir`:
 * - a `pyproject.toml` with a `uv.lock` beside it is a uv project when `uv` is available
 *   (`options.uv`); without uv it is read as below;
 * - a `pyproject.toml` with a `[tool.poetry]` table (or a `[project]` table, and no
 *   requirements.txt beside it) is a Poetry project;
 * - otherwise a `requirements.txt` makes a plain venv + pip environment (a pyproject.toml that
 *   only configures tools, `[tool.black]` say, does not get in the way);
 * - otherwise the task runs with the configured interpreter.
 */
export async function detectLayout(
  dir: string,
  options: { uv?: boolean } = {},
): Promise<ProjectLayout> {
  const pyproject = await readText(join(dir, 'pyproject.toml'))
  const hasRequirements = (await readText(join(dir, 'requirements.txt'))) !== null
  if (pyproject !== null) {
    const tables = tomlTables(pyproject)
    if (options.uv && (await exists(join(dir, UV_LOCK))))
      return {
        kind: 'uv',
        installRoot: await declaresPackage(dir, tables.get('tool.poetry'), tables.get('project')),
      }
    const poetry = tables.get('tool.poetry')
    if (poetry !== undefined || (tables.has('project') && !hasRequirements))
      return {
        kind: 'poetry',
        installRoot: await declaresPackage(dir, poetry, tables.get('project')),
      }
    if (!hasRequirements)
      return {
        kind: 'interpreter',
        note: 'pyproject.toml has no [tool.poetry] or [project] table, so there is nothing to install',
      }
  }
  return hasRequirements ? { kind: 'requirements' } : { kind: 'interpreter' }
}

/** The files (relative to the task folder) whose content an environment of `layout` is built from. */
export async function inputFiles(dir: string, layout: ProjectLayout): Promise<string[]> {
  // `.python-version` chooses the interpreter under pyenv, whose shim reads it in the task folder.
  if (layout.kind === 'poetry') return ['pyproject.toml', 'poetry.lock', '.python-version']
  if (layout.kind === 'uv') return ['pyproject.toml', UV_LOCK, '.python-version']
  if (layout.kind === 'requirements')
    return [...(await requirementFiles(dir, 'requirements.txt')), '.python-version']
  return []
}

/** SHA-256 of each file's content, `null` for a file that does not exist. */
export async function hashFiles(
  dir: string,
  files: readonly string[],
): Promise<Record<string, string | null>> {
  const hashes: Record<string, string | null> = {}
  await Promise.all(
    files.map(async (file) => {
      const content = await readFile(join(dir, file)).catch(() => null)
      hashes[file] = content === null ? null : createHash('sha256').update(content).digest('hex')
    }),
  )
  // Stable key order, so that the marker file reads the same from one build to the next.
  return Object.fromEntries(files.map((file) => [file, hashes[file] ?? null]))
}

/**
 * `start` and the requirement and constraint files it includes (`-r other.txt`, `-c pins.txt`),
 * transitively, as paths relative to `dir`. Only those inside the task folder: a path outside it
 * is not the task's to watch.
 */
async function requirementFiles(dir: string, start: string): Promise<string[]> {
  const found: string[] = []
  const pending = [start]
  while (pending.length > 0) {
    const file = pending.shift() as string
    if (found.includes(file)) continue
    found.push(file)
    const text = await readText(join(dir, file))
    if (text === null) continue
    for (const line of text.split('\n')) {
      const match = /^\s*(?:-r|--requirement|-c|--constraint)(?:\s+|\s*=\s*)(\S+)/.exec(line)
      if (!match?.[1]) continue
      // pip reads an included file relative to the file that includes it.
      const included = relative(dir, resolve(dir, dirname(file), match[1]))
      if (!included.startsWith('..')) pending.push(included)
    }
  }
  return found
}

/**
 * Whether `poetry install` should install the project itself: Poetry 1.x skips a project with
 * no package silently, Poetry 2 fails on it, so `--no-root` is passed unless the project
 * declares `packages`, or has a module named after it (`name/`, `name.py`, `src/name/`), and
 * is not `package-mode = false`.
 */
async function declaresPackage(
  dir: string,
  poetry: string | undefined,
  project: string | undefined,
): Promise<boolean> {
  if (poetry !== undefined) {
    if (/^\s*package-mode\s*=\s*false\b/m.test(poetry)) return false
    if (/^\s*packages\s*=/m.test(poetry)) return true
  }
  const name = /^\s*name\s*=\s*["']([^"']+)["']/m.exec(poetry ?? project ?? '')?.[1]
  if (!name) return false
  const module = name.toLowerCase().replace(/[-_.]+/g, '_')
  const candidates = [
    join(module, '__init__.py'),
    `${module}.py`,
    join('src', module, '__init__.py'),
    join('src', `${module}.py`),
  ]
  for (const candidate of candidates)
    if (
      await stat(join(dir, candidate)).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return true
  return false
}

/**
 * The tables of a TOML document, each with the text of its own key lines, keyed by dotted name
 * (`tool.poetry`). Enough to find a table and a top-level key in it; the document is otherwise
 * Poetry's to read (and to report errors in).
 */
function tomlTables(text: string): Map<string, string> {
  const tables = new Map<string, string>()
  let current = ''
  let body: string[] = []
  const close = () => tables.set(current, (tables.get(current) ?? '') + body.join('\n'))
  for (const line of text.split('\n')) {
    // `[table]` or `[[array.of.tables]]`; either ends the table before it.
    const header = /^\s*\[\[?\s*([A-Za-z0-9_.\-" ]+?)\s*\]\]?\s*(#.*)?$/.exec(line)
    if (header?.[1]) {
      close()
      current = header[1].replace(/["\s]/g, '')
      body = []
    } else body.push(line)
  }
  close()
  return tables
}

/** uv's lock file: with uv on PATH, its presence makes a pyproject.toml a uv project. */
export const UV_LOCK = 'uv.lock'

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  )
}

async function readText(file: string): Promise<string | null> {
  return readFile(file, 'utf8').catch(() => null)
}
