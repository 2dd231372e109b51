/** Bits shared by the scenarios: record files, ISO parsing, cell values. */
import { readFileSync } from 'node:fs'

/** `YYYY-MM-DDTHH:MM:SS[.ffffff]±HH:MM` → seconds since the epoch, with µs. */
export function parseIsoSeconds(text) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d(?::\d\d)?)$/.exec(text)
  if (!m) return null
  const whole = Date.parse(`${m[1]}${m[3].length > 6 ? m[3].slice(0, 6) : m[3]}`) / 1000
  let extra = 0
  if (m[3].length > 6) {
    const s = Number(m[3].slice(7))
    extra = m[3][0] === '+' ? -s : s
  }
  return whole + extra + (m[2] ? Number(`0${m[2]}`) : 0)
}

/** Lines of a record file split on spaces. */
export function readRecords(path) {
  let text = ''
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return []
  }
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split(' '))
}

/** A cell that says why a figure could not be measured. */
export function na(reason) {
  return { na: reason }
}

/** A shell task body that appends `<start time> <name> <extra…>` to `file`. */
export function stampScript(file, name, extra = '') {
  return `printf '%s %s %s\\n' "$EPOCHREALTIME" ${name} "${extra}" >> ${file}\n`
}

export const MS = 1000
