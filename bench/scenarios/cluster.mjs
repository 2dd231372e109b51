/**
 * Cluster: 1, 2 and 3 hosts on one PostgreSQL store and one data folder, N tasks (200) on
 * `interval, seconds: 1` anchored on a whole second. Each run appends its start time and the
 * fire time it was given to one file. Over a window of whole seconds every (task, second) should
 * run exactly once, whatever the number of hosts: fires with no run are "not run", a second run
 * of one fire time a "duplicate" (target 0). Each host's limit is N runs at once.
 */
import { join } from 'node:path'
import { na, stampScript } from '../lib/common.mjs'
import { firesInWindow } from '../lib/fires.mjs'
import { startTasse } from '../lib/hosts.mjs'
import { wallSeconds } from '../lib/http.mjs'
import { postgresProblem, startPostgres } from '../lib/postgres.mjs'
import { makeWorkDir, removeWorkDir, sleep } from '../lib/procs.mjs'
import { summary } from '../lib/stats.mjs'
import { schedulerYaml, writeTask } from '../lib/tasks.mjs'

const SCHEDULED_TIME = ['$', '{TASSE_SCHEDULED_TIME:-}'].join('')

export default {
  name: 'cluster',
  title: 'Several hosts on one PostgreSQL store (interval, seconds: 1)',
  async run(ctx) {
    const n = ctx.opt('tasks', ctx.quick ? 20 : 200)
    const seconds = ctx.opt('seconds', ctx.quick ? 5 : 10)
    const counts = ctx.opt('hosts', [1, 2, 3])
    const problem = postgresProblem()
    if (problem)
      return {
        rows: [{ figure: 'cluster', tasse: na(problem), target: '' }],
        details: {},
        notes: [],
      }
    const server = await startPostgres()
    const rows = []
    const details = { n, seconds, cases: [] }
    try {
      for (const hosts of counts) {
        ctx.log(`  ${hosts} host(s), ${n} tasks each second`)
        const result = await measure(server.createDatabase(), n, hosts, seconds)
        details.cases.push({ hosts, ...result })
        const label = `${n} tasks, ${hosts} host${hosts > 1 ? 's' : ''}`
        const pick = (f) => (result.error ? na(result.error) : f(result))
        rows.push({
          figure: `lateness p50 / p99, ${label}`,
          unit: 'ms',
          better: 'lower',
          tasse: pick((r) => r.lateness.p99),
          tasseText: result.lateness
            ? `${result.lateness.p50.toFixed(0)} / ${result.lateness.p99.toFixed(0)} ms`
            : undefined,
          target: '',
        })
        rows.push({
          figure: `fires not run / duplicates, ${label}`,
          unit: '',
          better: 'lower',
          tasse: pick((r) => r.duplicates),
          tasseText: result.expected
            ? `${result.notRun}/${result.expected} not run; ${result.duplicates} dup.`
            : undefined,
          target: '0 dup.',
          met: result.expected ? result.duplicates === 0 : undefined,
        })
      }
    } finally {
      server.stop()
    }
    return { rows, details, notes: [] }
  },
}

async function measure(url, n, count, seconds) {
  const work = makeWorkDir(`cluster-${count}`)
  const records = join(work, 'records.txt')
  const hosts = []
  try {
    const dataDir = join(work, 'data')
    const yaml = schedulerYaml({
      trigger: 'interval',
      seconds: 1,
      start_date: '2020-01-01 00:00:00',
    })
    for (let i = 0; i < n; i++) {
      const name = `t${String(i).padStart(4, '0')}`
      writeTask(dataDir, name, { yaml, script: stampScript(records, name, SCHEDULED_TIME) })
    }
    const env = { TASSE_STORE: url, TASSE_CONCURRENCY: String(n) }
    for (let i = 0; i < count; i++)
      hosts.push(await startTasse(work, { env, logName: `host-${i}.log` }))
    const first = Math.ceil(wallSeconds()) + 1
    const last = first + seconds - 1
    await sleep((last + 3 - wallSeconds()) * 1000)
    const { seen, lateness, duplicates } = firesInWindow(records, first, last, true)
    const expected = n * seconds
    return { expected, notRun: expected - seen.size, duplicates, lateness: summary(lateness) }
  } catch (error) {
    return { error: error.message.split('\n')[0] }
  } finally {
    for (const host of hosts) await host.stop()
    removeWorkDir(work)
  }
}
