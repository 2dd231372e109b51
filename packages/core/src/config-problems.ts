/**
 * Every problem of a task.yaml, not only the first. The readers (core's and the trigger
 * plugins') throw at the first problem they meet, which is right for loading; `tasse validate`
 * and editors want all of them. So each key is read on its own, and a mapping or list whose
 * reader threw about one of its written keys is read again without that key, until it reads
 * or the problem is one the removal could have caused. No reader needs to change, a plugin's
 * included.
 */
import { TasseConfigError } from './errors.js'
import { fieldSegments } from './yaml-positions.js'

/** Collects the `TasseConfigError`s of several reads; any other error is a bug and propagates. */
export class ConfigProblems {
  readonly list: TasseConfigError[] = []

  add(problem: TasseConfigError): void {
    this.list.push(problem)
  }

  /** `read()`, or `undefined` with its problem recorded. */
  attempt<T>(read: () => T): T | undefined {
    try {
      return read()
    } catch (error) {
      if (!(error instanceof TasseConfigError)) throw error
      this.add(error)
      return undefined
    }
  }

  /**
   * `read(value)` for the value written at `field` (a mapping or a list); after a problem about
   * one of its written keys (`scheduler.hour`, `params[1].pattern`), reads it again without
   * that key, so that every written key gets its own finding. A problem about a key that is not
   * written once one was removed (`dtstart` missing after `dtstart` was taken out) ends the
   * search: it may be the removal's doing. `undefined` once any problem was found.
   */
  attemptEach<T>(value: unknown, field: string, read: (value: unknown) => T): T | undefined {
    let current = value
    let removed = false
    const seen = new Set<string>()
    for (;;) {
      try {
        const result = read(current)
        // Read without a key at fault: not the value written.
        return removed ? undefined : result
      } catch (error) {
        if (!(error instanceof TasseConfigError)) throw error
        const path = writtenPath(current, field, error.field)
        if ((removed && !path) || seen.has(error.field)) return undefined
        seen.add(error.field)
        this.add(error)
        // A list item cannot go without shifting the indices of those after it.
        if (!path || /^\d+$/.test(path.at(-1) as string)) return undefined
        current = withoutPath(current, path)
        removed = true
      }
    }
  }
}

/** The path of `problemField` below `field` when it is written in `value`, else `null`. */
function writtenPath(value: unknown, field: string, problemField: string): string[] | null {
  if (!problemField.startsWith(`${field}.`) && !problemField.startsWith(`${field}[`)) return null
  const rest = problemField.slice(field.length).replace(/^\./, '')
  // A key may hold a dot itself (`env: {A.B: 1}`): the whole rest as one key first.
  if (isRecord(value) && Object.hasOwn(value, rest)) return [rest]
  const path = fieldSegments(rest)
  let node = value
  for (const segment of path) {
    if (!isRecord(node) && !Array.isArray(node)) return null
    if (!Object.hasOwn(node, segment)) return null
    node = (node as Record<string, unknown>)[segment]
  }
  return path.length ? path : null
}

/** A copy of `value` without the key at `path` (the containers on the way are copied). */
function withoutPath(value: unknown, path: readonly string[]): unknown {
  const [head, ...rest] = path as [string, ...string[]]
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value)
    ? [...value]
    : { ...(value as Record<string, unknown>) }
  const record = copy as Record<string, unknown>
  if (rest.length) record[head] = withoutPath(record[head], rest)
  else delete record[head]
  return copy
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
