/**
 * Argument checks and the cursor format shared by every `RunStore`, so that each store refuses
 * the same bad input with the same message and pages the same way.
 */
import { BadCursorError, TasseError } from './errors.js'
import type { RunStore } from './types.js'

export type PruneOptions = Parameters<RunStore['pruneRuns']>[0]

/** Runs in a page when the query names no `limit`. */
export const DEFAULT_RUN_PAGE_SIZE = 50

const CURSOR_PREFIX = 'before:'

/** `limit` of a `RunQuery`, checked, or the default. */
export function checkRunLimit(limit: number | undefined, store: string): number {
  if (limit === undefined) return DEFAULT_RUN_PAGE_SIZE
  if (!Number.isInteger(limit) || limit < 1) {
    throw new TasseError(
      'invalid_argument',
      `listRuns: limit must be a whole number of at least 1, got ${limit}`,
      { tag: store },
    )
  }
  return limit
}

/** The options of `pruneRuns`, checked. */
export function checkPruneOptions(options: PruneOptions, store: string): PruneOptions {
  const { olderThanMs, keepPerTask, outputOlderThanMs, now } = options
  for (const [name, value] of [
    ['olderThanMs', olderThanMs],
    ['outputOlderThanMs', outputOlderThanMs],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0))
      throw new TasseError(
        'invalid_argument',
        `pruneRuns: ${name} must be a number ≥ 0, got ${value}`,
        { tag: store },
      )
  }
  if (keepPerTask !== undefined && !(Number.isInteger(keepPerTask) && keepPerTask >= 0)) {
    throw new TasseError(
      'invalid_argument',
      `pruneRuns: keepPerTask must be a whole number ≥ 0, got ${keepPerTask}`,
      { tag: store },
    )
  }
  if (now !== undefined && !Number.isFinite(now)) {
    throw new TasseError('invalid_argument', `pruneRuns: now must be epoch ms, got ${now}`, {
      tag: store,
    })
  }
  return options
}

/** The cursor of the page that follows the run `id` (newest first). */
export function encodeRunCursor(id: string): string {
  return Buffer.from(CURSOR_PREFIX + id).toString('base64url')
}

/** The run id a cursor made by `encodeRunCursor` stands for; `BadCursorError` for any other text. */
export function decodeRunCursor(cursor: string, store: string): string {
  const text = Buffer.from(cursor, 'base64url').toString()
  if (
    !text.startsWith(CURSOR_PREFIX) ||
    encodeRunCursor(text.slice(CURSOR_PREFIX.length)) !== cursor
  ) {
    throw new BadCursorError(cursor, { tag: store })
  }
  return text.slice(CURSOR_PREFIX.length)
}
