/**
 * The example Prometheus alerting rules in docs/prometheus/ are valid, and each fires on the
 * series it is written for (promtool's own rule tests), against the metric names /metrics has.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createTasse } from '@tasse/core'
import { createMetrics } from '@tasse/host'
import { describe, expect, it } from 'vitest'

const DOCS = join(import.meta.dirname, '..', '..', '..', 'docs', 'prometheus')
/** Prometheus' own tool (Debian's prometheus package; .ci/run installs it). */
const hasPromtool = spawnSync('promtool', ['--version']).status === 0
const skipped = hasPromtool ? '' : ' (skipped: promtool absent; apt-get install prometheus)'

function promtool(...args: string[]) {
  const result = spawnSync('promtool', args, { cwd: DOCS, encoding: 'utf8' })
  return { status: result.status, output: `${result.stdout}${result.stderr}` }
}

describe('docs/prometheus/alerting-rules.yml', () => {
  it.skipIf(!hasPromtool)(`passes promtool check rules${skipped}`, () => {
    const check = promtool('check', 'rules', 'alerting-rules.yml')
    expect(check.output).toContain('SUCCESS: 5 rules found')
    expect(check.status).toBe(0)
  })

  it.skipIf(!hasPromtool)(`fires each alert on its series (promtool test rules)${skipped}`, () => {
    const test = promtool('test', 'rules', 'alerting-rules.test.yml')
    expect(test.output).toContain('SUCCESS')
    expect(test.status).toBe(0)
  })

  it('uses only metrics the host exports', async () => {
    const tasse = createTasse({ dataDir: DOCS, watch: false })
    const metrics = createMetrics(tasse, { processMetrics: false })
    const exported = new Set(metrics.names())
    metrics.close()
    const rules = readFileSync(join(DOCS, 'alerting-rules.yml'), 'utf8')
    const used = [...rules.matchAll(/\b(tasse_[a-z_]+)/g)].map((match) => match[1] as string)
    expect(used.length).toBeGreaterThan(4)
    for (const name of used) expect(exported, name).toContain(name)
  })
})
