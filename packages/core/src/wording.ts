/**
 * Words for messages: the value received as people read it, and "did you mean" hints.
 */

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
