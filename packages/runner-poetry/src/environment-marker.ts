/**
 * The marker file `venv/<name>/.tasse-env.json`: written last, and only after every install
 * step succeeded, so an environment without it (the host was killed mid-install, a step failed)
 * is never used. It records what the environment was built from, so that a change says why the
 * environment is rebuilt.
 */
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { open, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { InterpreterInfo } from './interpreter.js'
import { LAYOUT_NAMES, type ProjectLayout } from './project-layout.js'

export const MARKER_FILE = '.tasse-env.json'

/** Bumped when an environment built by an older runner must not be reused. */
export const MARKER_FORMAT = 1

/** What an environment is built from. Equal inputs: the environment is reused. */
export interface EnvironmentInputs {
  layout: ProjectLayout['kind']
  /** Whether the Poetry project itself is installed (`--no-root` when not). */
  installRoot: boolean
  python: Pick<InterpreterInfo, 'executable' | 'version' | 'implementation'>
  /** SHA-256 of each input file (relative to the task folder), `null` where it does not exist. */
  files: Record<string, string | null>
}

export interface EnvironmentMarker extends EnvironmentInputs {
  format: number
  /** ISO 8601. */
  builtAt: string
  buildMs: number
}

/** One hash of everything in `inputs`: two runs with the same fingerprint need the same build. */
export function fingerprint(inputs: EnvironmentInputs): string {
  const { layout, installRoot, python, files } = inputs
  return createHash('sha256')
    .update(JSON.stringify([MARKER_FORMAT, layout, installRoot, python, files]))
    .digest('hex')
}

/** The marker of the environment at `venvPath`, or `null` when it has none (or an unreadable one). */
export async function readMarker(venvPath: string): Promise<EnvironmentMarker | null> {
  // The environment may be the task's user's (their installs build it): what they put in its
  // place is read only if it is a small regular file, never through a link, never a FIFO that
  // would hold the read (and a thread of the pool) forever.
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    handle = await open(
      join(venvPath, MARKER_FILE),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    )
    const stats = await handle.stat()
    if (!stats.isFile() || stats.size > MAX_MARKER_BYTES) return null
    const parsed = JSON.parse(await handle.readFile('utf8')) as unknown
    return isMarker(parsed) ? parsed : null
  } catch {
    return null
  } finally {
    await handle?.close().catch(() => {})
  }
}

/** A marker lists a few input files' hashes: far below this. */
const MAX_MARKER_BYTES = 1024 * 1024

/** Writes the marker in one step (a reader sees the old file, or none, or the whole new one). */
export async function writeMarker(venvPath: string, marker: EnvironmentMarker): Promise<void> {
  const file = join(venvPath, MARKER_FILE)
  const temporary = `${file}.${process.pid}.tmp`
  // Created anew (`wx`): a link left at this name in a folder the task's user owns is removed,
  // never written through.
  await rm(temporary, { force: true })
  await writeFile(temporary, `${JSON.stringify(marker, null, 2)}\n`, { flag: 'wx' })
  await rename(temporary, file)
}

/**
 * Why an environment built as `marker` says does not fit `inputs`, in words, one reason per
 * difference; empty when it fits.
 */
export function staleReasons(marker: EnvironmentMarker, inputs: EnvironmentInputs): string[] {
  if (marker.format !== MARKER_FORMAT)
    return [`it was built by another version of @tasse/runner-poetry (format ${marker.format})`]
  const reasons: string[] = []
  if (marker.layout !== inputs.layout)
    reasons.push(
      `the task moved from ${LAYOUT_NAMES[marker.layout]} to ${LAYOUT_NAMES[inputs.layout]}`,
    )
  else if (marker.installRoot !== inputs.installRoot)
    reasons.push(
      inputs.installRoot
        ? 'the project now declares a package of its own'
        : 'the project no longer declares a package of its own',
    )
  const before = marker.python
  const now = inputs.python
  if (before.version !== now.version || before.implementation !== now.implementation)
    reasons.push(`python changed from ${describePython(before)} to ${describePython(now)}`)
  else if (before.executable !== now.executable)
    reasons.push(`python ${now.version} is now ${now.executable} (was ${before.executable})`)
  const names = new Set([...Object.keys(marker.files), ...Object.keys(inputs.files)])
  for (const name of names) {
    const was = marker.files[name] ?? null
    const is = inputs.files[name] ?? null
    if (was === is) continue
    if (was === null) reasons.push(`${name} appeared`)
    else if (is === null) reasons.push(`${name} was removed`)
    else reasons.push(`${name} changed`)
  }
  return reasons
}

function describePython(python: EnvironmentInputs['python']): string {
  const implementation = python.implementation === 'CPython' ? '' : `${python.implementation} `
  return `${implementation}${python.version} (${python.executable})`
}

function isMarker(value: unknown): value is EnvironmentMarker {
  if (typeof value !== 'object' || value === null) return false
  const m = value as Partial<EnvironmentMarker>
  return (
    typeof m.format === 'number' &&
    typeof m.layout === 'string' &&
    m.layout in LAYOUT_NAMES &&
    typeof m.installRoot === 'boolean' &&
    typeof m.python === 'object' &&
    m.python !== null &&
    typeof m.python.version === 'string' &&
    typeof m.python.executable === 'string' &&
    typeof m.files === 'object' &&
    m.files !== null &&
    typeof m.builtAt === 'string'
  )
}
