#!/usr/bin/env node
/**
 * `npm run test:container`: builds the Dockerfile for real with podman and runs the image on a
 * temporary data folder, as an operator would (`docker run -v ./data:/data`), then checks what
 * issue #8 promises: a scheduled task's output in the mounted log.txt, a run triggered over
 * HTTP with the generated token, /healthz and the image's HEALTHCHECK, a Poetry task building
 * its environment inside the container, tini reaping orphans, and a clean exit (code 0) on
 * SIGTERM that lets a running task finish; what issue #18 and #20 promise: the host runs as
 * root, its tasks as the owner of /data (uid 1234 here) or as PUID/PGID, without a rebuild,
 * refused the host's token, database and /proc/<host>/environ, with the hardening of
 * docker-compose.yml (read-only root, capabilities dropped); a root-owned /data gets a message
 * saying what to run and no restart loop; OCI labels; no test sources in the image; and issue
 * #19's: the image's host starts runs through the posix_spawn addon it built. Prints the
 * image size and timings.
 *
 * Needs root, podman and runc (no Docker engine or image registry: the base image is made
 * locally, see base-image.mjs), and Debian's and npm's registries reachable.
 *
 * Environment:
 *   TASSE_TEST_IMAGE     tag of the image built (default localhost/tasse:test)
 *   TASSE_TEST_BASE      use this base image instead of making one (e.g. node:20-bookworm-slim)
 *   TASSE_TEST_CONTEXT   build context (default: this repository)
 *   TASSE_TEST_KEEP=1    keep the container and data folder on failure, to look at them
 */
import { spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { businessDaysYaml, installExamplePlugin, soonTimes } from '../example-plugin.mjs'
import { ensureBaseImage, PODMAN_RUNTIME } from './base-image.mjs'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const CONTEXT = resolve(process.env.TASSE_TEST_CONTEXT ?? ROOT)
const IMAGE = process.env.TASSE_TEST_IMAGE ?? 'localhost/tasse:test'
const CONTAINER = `tasse-test-${process.pid}`
const KEEP = process.env.TASSE_TEST_KEEP === '1'

const results = []
const timings = {}
let dataDir = null
let containerStarted = false
let failedOnce = false

/** Records one check; a failing check does not stop the others that do not depend on it. */
function check(name, ok, detail = '') {
  results.push({ name, ok })
  if (!ok) failedOnce = true
  console.log(`${ok ? 'ok  ' : 'FAIL'}  ${name}${detail ? ` — ${detail}` : ''}`)
  return ok
}

/** podman with the runtime this machine needs, bounded in time; returns { status, stdout, stderr }. */
function podman(args, { timeoutMs = 60_000, inherit = false } = {}) {
  const result = spawnSync('podman', ['--runtime', PODMAN_RUNTIME, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    stdio: inherit ? ['ignore', 'inherit', 'inherit'] : 'pipe',
    maxBuffer: 64 * 1024 * 1024,
  })
  const timedOut = result.error?.code === 'ETIMEDOUT'
  return {
    status: timedOut ? null : result.status,
    stdout: (result.stdout ?? '').trim(),
    stderr: timedOut
      ? `podman ${args[0]} timed out after ${timeoutMs / 1000}s`
      : (result.stderr ?? '').trim(),
  }
}

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes; returns that value or null. */
async function waitFor(probe, timeoutMs, everyMs = 250) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const value = await probe()
      if (value) return value
    } catch {}
    if (Date.now() >= deadline) return null
    await sleep(everyMs)
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function readText(path) {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolvePort(port))
    })
  })
}

