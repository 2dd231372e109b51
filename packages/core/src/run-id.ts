/**
 * Run ids that sort in creation order, as text: 10 characters of millisecond time and 6 of a
 * per-process counter seeded at random, in Crockford's base 32 (the ULID alphabet, lower case).
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

let lastTime = 0
let counter = Math.floor(Math.random() * 2 ** 29)

/** A new run id, greater than every id this process made before. */
export function newRunId(now: number = Date.now()): string {
  if (now > lastTime) {
    lastTime = now
    counter = Math.floor(Math.random() * 2 ** 29)
  } else {
    counter++ // same millisecond (or a clock step back): keep increasing
  }
  return encode(lastTime, 10) + encode(counter, 6)
}

function encode(value: number, length: number): string {
  let out = ''
  let rest = value
  for (let i = 0; i < length; i++) {
    out = ALPHABET[rest % 32] + out
    rest = Math.floor(rest / 32)
  }
  return out
}
