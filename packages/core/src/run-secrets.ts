/**
 * What a run is given from files when it starts (`env_files:` and `secrets:`), and the mask that
 * keeps secrets' values out of its output. Files are read by the host (a secret mounted for
 * root only reaches a task that runs as `nobody`), each at most `MAX_SECRET_BYTES`, never a
 * FIFO or a device, whose read would block or never end. A file that cannot be read fails the
 * run with a message naming the file and the variable, never a value.
 */
import { constants } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { isAbsolute, join } from 'node:path'
import { parse } from 'dotenv'
import type { TaskDefinition } from './types.js'

/** A secret or an env file is a value or a page of them; more is a mistake. */
export const MAX_SECRET_BYTES = 1024 * 1024

/** The replacement of a secret's value in output. */
export const SECRET_MASK = '***'

export interface RunFiles {
  /** The variables of the `env_files:`, later files winning. */
  env: Record<string, string>
  /** The `secrets:`, name → value (trailing newline trimmed). */
  secrets: Record<string, string>
}

/**
 * Reads the task's `env_files:` and `secrets:` (paths relative to its folder, or absolute).
 * Throws an Error naming the first file that cannot be used and why.
 *
 * @example
 * declare const task: TaskDefinition
 * const { env, secrets } = await readRunFiles(task) // secrets: { DB_PASSWORD: '…' }
 */
export async function readRunFiles(
  task: Pick<TaskDefinition, 'dir' | 'envFiles' | 'secrets'>,
): Promise<RunFiles> {
  const env: Record<string, string> = {}
  for (const path of task.envFiles ?? [])
    Object.assign(env, parse(await readValueFile(task.dir, path, `env_files: ${path}`)))
  const secrets: Record<string, string> = {}
  for (const [name, path] of Object.entries(task.secrets ?? {}))
    secrets[name] = (await readValueFile(task.dir, path, `secrets.${name}`)).replace(/\r?\n$/, '')
  return { env, secrets }
}

/**
 * A function that replaces every secret value in a line with `***`. A value of several lines (a
 * key in PEM) is masked line by line, since output is read by lines; empty values mask nothing.
 * Longer values first, so that a value containing another is masked whole.
 *
 * @example
 * const mask = secretMask(['hunter2'])
 * mask('password is hunter2') // 'password is ***'
 */
export function secretMask(values: Iterable<string>): (line: string) => string {
  const pieces = new Set<string>()
  for (const value of values)
    for (const piece of value.split(/\r?\n/)) if (piece.trim() !== '') pieces.add(piece)
  const ordered = [...pieces].sort((a, b) => b.length - a.length)
  if (ordered.length === 0) return (line) => line
  return function secretMask(line) {
    let masked = line
    for (const piece of ordered)
      if (masked.includes(piece)) masked = masked.split(piece).join(SECRET_MASK)
    return masked
  }
}

/**
 * Read through libuv's thread pool, never on the main thread: a secret on a network mount that
 * hangs holds this run, not the host.
 */
async function readValueFile(dir: string, path: string, key: string): Promise<string> {
  const file = isAbsolute(path) ? path : join(dir, path)
  let handle: FileHandle
  try {
    // O_NONBLOCK: a FIFO is refused below instead of waiting for a writer.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (cause) {
    throw new Error(`${key}: cannot read ${file}: ${reason(cause)}`, { cause })
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw new Error(`${key}: ${file} is not a regular file`)
    if (stats.size > MAX_SECRET_BYTES)
      throw new Error(`${key}: ${file} is larger than ${MAX_SECRET_BYTES} bytes`)
    const buffer = Buffer.alloc(stats.size)
    let length = 0
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
    }
    return buffer.toString('utf8', 0, length)
  } catch (cause) {
    if (cause instanceof Error && cause.message.startsWith(key)) throw cause
    throw new Error(`${key}: cannot read ${file}: ${reason(cause)}`, { cause })
  } finally {
    await handle.close().catch(() => {})
  }
}

/** The system's reason without the path (which the message already names). */
function reason(cause: unknown): string {
  const error = cause as NodeJS.ErrnoException
  if (error.code === 'ENOENT') return 'no such file'
  if (error.code === 'EACCES') return 'permission denied'
  return error.code ?? error.message
}
