#!/usr/bin/env node
/**
 * `npm run bench [-- --only NAME[,NAME…]] [--original PATH/server.py] [--quick] [--set KEY=VALUE…]`
 *
 * Runs the scenarios in bench/scenarios/ one after the other against the built host (and the
 * original Python service when --original is given), prints the machine, the date and one
 * Markdown table (figure | Tasse | target | original | ratio), and writes the results as JSON and
 * Markdown to bench/results/. Benchmarks report; they never fail: the exit status is 0 unless
 * the harness itself is misused.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { originalProblem } from './lib/hosts.mjs'
import { getRoot, setRoot } from './lib/root.mjs'
import { formatRow, TABLE_HEADER } from './lib/table.mjs'

const here = dirname(fileURLToPath(import.meta.url))

const ORDER = [
  'fire-lateness',
  'trigger-latency',
  'log-throughput',
  'idle-scale',
  'burst',
  'trigger-maths',
  'python-env',
  'dashboard',
  'cluster',
]

const USAGE = `Usage: npm run bench -- [options]

  --only NAME[,NAME]   run only these scenarios (${ORDER.join(', ')})
  --original PATH      the original service's server.py: scenarios 1-5 also run against it
                       (needs Debian's python3-apscheduler, -flask, -loguru, -sqlalchemy, -ruamel.yaml)
  --quick              short durations and sizes, to check the harness
  --set KEY=VALUE      a scenario setting, e.g. --set idleSeconds=30 --set sizes=1,50
                       (see each file in bench/scenarios/)
  --out DIR            where results go (default bench/results)
  --root DIR           measure the Tasse checkout in DIR (built), not this one
  -h, --help`

async function main() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      original: { type: 'string' },
      quick: { type: 'boolean', default: false },
      set: { type: 'string', multiple: true },
      out: { type: 'string' },
      root: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  })
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const available = readdirSync(join(here, 'scenarios'))
    .filter((f) => f.endsWith('.mjs'))
    .map((f) => f.slice(0, -4))
  const only = (values.only ?? []).flatMap((v) => v.split(',')).filter(Boolean)
  for (const name of only)
    if (!available.includes(name)) {
      console.error(`[bench] unknown scenario "${name}"; known: ${available.join(', ')}`)
      return 2
    }
  const names = [...ORDER, ...available.filter((n) => !ORDER.includes(n))].filter(
    (n) => available.includes(n) && (only.length === 0 || only.includes(n)),
  )
  const settings = {}
  for (const pair of values.set ?? []) {
    const eq = pair.indexOf('=')
    if (eq < 1) {
      console.error(`[bench] --set expects KEY=VALUE, got "${pair}"`)
      return 2
    }
    settings[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  if (values.root) setRoot(values.root)
  const originalPath = values.original ? resolve(values.original) : null
  const problem = await originalProblem(originalPath)

  const machine = machineFacts()
  const started = new Date()
  const header = [
    `Tasse benchmarks — ${started.toISOString()}`,
    `Machine: ${machine.cpu} (${machine.cores} cores), ${machine.memoryGiB} GiB, ${machine.os}; Node ${machine.node}; load average at start ${machine.loadavg.join(' ')}`,
    `Tasse: ${getRoot()} (${commitOf(getRoot())})`,
    `Original: ${problem ? `n/a (${problem})` : originalPath}`,
  ]
  for (const line of header) console.log(line)
  console.log('')

  const ctx = {
    quick: values.quick,
    original: problem ? null : originalPath,
    originalProblem: problem,
    settings,
    log: (message) => console.log(message),
    /** A setting from --set, parsed like its default. */
    opt(key, fallback) {
      if (!(key in settings)) return fallback
      const text = settings[key]
      if (Array.isArray(fallback))
        return text.split(',').map((v) => (Number.isNaN(Number(v)) ? v : Number(v)))
      if (typeof fallback === 'number') return Number(text)
      if (typeof fallback === 'boolean') return text === 'true' || text === '1'
      return text
    },
  }

  const results = []
  for (const name of names) {
    const t0 = performance.now()
    console.log(`[bench] ${name}…`)
    let result
    try {
      const scenario = (await import(pathToFileURL(join(here, 'scenarios', `${name}.mjs`)).href))
        .default
      result = await scenario.run(ctx)
      result.title = scenario.title
    } catch (error) {
      console.log(`[bench] ${name} failed: ${error.stack ?? error}`)
      result = {
        title: name,
        rows: [{ figure: `${name}`, tasse: { na: `harness error: ${error.message}` }, target: '' }],
        notes: [],
        details: { error: String(error.stack ?? error) },
      }
    }
    result.name = name
    result.seconds = (performance.now() - t0) / 1000
    results.push(result)
    console.log(`[bench] ${name} done in ${result.seconds.toFixed(1)} s`)
    for (const row of result.rows) console.log(`  ${formatRow(row)}`)
  }

  const lines = [...header.map((l) => `${l}  `), '', ...TABLE_HEADER]
  for (const result of results) {
    for (const row of result.rows) lines.push(formatRow({ ...row, scenario: result.name }))
  }
  const notes = results.flatMap((r) => (r.notes ?? []).map((n) => `- ${r.name}: ${n}`))
  if (notes.length) lines.push('', 'Notes:', ...notes)
  const markdown = `${lines.join('\n')}\n`
  console.log('')
  console.log(markdown)

  const outDir = values.out ? resolve(values.out) : join(here, 'results')
  mkdirSync(outDir, { recursive: true })
  const stamp = started.toISOString().replace(/[:.]/g, '-')
  const json = JSON.stringify(
    {
      date: started.toISOString(),
      machine,
      root: getRoot(),
      commit: commitOf(getRoot()),
      original: originalPath,
      originalProblem: problem,
      settings,
      quick: values.quick,
      results,
    },
    null,
    2,
  )
  for (const base of [`bench-${stamp}`, 'latest']) {
    writeFileSync(join(outDir, `${base}.json`), `${json}\n`)
    writeFileSync(join(outDir, `${base}.md`), markdown)
  }
  console.log(`[bench] results: ${join(outDir, `bench-${stamp}.{json,md}`)} (and latest.*)`)
  return 0
}

function machineFacts() {
  const list = cpus()
  let osName = `${process.platform} ${process.arch}`
  try {
    const release = readText('/etc/os-release').match(/^PRETTY_NAME="?([^"\n]+)/m)
    if (release) osName = `${release[1]}, ${process.platform} ${process.arch}`
  } catch {}
  return {
    cpu: list[0]?.model?.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: osName,
    loadavg: loadavg(),
  }
}

function commitOf(dir) {
  try {
    const head = execFileSync('git', ['-C', dir, 'log', '-1', '--format=%h %s'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
    const dirty = execFileSync('git', ['-C', dir, 'status', '--porcelain', '--', 'packages'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
    return `commit ${head}${dirty ? ', with uncommitted changes in packages/' : ''}`
  } catch {
    return readText(join(dir, 'COMMIT')).trim() || 'not a git checkout'
  }
}

function loadavg() {
  return readText('/proc/loadavg').split(' ').slice(0, 3)
}

function readText(path) {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

main().then(
  (code) => {
    process.exitCode = code
    // Scenario handles (agents, timers) must not keep the bench alive.
    setTimeout(() => process.exit(code), 100).unref()
  },
  (error) => {
    console.error(error)
    process.exitCode = 1
  },
)
