/**
 * Starting the system under test: the Tasse host (`node packages/host/bundle/cli.js serve`) or the
 * original Python service (its `server.py`, run by Debian's /usr/bin/python3 through
 * `original-launch.py`, which only pins its port and address). Both use the same layout:
 * `<work>/data/tasks/<name>/`, logs in `<work>/data/logs/<name>/log.txt`.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { follow, launch, sleep } from './procs.mjs'
import { hostCli, hostNodeOptions } from './root.mjs'

const here = dirname(fileURLToPath(import.meta.url))
export const ORIGINAL_PYTHON = '/usr/bin/python3'
/** The bearer token the Tasse host under test is given (it listens on loopback only). */
export const BENCH_TOKEN = 'tasse-bench-token'

/** A free TCP port on the loopback interface. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolvePort(port))
    })
  })
}

/** The environment of a host under test: ours, less anything that would change its behaviour. */
function baseEnv(extra) {
  const env = { ...process.env }
  for (const key of Object.keys(env))
    if (/^(TASSE_|npm_|NODE_OPTIONS$|VIRTUAL_ENV$|POETRY_ACTIVE$)/.test(key)) delete env[key]
  return { ...env, ...extra }
}

/**
 * Starts a Tasse host on `<work>/data`; resolves once it listens and has scheduled its tasks
 * (it prints `serving … (N task(s))` after the first scan), or throws with its output.
 */
export async function startTasse(
  work,
  { env = {}, timeoutMs = 120_000, logName = 'host.log' } = {},
) {
  const cli = hostCli()
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run "npm run build" first`)
  const dataDir = join(work, 'data')
  mkdirSync(join(dataDir, 'tasks'), { recursive: true })
  // Several hosts on one data folder (the cluster scenario) each log to a file of their own.
  const logFile = join(work, logName)
  const t0 = performance.now()
  const proc = launch(
    process.execPath,
    // The V8 settings `npm start` and the image's `tasse` give the host (docker/tasse).
    [...hostNodeOptions(), cli, 'serve', '--data', dataDir, '--port', '0', '--host', '127.0.0.1'],
    {
      env: baseEnv({ TASSE_SHUTDOWN_GRACE: '3', TASSE_TOKEN: BENCH_TOKEN, ...env }),
      cwd: work,
      logFile,
    },
  )
  const log = follow(logFile)
  const m = await log.waitFor(
    /serving .* on (http:\/\/\S+) \((\d+) task/,
    timeoutMs,
    () => proc.exited,
  )
  const readyMs = performance.now() - t0
  if (!m) {
    await proc.stop(1000)
    throw new Error(`the Tasse host did not start: ${lastWords(log)}`)
  }
  return {
    kind: 'tasse',
    pid: proc.pid,
    headers: { authorization: `Bearer ${BENCH_TOKEN}` },
    url: m[1],
    taskCount: Number(m[2]),
    readyMs,
    log,
    dataDir,
    stop: (graceMs = 5000) => proc.stop(graceMs),
    get exited() {
      return proc.exited
    },
  }
}

/**
 * Starts the original service from a copy of its `server.py` in `work` (it keeps its data in
 * `data/` beside itself, including an SQLite job store, so each scenario gets a fresh one).
 * Resolves once Flask listens, which is after its first scan and `scheduler.start()`.
 */
export async function startOriginal(work, serverPy, { timeoutMs = 180_000 } = {}) {
  const dataDir = join(work, 'data')
  mkdirSync(join(dataDir, 'tasks'), { recursive: true })
  mkdirSync(join(dataDir, 'logs'), { recursive: true })
  copyFileSync(serverPy, join(work, 'server.py'))
  const port = await freePort()
  const logFile = join(work, 'host.log')
  const t0 = performance.now()
  const proc = launch(
    ORIGINAL_PYTHON,
    [join(here, 'original-launch.py'), join(work, 'server.py'), String(port)],
    { env: baseEnv({ PYTHONUNBUFFERED: '1' }), cwd: work, logFile },
  )
  const log = follow(logFile, { everyMs: 10 })
  const m = await log.waitFor(/Running on http:\/\/\S+/, timeoutMs, () => proc.exited)
  const readyMs = performance.now() - t0
  if (!m) {
    await proc.stop(1000)
    throw new Error(`the original did not start within ${timeoutMs / 1000} s: ${lastWords(log)}`)
  }
  return {
    kind: 'original',
    pid: proc.pid,
    headers: {},
    url: `http://127.0.0.1:${port}`,
    readyMs,
    log,
    dataDir,
    stop: (graceMs = 3000) => proc.stop(graceMs),
    get exited() {
      return proc.exited
    },
  }
}

/** The gist of why a host died: its last error-looking line (its whole log stays in the JSON). */
function lastWords(log) {
  log.poll(true)
  const lines = log.lines.filter((l) => l.trim())
  const error = [...lines].reverse().find((l) => /Error|error|Traceback|failed/.test(l))
  return (error ?? lines.at(-1) ?? 'no output').trim()
}

/** Whether the original can run here: its server.py and Debian's Python packages. */
export async function originalProblem(serverPy) {
  if (!serverPy) return 'not run: no --original'
  if (!existsSync(serverPy)) return `${serverPy} does not exist`
  const { execFileSync } = await import('node:child_process')
  try {
    execFileSync(
      ORIGINAL_PYTHON,
      ['-c', 'import apscheduler, flask, loguru, sqlalchemy, ruamel.yaml, pytz'],
      { stdio: 'pipe' },
    )
  } catch {
    return `${ORIGINAL_PYTHON} lacks python3-apscheduler, python3-flask, python3-loguru, python3-sqlalchemy or python3-ruamel.yaml`
  }
  return null
}

export { sleep }
