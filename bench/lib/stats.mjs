/** Small statistics helpers. */

/** The q-quantile (0..1) of numbers, nearest-rank on a sorted copy. */
export function quantile(values, q) {
  if (values.length === 0) return null
  const sorted = Float64Array.from(values).sort()
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank]
}

/** p50, p95, p99, max, mean and count. */
export function summary(values) {
  if (values.length === 0) return { n: 0, p50: null, p95: null, p99: null, max: null, mean: null }
  const sorted = Float64Array.from(values).sort()
  const at = (q) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
  let sum = 0
  for (const v of sorted) sum += v
  return {
    n: sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted[sorted.length - 1],
    mean: sum / sorted.length,
  }
}

export function median(values) {
  return quantile(values, 0.5)
}

/** Rounds for display: 3 significant digits, whole numbers above 1000. */
export function round(value, digits = 3) {
  if (value === null || value === undefined || !Number.isFinite(value)) return value
  if (Math.abs(value) >= 1000) return Math.round(value)
  return Number(value.toPrecision(digits))
}
