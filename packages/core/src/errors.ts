/**
 * Tasse's errors. One helper builds every message with the `[tasse]` prefix (and the plugin's
 * tag), and keeps the original error as `cause`; classes exist only where callers branch on them.
 */
import type { ConfigLocation } from './types.js'

/** Builds `[tasse] [tag] message`, as every Tasse message reads. */
export function tasseMessage(message: string, tag?: string): string {
  return tag ? `[tasse] [${tag}] ${message}` : `[tasse] ${message}`
}

/** A task.yaml (or other configuration) value that cannot be used: names the file and key. */
export class TasseConfigError extends Error {
  override readonly name = 'TasseConfigError'
  readonly file: string
  readonly field: string
  /** The bare problem, without the file and field (e.g. `must be an integer 0-23, got "6am"`). */
  readonly problem: string

  constructor(at: ConfigLocation, problem: string, options?: { cause?: unknown; tag?: string }) {
    const where = at.field ? `${at.file}: ${at.field}` : at.file
    super(tasseMessage(`${where} ${problem}`, options?.tag), { cause: options?.cause })
    this.file = at.file
    this.field = at.field
    this.problem = problem
  }
}

/** No task of that name; `known` lists what exists, for the message and for HTTP 404s. */
export class TaskNotFoundError extends Error {
  override readonly name = 'TaskNotFoundError'
  readonly task: string
  readonly known: readonly string[]

  constructor(task: string, known: readonly string[]) {
    const list = known.length ? `known tasks: ${known.join(', ')}` : 'no task is defined'
    super(tasseMessage(`no task named ${JSON.stringify(task)} (${list})`))
    this.task = task
    this.known = known
  }
}

/** A run that did not succeed, for callers that await a run (`tasse run`, embedders). */
export class RunFailedError extends Error {
  override readonly name = 'RunFailedError'
  readonly runId: string
  readonly exitCode: number | null
  readonly signal: string | null

  constructor(runId: string, message: string, exitCode: number | null, signal: string | null) {
    super(tasseMessage(message))
    this.runId = runId
    this.exitCode = exitCode
    this.signal = signal
  }
}

/** A request that was refused before anything ran (bad params, overlap policy, paused task). */
export class RunRefusedError extends Error {
  override readonly name = 'RunRefusedError'
  /** `invalid-params`, `overlap` or `paused`: what to do differently. */
  readonly code: 'invalid-params' | 'overlap' | 'paused'
  /** For `invalid-params`, the parameter at fault. */
  readonly param?: string
  /** For `overlap`, the run that holds the slot. */
  readonly blockingRunId?: string

  constructor(
    code: RunRefusedError['code'],
    message: string,
    details: { param?: string; blockingRunId?: string } = {},
  ) {
    super(tasseMessage(message))
    this.code = code
    if (details.param !== undefined) this.param = details.param
    if (details.blockingRunId !== undefined) this.blockingRunId = details.blockingRunId
  }
}

/**
 * The known word closest to `word` when it is a plausible typo (edit distance ≤ 2, or the same
 * letters but for case, `_` and a plural `s`), for "did you mean" hints.
 */
export function suggest(word: string, known: readonly string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[_-]/g, '').replace(/s$/, '')
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of known) {
    if (squash(candidate) === squash(word)) return candidate
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) {
      bestDistance = distance
      best = candidate
    }
  }
  return bestDistance <= Math.min(2, Math.floor(word.length / 2)) ? best : undefined
}

/**
 * `is not a known option (did you mean "y"?)`, or the list of what is known when nothing is
 * close: the problem part of a message about a key (or a value, with another `noun`).
 */
export function unknownKeyProblem(key: string, known: readonly string[], noun = 'option'): string {
  const hint = suggest(key, known)
  return hint
    ? `is not a known ${noun} (did you mean "${hint}"?)`
    : `is not a known ${noun}; expected one of: ${known.join(', ')}`
}

/** A value shown in a message: strings quoted, the rest as YAML would print them. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === undefined) return 'nothing'
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0] as number
    previous[0] = i
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] as number
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      previous[j] = Math.min(above + 1, (previous[j - 1] as number) + 1, diagonal + cost)
      diagonal = above
    }
  }
  return previous[b.length] as number
}

/**
 * A store that serves one host at a time (SQLite) is held by another live host: starting a
 * second host there would run every schedule twice. `holder` is that host, when known.
 */
export class HostConflictError extends Error {
  override readonly name = 'HostConflictError'
  readonly holder: { id: string; name: string; pid: number; startedAt: number } | null

  constructor(message: string, holder: HostConflictError['holder']) {
    super(message)
    this.holder = holder
  }
}
