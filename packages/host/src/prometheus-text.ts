/**
 * Counters, gauges and histograms kept in plain maps, written in Prometheus' text format
 * (version 0.0.4). The host's own metrics use these rather than prom-client, whose module graph
 * cost an idle host ~4 MB and its start ~100 ms (issue #19); prom-client is loaded on the first
 * scrape, for Node's process metrics only (`metrics.ts`).
 *
 * @example
 * const runs = new CounterFamily('tasse_runs_total', 'Runs by status.', ['status'])
 * runs.inc({ status: 'failed' })
 * exposition([runs]) // '# HELP tasse_runs_total Runs by status.\n# TYPE … counter\n…'
 */

export type Labels<L extends string> = Readonly<Record<L, string>>

/** The content type of `exposition()`'s text. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** One metric family: its name, help and type, and the lines of its samples. */
export interface Family {
  readonly name: string
  /** The sample lines, read when Prometheus scrapes. */
  lines(): string[]
  readonly header: string
}

abstract class LabelledFamily<L extends string, V> implements Family {
  readonly header: string
  protected readonly series = new Map<string, { labels: Labels<L>; value: V }>()

  constructor(
    readonly name: string,
    help: string,
    type: 'counter' | 'gauge' | 'histogram',
    protected readonly labelNames: readonly L[],
  ) {
    this.header = `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}`
  }

  protected keyOf(labels: Labels<L>): string {
    return this.labelNames.map((name) => labels[name]).join('\u0000')
  }

  /** The series of `labels`, made with `initial` the first time. */
  protected at(labels: Labels<L>, initial: () => V): { labels: Labels<L>; value: V } {
    const key = this.keyOf(labels)
    let entry = this.series.get(key)
    if (!entry) {
      entry = { labels, value: initial() }
      this.series.set(key, entry)
    }
    return entry
  }

  remove(labels: Labels<L>): void {
    this.series.delete(this.keyOf(labels))
  }

  /** Forgets every series (a gauge read afresh at each scrape). */
  reset(): void {
    this.series.clear()
  }

  abstract lines(): string[]
}

export class CounterFamily<L extends string = never> extends LabelledFamily<L, number> {
  /**
   * `zeros`: label sets written at 0 until counted (a task's counters from its discovery), read
   * at each scrape rather than kept as series: with 1,000 tasks, 9,000 series held ~1 MB.
   */
  constructor(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    private readonly zeros?: () => Iterable<Labels<L>>,
  ) {
    super(name, help, 'counter', labelNames)
  }

  inc(labels: Labels<L>, by = 1): void {
    this.at(labels, () => 0).value += by
  }

  lines(): string[] {
    const line = (labels: Labels<L>, value: number) =>
      `${this.name}${labelText(labels)} ${numberText(value)}`
    const lines: string[] = []
    const written = new Set<string>()
    for (const labels of this.zeros?.() ?? []) {
      const key = this.keyOf(labels)
      if (written.has(key)) continue
      written.add(key)
      lines.push(line(labels, this.series.get(key)?.value ?? 0))
    }
    for (const [key, { labels, value }] of this.series)
      if (!written.has(key)) lines.push(line(labels, value))
    return lines
  }
}

export class GaugeFamily<L extends string = never> extends LabelledFamily<L, number> {
  /** `collect` sets the gauge's series just before each scrape. */
  constructor(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    private readonly collect?: (gauge: GaugeFamily<L>) => void,
  ) {
    super(name, help, 'gauge', labelNames)
  }

  set(labels: Labels<L>, value: number): void {
    this.at(labels, () => 0).value = value
  }

  lines(): string[] {
    this.collect?.(this)
    return [...this.series.values()].map(
      ({ labels, value }) => `${this.name}${labelText(labels)} ${numberText(value)}`,
    )
  }
}

interface Buckets {
  /** Observations in each bucket alone (made cumulative when written). */
  counts: number[]
  sum: number
  count: number
}

export class HistogramFamily<L extends string = never> extends LabelledFamily<L, Buckets> {
  /** A histogram without labels has its one series (at 0) from the start, as prom-client's. */
  constructor(
    name: string,
    help: string,
    private readonly upperBounds: readonly number[],
    labelNames: readonly L[] = [],
  ) {
    super(name, help, 'histogram', labelNames)
    if (labelNames.length === 0) this.at({} as Labels<L>, () => this.empty())
  }

  observe(labels: Labels<L>, value: number): void {
    const series = this.at(labels, () => this.empty()).value
    const bucket = this.upperBounds.findIndex((bound) => value <= bound)
    if (bucket >= 0) series.counts[bucket] = (series.counts[bucket] ?? 0) + 1
    series.sum += value
    series.count++
  }

  lines(): string[] {
    const out: string[] = []
    for (const { labels, value } of this.series.values()) {
      let cumulative = 0
      this.upperBounds.forEach((bound, i) => {
        cumulative += value.counts[i] ?? 0
        out.push(
          `${this.name}_bucket${labelText({ ...labels, le: numberText(bound) })} ${cumulative}`,
        )
      })
      out.push(`${this.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${value.count}`)
      out.push(`${this.name}_sum${labelText(labels)} ${numberText(value.sum)}`)
      out.push(`${this.name}_count${labelText(labels)} ${value.count}`)
    }
    return out
  }

  private empty(): Buckets {
    return { counts: this.upperBounds.map(() => 0), sum: 0, count: 0 }
  }
}

/** The families as one Prometheus text document (each family's HELP and TYPE, then samples). */
export function exposition(families: Iterable<Family>): string {
  let text = ''
  for (const family of families) text += `${family.header}\n${family.lines().join('\n')}\n\n`
  return text
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(
    ([name, value]) =>
      `${name}="${value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`,
  )
  return pairs.length > 0 ? `{${pairs.join(',')}}` : ''
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}
