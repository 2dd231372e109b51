/**
 * The `Range` header of a GET, as RFC 9110 §14 reads it, for one range of bytes. Several
 * ranges (multipart answers) are not served: the RFC lets a server ignore the header and send
 * the whole representation, as it must for one it cannot parse.
 */

/** Bytes `start` to `end`, both included. */
export interface ByteRange {
  start: number
  end: number
}

/**
 * What to send of a representation of `size` bytes: a range, `'unsatisfiable'` (answer 416),
 * or `null` for the whole of it (no header, another unit, several ranges, or a malformed one).
 *
 * @example
 * parseByteRange('bytes=0-99', 1000)  // { start: 0, end: 99 }
 * parseByteRange('bytes=-100', 1000)  // { start: 900, end: 999 }
 * parseByteRange('bytes=2000-', 1000) // 'unsatisfiable'
 */
export function parseByteRange(
  header: string | undefined,
  size: number,
): ByteRange | 'unsatisfiable' | null {
  const spec = /^\s*bytes\s*=\s*([^,]*?)\s*$/i.exec(header ?? '')?.[1]
  if (spec === undefined) return null
  const match = /^(\d*)\s*-\s*(\d*)$/.exec(spec)
  if (!match) return null
  const [first, last] = [match[1] as string, match[2] as string]
  if (first === '' && last === '') return null
  if (first === '') {
    // A suffix: the last N bytes.
    const length = Number(last)
    if (!Number.isSafeInteger(length)) return null
    if (length === 0 || size === 0) return 'unsatisfiable'
    return { start: Math.max(0, size - length), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? Number.POSITIVE_INFINITY : Number(last)
  if (!Number.isSafeInteger(start) || (last !== '' && !Number.isSafeInteger(end))) return null
  if (end < start) return null
  if (start >= size) return 'unsatisfiable'
  return { start, end: Math.min(end, size - 1) }
}
