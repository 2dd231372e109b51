import { describe, expect, it } from 'vitest'
import { CounterFamily, exposition, GaugeFamily, HistogramFamily } from './prometheus-text.js'

describe('Prometheus text', () => {
  it('writes counters and gauges with escaped help and label values', () => {
    const runs = new CounterFamily('x_total', 'Runs\\ by "task"\non two lines.', ['task'])
    runs.inc({ task: 'a"b\\c\nd' })
    runs.inc({ task: 'a"b\\c\nd' }, 2)
    runs.inc({ task: 'plain' }, 0)
    let read = 0
    const gauge = new GaugeFamily('g', 'A gauge.', [], (g) => g.set({}, ++read))
    expect(exposition([runs, gauge])).toBe(
      [
        '# HELP x_total Runs\\\\ by "task"\\non two lines.',
        '# TYPE x_total counter',
        'x_total{task="a\\"b\\\\c\\nd"} 3',
        'x_total{task="plain"} 0',
        '',
        '# HELP g A gauge.',
        '# TYPE g gauge',
        'g 1',
        '',
        '',
      ].join('\n'),
    )
    expect(exposition([gauge])).toContain('\ng 2\n') // collected at each scrape
  })

  it('writes the zero label sets at 0 until counted, each once, then the other series', () => {
    const tasks = new Set(['a', 'b'])
    const runs = new CounterFamily('r_total', 'Runs.', ['task', 'status'], function* () {
      for (const task of tasks) for (const status of ['ok', 'failed']) yield { task, status }
    })
    runs.inc({ task: 'b', status: 'failed' })
    runs.inc({ task: 'gone', status: 'ok' }, 4)
    expect(runs.lines()).toEqual([
      'r_total{task="a",status="ok"} 0',
      'r_total{task="a",status="failed"} 0',
      'r_total{task="b",status="ok"} 0',
      'r_total{task="b",status="failed"} 1',
      'r_total{task="gone",status="ok"} 4',
    ])
    tasks.delete('a') // read at each scrape
    expect(runs.lines()).toHaveLength(3)
  })

  it('writes histograms with cumulative buckets, +Inf, sum and count; removes a series', () => {
    const h = new HistogramFamily('d_seconds', 'Durations.', [0.5, 1], ['task'])
    for (const v of [0.1, 0.5, 0.7, 3]) h.observe({ task: 't' }, v)
    h.observe({ task: 'gone' }, 1)
    h.remove({ task: 'gone' })
    expect(h.lines()).toEqual([
      'd_seconds_bucket{task="t",le="0.5"} 2',
      'd_seconds_bucket{task="t",le="1"} 3',
      'd_seconds_bucket{task="t",le="+Inf"} 4',
      'd_seconds_sum{task="t"} 4.3',
      'd_seconds_count{task="t"} 4',
    ])
    // Without labels, its one series exists at 0 before any observation.
    expect(new HistogramFamily('l', 'L.', [1]).lines()).toEqual([
      'l_bucket{le="1"} 0',
      'l_bucket{le="+Inf"} 0',
      'l_sum 0',
      'l_count 0',
    ])
    const special = new GaugeFamily('s', 'S.', ['k'])
    special.set({ k: 'nan' }, Number.NaN)
    special.set({ k: 'inf' }, Number.POSITIVE_INFINITY)
    special.set({ k: 'ninf' }, Number.NEGATIVE_INFINITY)
    expect(special.lines()).toEqual(['s{k="nan"} NaN', 's{k="inf"} +Inf', 's{k="ninf"} -Inf'])
  })
})
