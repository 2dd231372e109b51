#!/usr/bin/env node
/**
 * Warm-run overhead of a Poetry task: the time from spawn to the task's first line of output,
 *   - tasse:      the runner's warm `prepare()` (marker check, input hashes) + spawn of the
 *                 Command it returns (the environment's own bin/python), as core does it;
 *   - envPython:  spawn of `venv/<name>/bin/python task.py` by hand;
 *   - poetryRun:  spawn of `poetry run python task.py` (the original service's way).
 * The three are interleaved, run after run, so that a slower moment of the machine affects all
 * alike. The environment's first build (cold) is timed too.
 *
 * Import and call `warmRun()` (the repository's `npm run bench` does), or run this file:
 *   npx tsc -b packages/runner-poetry && node packages/runner-poetry/bench/warm-run.mjs [--runs 30]
 *
 * Needs python3 with venv, and Poetry for the poetryRun figure (left null without it). Works
 * offline: the fixture's dependency is a local path package that needs no index.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const here = fileURLToPath(new URL('.', import.meta.url))
const packageDir = join(here, '..')
const fixtures = join(packageDir, 'test', 'fixtures')
const TASK = 'poetry-path'

/**
 * @typedef {object} Timing
 * @property {number} medianMs
 * @property {number} p90Ms
 * @property {number} minMs
 * @property {number[]} samplesMs  every run, in order
 *
 * @typedef {object} WarmRunResult
 * @property {number} runs
 * @property {string} python         `python3 --version` of the environment
 * @property {string|null} poetry    `poetry --version`, null when Poetry is absent
 * @property {number} coldBuildMs    the first prepare(): python -m venv + poetry install
 * @property {Timing} prepare        warm prepare() alone
 * @property {Timing} tasse          warm prepare() + spawn to first line
 * @property {Timing} envPython      the env's python by hand, spawn to first line
 * @property {Timing|null} poetryRun `poetry run python task.py`, spawn to first line
 * @property {number} overheadMs     tasse.medianMs - envPython.medianMs (the target: within 10 ms)
 */

/**
 * Builds the fixture Poetry task's environment in a temporary data directory, then times warm
 * runs three ways. Never fails on a slow figure: it measures and returns.
 *
 * @param {{ runs?: number, warmup?: number, python?: string, poetry?: string }} [options]
 * @returns {Promise<WarmRunResult>}
 * @example
 * import { warmRun } from '../packages/runner-poetry/bench/warm-run.mjs'
 * const result = await warmRun({ runs: 30 })
 * console.log(`overhead ${result.overheadMs.toFixed(1)} ms`)
 */