/** fetch with a deadline. */
async function http(url, init = {}, timeoutMs = 10_000) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)}s`
}

/** The example and test tasks, in a fresh data folder. */
function makeDataDir() {
  const dir = mkdtempSync(join(process.env.TASSE_TEST_TMP ?? tmpdir(), 'tasse-container-'))
  const tasks = join(dir, 'tasks')
  // The repository's own example, unchanged: every 10 seconds, print "Hello world".
  cpSync(join(ROOT, 'data/tasks/helloworld'), join(tasks, 'helloworld'), { recursive: true })
  const task = (name, files) => {
    mkdirSync(join(tasks, name), { recursive: true })
    for (const [file, text] of Object.entries(files)) writeFileSync(join(tasks, name, file), text)
  }
  // Poetry, with no dependencies (no Python package index here): the environment is still
  // built by `poetry install` inside the container, under data/venv/.
  task('poetry-task', {
    'task.yaml': '# run only when triggered\nentrypoint: task.py\n',
    'pyproject.toml': [
      '[tool.poetry]',
      'name = "poetry-task"',
      'version = "0.1.0"',
      'description = "container test"',
      'authors = ["Tasse <tasse@example.org>"]',
      '',
      '[tool.poetry.dependencies]',
      'python = "^3.9"',
      '',
      '[build-system]',
      'requires = ["poetry-core"]',
      'build-backend = "poetry.core.masonry.api"',
      '',
    ].join('\n'),
    'task.py': 'import sys\nprint("poetry task ran in", sys.prefix)\n',
  })
  // Runs for a few seconds: SIGTERM arrives while it runs, and it must be let finish.
  task('slow', {
    'task.yaml': 'entrypoint: task.py\n',
    'task.py':
      'import time\nprint("slow started", flush=True)\ntime.sleep(4)\nprint("slow finished", flush=True)\n',
  })
  // Says who it runs as, then tries the host's private files and its environment (the host is
  // the node process: its /proc/<pid>/environ holds the token when TASSE_TOKEN gives it).
  task('peek', {
    'task.yaml': 'entrypoint: task.sh\n',
    'task.sh': [
      'echo "peek uid $(id -u) gid $(id -g)"',
      'host=""',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${…}, not JS's
      'for p in /proc/[0-9]*; do [ "$(cat "$p/comm" 2>/dev/null)" = node ] && host="${p#/proc/}"; done',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${…}, not JS's
      'echo "peek host pid ${host:-none}"',
      'for f in /data/.tasse/token /data/.tasse/tasse.db "/proc/$host/environ"; do',
      '  if cat "$f" >/dev/null 2>&1; then echo "peek READ $f"; else echo "peek refused $f"; fi',
      'done',
      '',
    ].join('\n'),
  })
  // Leaves a grandchild behind in a session of its own (out of reach of the process-group
  // kill): when it exits, only an init as PID 1 reaps it.
  task('orphan', {
    'task.yaml': 'entrypoint: task.py\n',
    'task.py':
      'import subprocess\nsubprocess.Popen(["sleep", "1"], start_new_session=True)\nprint("orphan left", flush=True)\n',
  })
  return dir
}

/** Triggers `name` with the original service's route, `GET /trigger/<name>` (200 when accepted). */
function trigger(base, name, token) {
  return http(`${base}/trigger/${name}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  })
}

/** Triggers `name` with the versioned API, `POST /api/v1/tasks/<name>/runs` (202 when accepted). */
function triggerRun(base, name, token) {
  return http(`${base}/api/v1/tasks/${name}/runs`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: '{}',
  })
}

/** `<status> <body>` of a response, for messages. */
async function describe(response) {
  return `got ${response.status} ${(await response.text().catch(() => '')).slice(0, 300)}`.trim()
}

function logOf(name) {
  return readText(join(dataDir, 'logs', name, 'log.txt'))
}

function containerLogs(name = CONTAINER) {
  const logs = podman(['logs', name], { timeoutMs: 15_000 })
  return `${logs.stdout}\n${logs.stderr}`.trim()
}

