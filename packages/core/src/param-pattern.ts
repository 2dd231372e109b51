/**
 * A parameter's `pattern:`, matched in linear time and against the whole value.
 *
 * NOTE: not JavaScript's `RegExp`. Its backtracking makes `^(a+)+$` take seconds on 31
 * characters, doubling with each one more, on the host's only thread: any client allowed to
 * trigger a task could freeze every schedule and `/healthz`. re2js (a pure-JS port of RE2, no
 * native build) runs in time linear in the value's length whatever the pattern; it refuses
 * what cannot be matched so (backreferences, lookaround) when the task is loaded. The other
 * ways out were weaker: a length cap with a check for "catastrophic" patterns at load is a
 * heuristic that misses some, and matching in a worker with a time limit still burns a core
 * per request and makes the answer depend on the machine's load.
 *
 * The match is anchored to the whole value, as people read a pattern: `[A-Za-z]+` refuses
 * `x;rm`, which a search for a match anywhere in the value accepted.
 */
import { createRequire } from 'node:module'
import type { RE2JS } from 're2js'

let re2js: typeof import('re2js') | undefined

/** Longer patterns are refused at load: their compiled programs grow with their length. */
export const MAX_PATTERN_CHARS = 1000

export interface ParamPattern {
  readonly source: string
  /** Whether the whole value matches. */
  matches(value: string): boolean
}

/**
 * Compiles `source`; throws an `Error` whose message says what is wrong with it (without the
 * file and key, which the caller knows).
 *
 * @example
 * compileParamPattern('\\d{4}-\\d{2}-\\d{2}').matches('2026-01-30') // true
 * compileParamPattern('[a-z]+').matches('x;rm')                      // false
 */
export function compileParamPattern(source: string): ParamPattern {
  if (source.length > MAX_PATTERN_CHARS)
    throw new Error(`is longer than ${MAX_PATTERN_CHARS} characters (${source.length})`)
  // Required by the first pattern compiled: a host whose tasks have none never loads it. Outside
  // the try below: a missing package is the installation's fault, not the pattern's.
  re2js ??= createRequire(import.meta.url)('re2js') as typeof import('re2js')
  let compiled: RE2JS
  try {
    compiled = re2js.RE2JS.compile(source)
  } catch (cause) {
    throw new Error(
      `is not a regular expression Tasse can match in linear time (RE2 syntax: no backreferences or lookaround): ${(cause as Error).message}`,
      { cause },
    )
  }
  return {
    source,
    matches: function matches(value) {
      return compiled.testExact(value)
    },
  }
}

const compiledByParam = new WeakMap<object, ParamPattern>()

/**
 * The compiled pattern of a parameter definition: compiled once (the loader does it when the
 * task is loaded) and kept with the definition for every later match.
 */
export function paramPattern(param: { readonly pattern?: string }): ParamPattern | undefined {
  if (param.pattern === undefined) return undefined
  let compiled = compiledByParam.get(param)
  if (compiled?.source !== param.pattern) {
    compiled = compileParamPattern(param.pattern)
    compiledByParam.set(param, compiled)
  }
  return compiled
}
