/**
 * Scenario 7, Python environments: the warm-run overhead of a Poetry task, measured by
 * @tasse/runner-poetry's own `warmRun()` (packages/runner-poetry/bench/warm-run.mjs): spawn →
 * the task's first line, for the runner's warm prepare() + the command it returns, for the
 * environment's python by hand, and for `poetry run python task.py` (the original's way).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { na } from '../lib/common.mjs'
import { getRoot } from '../lib/root.mjs'

export default {
  name: 'python-env',
  title: 'Python environments',
  async run(ctx) {
    const runs = ctx.opt('runs', ctx.quick ? 5 : 30)
    const file = join(getRoot(), 'packages/runner-poetry/bench/warm-run.mjs')
    let result
    if (!existsSync(file)) result = { na: `not available: ${file} is missing` }
    else {
      try {
        const { warmRun } = await import(pathToFileURL(file).href)
        ctx.log(`  warmRun({ runs: ${runs} })`)
        result = await warmRun({ runs })
      } catch (error) {
        result = { na: `warmRun failed: ${error.message.split('\n')[0]}` }
      }
    }
    const v = (f) => (result.na ? na(result.na) : f(result))
    const rows = [
      {
        figure: 'Poetry task warm run, spawn → first line, median (original column: poetry run)',
        unit: 'ms',
        better: 'lower',
        tasse: v((r) => r.tasse.medianMs),
        original: v((r) => (r.poetryRun ? r.poetryRun.medianMs : na('Poetry is not installed'))),
        target: '',
      },
      {
        figure: "Poetry warm-run overhead over the env's python by hand (median)",
        unit: 'ms',
        better: 'lower',
        tasse: v((r) => r.overheadMs),
        tasseText: result.na
          ? undefined
          : `${result.overheadMs.toFixed(1)} ms (${result.tasse.medianMs} vs ${result.envPython.medianMs} ms)`,
        target: '≤ 10 ms',
        met: result.na ? undefined : result.overheadMs <= 10,
      },
    ]
    return {
      rows,
      details: result,
      notes: result.na
        ? []
        : [`cold build of the environment: ${(result.coldBuildMs / 1000).toFixed(1)} s`],
    }
  },
}