async function main() {
  if (process.getuid?.() !== 0)
    throw new Error(
      'run as root: the base image needs debootstrap, the data folder is chowned to the image user',
    )
  if (spawnSync('podman', ['--version']).status !== 0)
    throw new Error(
      'podman not found: apt-get install -y podman runc debootstrap uidmap fuse-overlayfs slirp4netns',
    )

  // 1. The base image (cached in podman's store) and the image itself.
  let started = Date.now()
  const base = process.env.TASSE_TEST_BASE ?? ensureBaseImage()
  timings.base = Date.now() - started
  console.log(`base image: ${base} (${seconds(timings.base)})`)
  const smoke = podman(['run', '--rm', '--network', 'none', base, 'true'])
  if (smoke.status !== 0)
    throw new Error(
      `podman cannot start a container: ${smoke.stderr}` +
        (/rlimit/.test(smoke.stderr)
          ? '\n(where setting resource limits is not permitted, put "[containers]\\ndefault_ulimits = []\\npids_limit = 0" in /etc/containers/containers.conf)'
          : ''),
    )

  started = Date.now()
  console.log(`building ${IMAGE} from ${join(CONTEXT, 'Dockerfile')}…`)
  // npm's downloads are kept between builds by the Dockerfile's cache mount (in podman's store).
  const build = podman(
    [
      'build',
      '--network',
      'host',
      '--format',
      'docker',
      '--layers',
      '--build-arg',
      `BASE_IMAGE=${base}`,
      '-t',
      IMAGE,
      '-f',
      join(CONTEXT, 'Dockerfile'),
      CONTEXT,
    ],
    { timeoutMs: 30 * 60_000, inherit: true },
  )
  timings.build = Date.now() - started
  if (
    !check(
      'image builds',
      build.status === 0,
      `${seconds(timings.build)}${build.status === 0 ? '' : `, ${build.stderr || `exit ${build.status}`}`}`,
    )
  )
    return

  const inspect = JSON.parse(podman(['image', 'inspect', IMAGE]).stdout)[0]
  const size = inspect.Size
  console.log(`image size: ${(size / 1e6).toFixed(0)} MB (${size} bytes; base ${base})`)
  const config = inspect.Config ?? {}
  const env = Object.fromEntries(
    (config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  )
  check(
    'image declares /data volume, port 5000, TASSE_DATA=/data, TASSE_HOST=0.0.0.0',
    Object.keys(config.Volumes ?? {}).includes('/data') &&
      Object.keys(config.ExposedPorts ?? {}).includes('5000/tcp') &&
      env.TASSE_DATA === '/data' &&
      env.TASSE_HOST === '0.0.0.0',
    JSON.stringify({
      volumes: config.Volumes,
      ports: config.ExposedPorts,
      TASSE_DATA: env.TASSE_DATA,
      TASSE_HOST: env.TASSE_HOST,
    }),
  )
  check(
    'image has a HEALTHCHECK on /healthz',
    JSON.stringify(inspect.Healthcheck ?? config.Healthcheck ?? {}).includes('/healthz'),
  )
  check('docker-compose.yml mounts ./data:/data and publishes 127.0.0.1:5000:5000', composeAgrees())
  check(
    'docker-compose.yml: read-only root, capabilities dropped, memory limited',
    composeHardened(),
  )
  const labels = config.Labels ?? inspect.Labels ?? {}
  check(
    'image has OCI labels (title, version, licenses, base.name)',
    ['title', 'version', 'licenses', 'base.name'].every(
      (key) => labels[`org.opencontainers.image.${key}`],
    ),
    JSON.stringify(labels),
  )
  const tests = podman([
    'run',
    '--rm',
    '--network',
    'none',
    IMAGE,
    'sh',
    '-c',
    "find /app -path /app/node_modules -prune -o \\( -name '*.test.*' -o -name test -o -name src -o -name testing \\) -print",
  ])
  check(
    'no test sources in the image',
    tests.status === 0 && tests.stdout === '',
    tests.stdout.split('\n').slice(0, 5).join(', ') || tests.stderr,
  )

  // 2. Run it on a temporary data folder owned by uid 1234 (no user of the image), with host
  // networking and the hardening of docker-compose.yml: tasks run as 1234, no rebuild.
  const dataUid = '1234'
  dataDir = makeDataDir()
  spawnSync('chown', ['-R', `${dataUid}:${dataUid}`, dataDir])
  const port = await freePort()
  const base_ = `http://127.0.0.1:${port}`
  started = Date.now()
  const run = startDetached(CONTAINER, dataDir, 'host', [
    `TASSE_PORT=${port}`,
    'TASSE_SHUTDOWN_GRACE=20',
  ])
  containerStarted = run.status === 0
  if (!check('container starts', containerStarted, containerStarted ? '' : run.stderr)) return

  const healthy = await waitFor(async () => (await http(`${base_}/healthz`, {}, 2000)).ok, 60_000)
  timings.ready = Date.now() - started
  if (!check('/healthz answers 200', Boolean(healthy), `after ${seconds(timings.ready)}`)) return
  const healthcheck = podman(['healthcheck', 'run', CONTAINER], { timeoutMs: 30_000 })
  check(
    'the image HEALTHCHECK passes',
    healthcheck.status === 0,
    healthcheck.stdout || healthcheck.stderr,
  )

  // The image builds @tasse/core's addon: runs start through posix_spawn, not a fork() of the
  // host (the host says which way once it has started, before its `serving` line).
  await waitFor(async () => containerLogs().includes('serving '), 60_000)
  const spawnLine = containerLogs()
    .split('\n')
    .find((line) => line.includes('runs start through'))
  check(
    'the host starts runs through posix_spawn (the addon is built in the image)',
    spawnLine?.includes('runs start through posix_spawn') ?? false,
    spawnLine ?? 'no "runs start through" line in the host log',
  )

  const uids = nodeUids(CONTAINER)
  check(
    'the host runs as root (its tasks as the owner of /data)',
    uids.length > 0 && uids.every((uid) => uid === '0'),
    `node processes' uids: ${uids.join(', ') || 'none'}`,
  )
  const pid1 = podman(['exec', CONTAINER, 'cat', '/proc/1/comm']).stdout
  check('tini is PID 1', pid1 === 'tini', `PID 1 is ${pid1 || '?'}`)

  // 3. The token generated on first start (listening beyond loopback, no TASSE_TOKEN).
  const tokenFile = join(dataDir, '.tasse', 'token')
  const token = (await waitFor(() => readText(tokenFile).trim(), 10_000)) ?? ''
  check('a token is generated in <data>/.tasse/token', token !== '', tokenFile)
  if (token) {
    const mode = statSync(tokenFile).mode & 0o777
    check('the token file is private (0600)', mode === 0o600, `mode ${mode.toString(8)}`)
    check('the host log says where the token is', containerLogs().includes('/data/.tasse/token'))
  }
  const anonymous = await trigger(base_, 'slow', null).catch((e) => ({ status: e.message }))
  check(
    'a trigger without the token is refused (401)',
    anonymous.status === 401,
    `got ${anonymous.status}`,
  )
  const viaApi = await triggerRun(base_, 'helloworld', token)
  check(
    'POST /api/v1/tasks/helloworld/runs with the token is accepted (202)',
    viaApi.status === 202,
    await describe(viaApi),
  )

  // 4. The repository's helloworld, on its schedule, logs into the mounted folder.
  const hello = await waitFor(() => /\| Hello world/.test(logOf('helloworld')), 45_000)
  check(
    'helloworld output in the mounted logs/helloworld/log.txt',
    Boolean(hello),
    hello ? '' : JSON.stringify(logOf('helloworld').slice(-300)),
  )
  const logFile = join(dataDir, 'logs', 'helloworld', 'log.txt')
  const logOwner = existsSync(logFile) ? statSync(logFile).uid : null
  check('logs are written as uid 1234', String(logOwner) === dataUid, `uid ${logOwner}`)
  const stateMode = statSync(join(dataDir, '.tasse')).mode & 0o777
  const stateUid = statSync(join(dataDir, '.tasse')).uid
  check(
    "data/.tasse belongs to root, 0700: the host's, not the tasks'",
    stateUid === 0 && stateMode === 0o700,
    `uid ${stateUid}, mode ${stateMode.toString(8)}`,
  )
  // #20: a task runs as the owner of /data, and cannot read the host's files nor environment.
  const peek = await trigger(base_, 'peek', token)
  if (check('GET /trigger/peek is accepted', peek.status === 200, await describe(peek))) {
    const said = await waitFor(
      () => /peek refused \/proc|peek READ \/proc/.test(logOf('peek')),
      30_000,
    )
    const text = logOf('peek')
    const uid = /peek uid (\d+) gid (\d+)/.exec(text)
    check(
      'a task runs as the owner of /data (uid 1234, not root)',
      Boolean(said) && uid?.[1] === dataUid && uid?.[2] === dataUid,
      uid ? `uid ${uid[1]} gid ${uid[2]}` : JSON.stringify(text.slice(-300)),
    )
    const hostPid = /peek host pid (\d+)/.exec(text)?.[1]
    for (const file of ['/data/.tasse/token', '/data/.tasse/tasse.db', `/proc/${hostPid}/environ`])
      check(
        `a task is refused ${file.replace(/\d+/, '<host pid>')}`,
        Boolean(hostPid) &&
          text.includes(`peek refused ${file}`) &&
          !text.includes(`peek READ ${file}`),
        JSON.stringify(
          text
            .split('\n')
            .filter((l) => l.includes(file))
            .join('; '),
        ),
      )
  }
  const listed = podman(['exec', CONTAINER, 'tasse', 'list'])
  check(
    'docker exec … tasse list works',
    listed.status === 0 && /helloworld/.test(listed.stdout),
    listed.stdout.slice(0, 200) || listed.stderr,
  )

  // 5. A Poetry task, triggered over HTTP with the token, builds its environment in the container.
  started = Date.now()
  const poetry = await trigger(base_, 'poetry-task', token)
  if (
    check(
      'GET /trigger/poetry-task with the token is accepted',
      poetry.status === 200,
      await describe(poetry),
    )
  ) {
    const ran = await waitFor(
      () => /poetry task ran in (\S+)/.exec(logOf('poetry-task')),
      240_000,
      500,
    )
    timings.poetry = Date.now() - started
    check(
      'the Poetry task ran in its own environment under /data/venv',
      Boolean(ran?.[1]?.startsWith('/data/venv/')),
      ran
        ? `${ran[1]}, ${seconds(timings.poetry)}`
        : JSON.stringify(logOf('poetry-task').slice(-600)),
    )
    const venv = join(dataDir, 'venv', 'poetry-task')
    // Built as the task's user (no install runs as root), in a venv/ that stays root's, 0711.
    const venvRoot = statSync(join(dataDir, 'venv'))
    check(
      "its environment is in the mounted venv/ folder, the task user's (uid 1234, the installs' user); venv/ is root's, 0711",
      existsSync(join(venv, 'pyvenv.cfg')) &&
        String(statSync(join(venv, 'pyvenv.cfg')).uid) === dataUid &&
        venvRoot.uid === 0 &&
        (venvRoot.mode & 0o777) === 0o711,
      existsSync(venv)
        ? `pyvenv.cfg uid ${statSync(join(venv, 'pyvenv.cfg')).uid}, venv/ uid ${venvRoot.uid} mode ${(venvRoot.mode & 0o777).toString(8)}`
        : 'missing',
    )
  }

  // 6. tini reaps what a task leaves behind.
  const orphan = await trigger(base_, 'orphan', token)
  if (check('GET /trigger/orphan is accepted', orphan.status === 200, await describe(orphan))) {
    const left = await waitFor(() => /orphan left/.test(logOf('orphan')), 30_000)
    await sleep(2500) // the grandchild sleeps 1 s, then must be reaped
    const states = podman([
      'exec',
      CONTAINER,
      'sh',
      '-c',
      'for s in /proc/[0-9]*/stat; do cat "$s" 2>/dev/null; echo; done',
    ]).stdout
    // /proc/<pid>/stat: "<pid> (<comm>) <state> …"; the command name may hold spaces and parentheses.
    const zombies = states.split('\n').filter((line) => line[line.lastIndexOf(')') + 2] === 'Z')
    check(
      'an orphaned grandchild is reaped (no zombies)',
      Boolean(left) && zombies.length === 0,
      left ? zombies.join('; ') : 'the task did not run',
    )
  }

  // 7. SIGTERM while a task runs: the task finishes, the container exits 0.
  const slow = await trigger(base_, 'slow', token)
  const slowStarted =
    slow.status === 200 && (await waitFor(() => /slow started/.test(logOf('slow')), 30_000))
  if (
    !check(
      'a slow task starts',
      Boolean(slowStarted),
      slow.status === 200 ? '' : await describe(slow),
    )
  )
    return
  started = Date.now()
  // As `docker stop`: the image's STOPSIGNAL (SIGTERM), then SIGKILL (exit 137) after 40 s.
  podman(['stop', '--time', '40', CONTAINER], { timeoutMs: 60_000 })
  const waited = podman(['wait', CONTAINER], { timeoutMs: 15_000 })
  timings.stop = Date.now() - started
  check(
    'podman stop (SIGTERM): the container exits with code 0',
    waited.status === 0 && waited.stdout === '0',
    `${waited.stdout || waited.stderr} after ${seconds(timings.stop)}`,
  )
  check(
    'podman stop (SIGTERM): the running task was let finish',
    /slow finished/.test(logOf('slow')),
    JSON.stringify(logOf('slow').slice(-300)),
  )
  const rootOwned = spawnSync(
    'find',
    [
      dataDir,
      '(',
      '-path',
      join(dataDir, '.tasse'),
      '-o',
      '-path',
      join(dataDir, 'venv'),
      ')',
      '-prune',
      '-o',
      '-uid',
      '0',
      '-print',
    ],
    { encoding: 'utf8' },
  ).stdout.trim()
  check(
    'nothing in the data folder belongs to root but .tasse/ and venv/',
    rootOwned === '',
    rootOwned.slice(0, 300),
  )

  await otherOwners()
  await pluginFromTarball()
}

/**
 * An operator adds a plugin without rebuilding the image: the example plugin, packed here,
 * installed into the data folder's node_modules from its tarball (`npm install --prefix ./data`
 * on the machine, as the README says), named in TASSE_PLUGINS; a task on its trigger runs.
 */
async function pluginFromTarball() {
  const data = makeDataDir()
  const name = `${CONTAINER}-plugin`
  try {
    try {
      installExamplePlugin(data)
      check('the plugin installs into ./data from its tarball', true)
    } catch (error) {
      check('the plugin installs into ./data from its tarball', false, error.message)
      return
    }
    mkdirSync(join(data, 'tasks', 'weekdays'))
    writeFileSync(join(data, 'tasks', 'weekdays', 'task.yaml'), businessDaysYaml(soonTimes(60, 20)))
    writeFileSync(join(data, 'tasks', 'weekdays', 'task.py'), 'print("a business day")\n')
    spawnSync('chown', ['-R', '1234:1234', data])
    const port = await freePort()
    const started = startDetached(name, data, 'host', [
      `TASSE_PORT=${port}`,
      'TASSE_PLUGINS=tasse-trigger-business-days',
    ])
    const loaded = await waitFor(() => {
      const logs = containerLogs(name)
      return /plugin tasse-trigger-business-days@\S+ \(\/data\/node_modules\//.test(logs) && logs
    }, 60_000)
    check(
      'TASSE_PLUGINS: the host logs the plugin from /data/node_modules',
      Boolean(loaded),
      (loaded || containerLogs(name) || started.stderr).slice(0, 600),
    )
    const log = join(data, 'logs', 'weekdays', 'log.txt')
    const fired = await waitFor(() => /a business day/.test(readText(log)), 60_000)
    check(
      "a task on the plugin's trigger fires in the container",
      Boolean(fired),
      fired ? '' : containerLogs(name).slice(-600),
    )
  } finally {
    podman(['rm', '--force', '--ignore', '--time', '0', name], { timeoutMs: 30_000 })
    rmSync(data, { recursive: true, force: true })
  }
}

/**
 * The same image, no rebuild: PUID/PGID choose the user; a root-owned data folder (what Docker
 * makes of a missing ./data) gets a message saying what to run, and no restart loop.
 */
async function otherOwners() {
  // PUID/PGID at run time.
  const puidData = makeDataDir()
  spawnSync('chown', ['-R', '2345:2345', puidData])
  const port = await freePort()
  const name = `${CONTAINER}-puid`
  const started = startDetached(name, puidData, 'host', [
    `TASSE_PORT=${port}`,
    'PUID=2345',
    'PGID=2345',
  ])
  try {
    const up =
      started.status === 0 &&
      (await waitFor(
        async () => (await http(`http://127.0.0.1:${port}/healthz`, {}, 2000)).ok,
        60_000,
      ))
    const logs = up ? containerLogs(name) : ''
    check(
      'PUID=2345 PGID=2345: tasks run as 2345',
      Boolean(up) && /tasks run as 2345:2345 \(PUID\/PGID\)/.test(logs),
      up ? logs.slice(0, 300) : started.stderr || 'no /healthz',
    )
  } finally {
    podman(['rm', '--force', '--ignore', '--time', '0', name], { timeoutMs: 30_000 })
    rmSync(puidData, { recursive: true, force: true })
  }

  // A data folder that belongs to root.
  const rootData = mkdtempSync(join(process.env.TASSE_TEST_TMP ?? tmpdir(), 'tasse-root-'))
  const rootName = `${CONTAINER}-root`
  const refused = startDetached(rootName, rootData, 'none', [])
  try {
    const said = await waitFor(() => {
      const logs = containerLogs(rootName)
      return /belongs to root/.test(logs) && logs
    }, 30_000)
    check(
      'a root-owned ./data: a message says what to run',
      Boolean(said) &&
        /sudo chown -R "\$\(id -u\):\$\(id -g\)" \.\/data/.test(said || '') &&
        !/EACCES/.test(said || ''),
      (said || containerLogs(rootName) || refused.stderr).slice(0, 400),
    )
    await sleep(3000)
    const state = podman(['inspect', '--format', '{{.State.Status}} {{.RestartCount}}', rootName])
    check(
      'a root-owned ./data: the container waits, no restart loop',
      state.stdout === 'running 0',
      state.stdout || state.stderr,
    )
  } finally {
    podman(['rm', '--force', '--ignore', '--time', '0', rootName], { timeoutMs: 30_000 })
    rmSync(rootData, { recursive: true, force: true })
  }
}

/**
 * `podman run --detach` of the image as `name`, with `data` as /data, on `network`, with the
 * `env` given (NAME=value) and the hardening of docker-compose.yml.
 */
function startDetached(name, data, network, env) {
  return podman([
    'run',
    '--detach',
    '--name',
    name,
    '--network',
    network,
    '--volume',
    `${data}:/data`,
    ...env.flatMap((pair) => ['--env', pair]),
    ...HARDENING,
    IMAGE,
  ])
}

/** What docker-compose.yml asks of a container, as podman flags. */
const HARDENING = [
  '--read-only',
  '--tmpfs',
  '/tmp:size=256m,mode=1777',
  '--cap-drop',
  'ALL',
  '--cap-add',
  'CHOWN',
  '--cap-add',
  'DAC_OVERRIDE',
  '--cap-add',
  'FOWNER',
  '--cap-add',
  'KILL',
  '--cap-add',
  'SETUID',
  '--cap-add',
  'SETGID',
  '--security-opt',
  'no-new-privileges',
]

/** The uids of the container's node processes (the tasse host), read from /proc. */
function nodeUids(container) {
  const out = podman([
    'exec',
    container,
    'sh',
    '-c',
    'for p in /proc/[0-9]*; do [ "$(cat "$p/comm" 2>/dev/null)" = node ] && stat -c %u "$p"; done; true',
  ]).stdout
  return out.split('\n').filter(Boolean)
}

/** docker-compose.yml shows a read-only root, dropped capabilities and a memory limit. */
function composeHardened() {
  const text = readText(join(CONTEXT, 'docker-compose.yml'))
  return (
    /^\s*read_only:\s*true\s*$/m.test(text) &&
    /^\s*cap_drop:\s*\[ALL\]\s*$/m.test(text) &&
    /^\s*mem_limit:\s*\S+/m.test(text)
  )
}

/** docker-compose.yml and the image agree: ./data on /data, port 5000 on 127.0.0.1. */
function composeAgrees() {
  const text = readText(join(CONTEXT, 'docker-compose.yml'))
  return /^\s*-\s*\.\/data:\/data\s*$/m.test(text) && /["']?127\.0\.0\.1:5000:5000["']?/.test(text)
}

function cleanUp() {
  if (KEEP && failedOnce) {
    console.log(`kept for inspection: container ${CONTAINER}, data ${dataDir}`)
    return
  }
  // Also when `podman run` failed half-way and left the container created.
  podman(['rm', '--force', '--ignore', '--time', '0', CONTAINER], { timeoutMs: 30_000 })
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
}

for (const signal of ['SIGINT', 'SIGTERM'])
  process.once(signal, () => {
    cleanUp()
    process.exit(130)
  })

const total = Date.now()
try {
  await main()
} catch (error) {
  // fetch's "fetch failed" says nothing without its cause (ECONNRESET, ECONNREFUSED, …).
  const cause =
    error instanceof Error && error.cause ? `: ${error.cause.message ?? error.cause}` : ''
  check('test harness', false, `${error instanceof Error ? error.stack : String(error)}${cause}`)
} finally {
  if (failedOnce && containerStarted)
    console.log(
      `--- container log (tail) ---\n${containerLogs().split('\n').slice(-40).join('\n')}\n---`,
    )
  cleanUp()
}
const named = Object.entries(timings)
  .map(([k, v]) => `${k} ${seconds(v)}`)
  .join(', ')
console.log(`timings: ${named}; total ${seconds(Date.now() - total)}`)
const passed = results.filter((r) => r.ok).length
console.log(`${passed} passed, ${results.length - passed} failed`)
process.exitCode = results.length - passed === 0 && passed > 0 ? 0 : 1
