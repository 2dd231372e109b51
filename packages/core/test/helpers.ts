/**
 * Test helpers for core: a millisecond trigger (core ships no trigger of its own), temporary
 * data folders built from the fixtures, a logger that remembers, and polling with a deadline.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createTasse,
  type Tasse,
  type TasseLogger,
  type TasseOptions,
  type TassePlugin,
  type TriggerFactory,
} from '@tasse/core'
import { triggerPlugin } from '@tasse/core/plugin-kit'

export const FIXTURES = join(import.meta.dirname, 'fixtures')

/** `trigger: every` with `ms: N`: fires every N ms from now (tests only). */
export const everyTrigger: TriggerFactory = {
  type: 'every',
  options: ['ms'],
  create(options) {
    const ms = Number(options.ms ?? 1000)
    return {
      type: 'every',
      timezone: 'UTC',
      describe: () => `every ${ms} ms`,
      nextFireTime: (previous, now) => (previous ?? now) + ms * 1000,
    }
  },
}

export const everyPlugin: TassePlugin = triggerPlugin({ name: 'test-every', factory: everyTrigger })

/** A new data folder whose tasks/ holds copies of the named run fixtures. */
export function tempData(...fixtures: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tasse-core-'))
  for (const name of fixtures)
    cpSync(join(FIXTURES, 'run', name), join(dir, 'tasks', name), { recursive: true })
  return dir
}

export function removeData(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

export interface MemoryLogger extends TasseLogger {
  lines: string[]
}

export function memoryLogger(): MemoryLogger {
  const lines: string[] = []
  const push = (message: string, cause?: unknown) =>
    lines.push(cause instanceof Error ? `${message}: ${cause.message}` : message)
  return { lines, info: push, warn: push, error: push }
}

/** A started Tasse on `dataDir` with the `every` trigger and a memory logger. */
export async function startTasse(
  dataDir: string,
  options: Partial<TasseOptions> = {},
): Promise<Tasse & { log: MemoryLogger }> {
  const log = memoryLogger()
  const tasse = createTasse({ dataDir, plugins: [everyPlugin], logger: log, ...options })
  await tasse.start()
  return Object.assign(tasse, { log })
}

/** What a polled check gives once it holds. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as Truthy<T>
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Whether a process is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
