/**
 * Finding programs on PATH and asking a Python interpreter what it is, cheaply enough to do
 * before every run: the answer is cached per process and re-asked only when the files behind
 * it change (an upgraded interpreter, a different one first on PATH).
 */
import { spawn } from 'node:child_process'
import { constants } from 'node:fs'
import { access, realpath, stat } from 'node:fs/promises'
import { delimiter, isAbsolute, join, resolve } from 'node:path'
import { asUser } from './install-command.js'

/** A Python interpreter as the environment's inputs record it. */
export interface InterpreterInfo {
  /** As configured, e.g. `python3`. */
  command: string
  /** Where `command` was found on PATH. */
  path: string
  /** The real interpreter binary (`sys.executable`, symlinks resolved). */
  executable: string
  /** `platform.python_version()`, e.g. `3.11.7`. */
  version: string
  /** `platform.python_implementation()`, e.g. `CPython`. */
  implementation: string
}

/**
 * The executable `command` names: itself when it holds a `/` (relative to `cwd`), else the first
 * match in `pathEnv`'s folders. `null` when there is none.
 */
export async function findExecutable(
  command: string,
  pathEnv: string | undefined,
  cwd: string,
): Promise<string | null> {
  if (command.includes('/')) {
    const candidate = isAbsolute(command) ? command : resolve(cwd, command)
    return (await isExecutableFile(candidate)) ? candidate : null
  }
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    // An empty PATH entry means the working directory: never look for interpreters there.
    if (!dir) continue
    const candidate = join(dir, command)
    if (await isExecutableFile(candidate)) return candidate
  }
  return null
}

interface CachedInterpreter {
  signature: string
  info: InterpreterInfo
}

/**
 * Keyed by the found path, the working directory (pyenv shims read `.python-version`) and the
 * user it ran as.
 */
const interpreters = new Map<string, Promise<CachedInterpreter>>()

/**
 * What the interpreter `command` (found on `env.PATH`, run in `cwd`, as `user` when given: the
 * folder and a pyenv shim's `.python-version` may be that user's) is. Spawns it on first use and
 * again only when its file or its real binary changed since.
 *
 * @throws Error when it is not found or does not run.
 */
export async function interpreterInfo(
  command: string,
  env: Readonly<Record<string, string>>,
  cwd: string,
  user: { uid: number; gid: number } | null = null,
): Promise<InterpreterInfo> {
  const path = await findExecutable(command, env.PATH, cwd)
  if (path === null) throw new InterpreterNotFoundError(command, env.PATH)
  const key = `${path}\0${cwd}\0${user ? `${user.uid}:${user.gid}` : ''}`
  const cached = interpreters.get(key)
  if (cached) {
    const entry = await cached.catch(() => null)
    if (entry && entry.signature === (await signatureOf(path, entry.info.executable)))
      return entry.info
  }
  const query = queryInterpreter(command, path, env, cwd, user).then(async (info) => ({
    info,
    signature: await signatureOf(path, info.executable),
  }))
  interpreters.set(key, query)
  query.catch(() => interpreters.delete(key))
  return (await query).info
}

/** Raised when the configured interpreter is on no folder of PATH. */
export class InterpreterNotFoundError extends Error {
  override readonly name = 'InterpreterNotFoundError'
  constructor(
    readonly command: string,
    pathEnv: string | undefined,
  ) {
    super(`"${command}" was not found ${command.includes('/') ? '' : `on PATH (${pathEnv ?? ''})`}`)
  }
}

// Prints one JSON line; sys.executable of a venv's python is a symlink, hence realpath.
const QUERY = [
  'import json, os, platform, sys',
  'print(json.dumps({"executable": os.path.realpath(sys.executable),',
  ' "version": platform.python_version(), "implementation": platform.python_implementation()}))',
].join('\n')

function queryInterpreter(
  command: string,
  path: string,
  env: Readonly<Record<string, string>>,
  cwd: string,
  user: { uid: number; gid: number } | null,
): Promise<InterpreterInfo> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(path, ['-c', QUERY], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...asUser(user),
    })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk
    })
    child.once('error', (cause) =>
      reject(new Error(`could not run "${command}" (${path}): ${cause.message}`, { cause })),
    )
    child.once('close', (code, signal) => {
      const last = out.trim().split('\n').pop() ?? ''
      try {
        if (code !== 0) throw new Error(err.trim() || `exit code ${code ?? signal}`)
        const parsed = JSON.parse(last) as Omit<InterpreterInfo, 'command' | 'path'>
        resolvePromise({ command, path, ...parsed })
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause)
        reject(new Error(`"${command}" (${path}) did not run as a Python interpreter: ${reason}`))
      }
    })
  })
}

async function signatureOf(...files: string[]): Promise<string> {
  const parts = await Promise.all(
    files.map(async (file) => {
      try {
        const real = await realpath(file)
        const s = await stat(real)
        return `${real}:${s.ino}:${s.size}:${s.mtimeMs}`
      } catch {
        return `${file}:missing`
      }
    }),
  )
  return parts.join('|')
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK)
    return (await stat(file)).isFile()
  } catch {
    return false
  }
}