export async function warmRun(options = {}) {
  const runs = options.runs ?? 30
  const warmup = options.warmup ?? 3
  const distEntry = join(packageDir, 'dist', 'index.js')
  if (!existsSync(distEntry))
    throw new Error(
      `[tasse] [runner-poetry] bench: ${distEntry} is missing; build first (npx tsc -b packages/runner-poetry)`,
    )
  const { poetryRunner } = await import(pathToFileURL(distEntry).href)
  const core = await import('@tasse/core')
  const kit = await import('@tasse/core/plugin-kit')

  const dataDir = await mkdtemp(join(tmpdir(), 'tasse-bench-python-env-'))
  try {
    await cp(fixtures, dataDir, { recursive: true })
    const runner = poetryRunner({
      // No index: the fixture needs none, and a figure must not depend on a network.
      installEnv: { PIP_NO_INDEX: '1', PIP_CONFIG_FILE: '/dev/null' },
      ...(options.python ? { python: options.python } : {}),
      ...(options.poetry ? { poetry: options.poetry } : {}),
    })
    const task = core.loadTask(join(dataDir, 'tasks', TASK), {
      factories: new Map(),
      defaultTimezone: 'UTC',
    })
    const env = { ...kit.taskBaseEnv(process.env), TASSE_TASK: TASK }
    const context = () => ({
      dataDir,
      env,
      log: () => {},
      signal: new AbortController().signal,
    })

    const coldStart = performance.now()
    const command = await runner.prepare(task, context())
    const coldBuildMs = performance.now() - coldStart
    const runEnv = { ...env, ...command.env }
    const venv = join(dataDir, 'venv', TASK)
    const poetryBin = options.poetry ?? 'poetry'
    const hasPoetry = spawnSync(poetryBin, ['--version'], { stdio: 'ignore' }).status === 0

    const ways = {
      prepare: async () => {
        const start = performance.now()
        await runner.prepare(task, context())
        return performance.now() - start
      },
      tasse: async () => {
        const start = performance.now()
        const warm = await runner.prepare(task, context())
        return firstLine(warm.command, warm.args, task.dir, { ...env, ...warm.env }, start)
      },
      envPython: () =>
        firstLine(join(venv, 'bin', 'python'), ['task.py'], task.dir, runEnv, performance.now()),
      ...(hasPoetry
        ? {
            poetryRun: () =>
              firstLine(
                poetryBin,
                ['run', 'python', 'task.py'],
                task.dir,
                // As the original ran it, with Poetry finding the task's environment.
                {
                  ...runEnv,
                  POETRY_VIRTUALENVS_PATH: join(venv, '.poetry-virtualenvs'),
                  PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring',
                },
                performance.now(),
              ),
          }
        : {}),
    }
    /** @type {Record<string, number[]>} */
    const samples = Object.fromEntries(Object.keys(ways).map((name) => [name, []]))
    for (let i = 0; i < warmup + runs; i++) {
      for (const [name, way] of Object.entries(ways)) {
        const ms = await way()
        if (i >= warmup) samples[name]?.push(ms)
      }
    }
    const timing = (name) => (samples[name] ? summarize(samples[name]) : null)
    const tasse = /** @type {Timing} */ (timing('tasse'))
    const envPython = /** @type {Timing} */ (timing('envPython'))
    return {
      runs,
      python: version(join(venv, 'bin', 'python')) ?? 'unknown',
      poetry: hasPoetry ? version(poetryBin) : null,
      coldBuildMs: round(coldBuildMs),
      prepare: /** @type {Timing} */ (timing('prepare')),
      tasse,
      envPython,
      poetryRun: timing('poetryRun'),
      overheadMs: round(tasse.medianMs - envPython.medianMs),
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}

/** Milliseconds from `start` until the process printed its first line (it is then left to end). */
function firstLine(command, args, cwd, env, start) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let seen = false
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      if (!seen && chunk.includes('\n')) {
        seen = true
        resolve(performance.now() - start)
      }
    })
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk
    })
    child.once('error', reject)
    child.once('close', (code) => {
      if (!seen)
        reject(new Error(`${command} ${args.join(' ')} printed no line (exit ${code}): ${stderr}`))
    })
  })
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  return {
    medianMs: round(at(0.5)),
    p90Ms: round(at(0.9)),
    minMs: round(sorted[0]),
    samplesMs: values.map(round),
  }
}

function round(ms) {
  return Math.round(ms * 100) / 100
}

function version(command) {
  const out = spawnSync(command, ['--version'], { encoding: 'utf8' })
  return out.status === 0 ? (out.stdout || out.stderr).trim() : null
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, json: { type: 'boolean' } } })
  const result = await warmRun({ runs: values.runs ? Number(values.runs) : undefined })
  if (values.json) console.log(JSON.stringify(result, null, 2))
  else {
    const row = (name, t) =>
      t ? `| ${name} | ${t.medianMs} | ${t.p90Ms} | ${t.minMs} |` : `| ${name} | n/a | n/a | n/a |`
    console.log(`${result.python}, ${result.poetry ?? 'no Poetry'}, ${result.runs} runs each`)
    console.log(`cold build (python -m venv + poetry install): ${result.coldBuildMs} ms\n`)
    console.log('| spawn to first line | median ms | p90 ms | min ms |')
    console.log('|---|---|---|---|')
    console.log(row('warm prepare() alone', result.prepare))
    console.log(row('Tasse: prepare() + env python', result.tasse))
    console.log(row('env python by hand', result.envPython))
    console.log(row('poetry run python task.py', result.poetryRun))
    console.log(
      `\nTasse overhead over the env's python by hand: ${result.overheadMs} ms (target: within 10 ms)`,
    )
  }
}
