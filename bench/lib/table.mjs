/**
 * The results table: figure | Tasse | target | original | ratio. A row is
 * `{ figure, unit, better: 'lower'|'higher', tasse, original, target, met, tasseText?, originalText? }`
 * where tasse/original are numbers, `{ na: reason }`, or null (not measured for the original).
 * The ratio is how many times better Tasse is than the original (above 1: Tasse is better).
 */

export const TABLE_HEADER = [
  '| figure | Tasse | target | original | ratio |',
  '| --- | --- | --- | --- | --- |',
]

export function formatNumber(value) {
  if (value === null || value === undefined) return '–'
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  if (Number.isInteger(value) || abs >= 10_000) return Math.round(value).toLocaleString('en-US')
  if (abs >= 100) return value.toFixed(0)
  if (abs >= 10) return value.toFixed(1)
  if (abs >= 1) return value.toFixed(2)
  if (abs === 0) return '0'
  return value.toPrecision(2)
}

function cell(value, text, unit) {
  if (value === null || value === undefined) return '–'
  if (typeof value === 'object' && 'na' in value) return `n/a (${value.na})`
  if (text) return text
  if (typeof value === 'string') return value
  return unit ? `${formatNumber(value)} ${unit}` : formatNumber(value)
}

export function ratio(row) {
  const { tasse, original, better } = row
  if (typeof tasse !== 'number' || typeof original !== 'number' || !better) return null
  if (better === 'lower') {
    if (tasse === 0) return original === 0 ? 1 : Number.POSITIVE_INFINITY
    return original / tasse
  }
  if (original === 0) return tasse === 0 ? 1 : Number.POSITIVE_INFINITY
  return tasse / original
}

export function formatRow(row) {
  const r = ratio(row)
  const ratioText =
    r === null ? '–' : Number.isFinite(r) ? `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×` : '∞'
  const mark = row.met === true ? ' ✓' : row.met === false ? ' ✗' : ''
  const target = row.target ? `${row.target}${mark}` : ''
  const figure = row.scenario ? `${row.figure}` : row.figure
  return `| ${figure} | ${cell(row.tasse, row.tasseText, row.unit)} | ${target} | ${cell(row.original, row.originalText, row.unit)} | ${ratioText} |`
}
