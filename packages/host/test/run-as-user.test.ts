/**
 * Issue #20, items 3 and 4, end to end through the real `tasse serve`: a task with `user:` runs
 * as that user and cannot read the host's database, its token or its environment; a secret read
 * from a file reaches the task but shows as *** in log.txt, in the run's log and through the
 * API, live or not, even when the task writes it in pieces.
 */
import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  dataWith,
  type HostProcess,
  killHosts,
  spawnTasse,
  startHostProcess,
  until,
} from './host-process.js'

const IS_ROOT = process.geteuid?.() === 0
const NOBODY = { uid: 65534, gid: 65534 }
const SECRET = 'tasse-s3cret-VALUE-20b'
const HAS_POETRY = spawnSync('poetry', ['--version'], { stdio: 'ignore' }).status === 0

let data = ''
const hosts: HostProcess[] = []
afterEach(async () => {
  await killHosts(hosts)
  if (data) rmSync(data, { recursive: true, force: true })
  data = ''
})

async function serve(env: NodeJS.ProcessEnv = {}, as: typeof NOBODY | null = null) {
  // Listening beyond loopback, the host writes its token in .tasse/token (a file to protect).
  const host = await startHostProcess(data, { TASSE_HOST: '0.0.0.0', ...env }, as)
  hosts.push(host)
  const token = readFileSync(join(data, '.tasse', 'token'), 'utf8').trim()
  const url = host.url.replace('0.0.0.0', '127.0.0.1')
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${url}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    })
  const runTask = async (task: string, params: Record<string, string> = {}, waitMs = 30_000) => {
    const response = await api(`/tasks/${task}/runs`, {
      method: 'POST',
      body: JSON.stringify({ params }),
    })
    expect(response.status, await response.clone().text()).toBe(202)
    const { id } = (await response.json()) as { id: string }
    return until(
      async () => {
        const run = (await (await api(`/runs/${id}`)).json()) as Record<string, unknown>
        return ['running', 'queued'].includes(run.status as string) ? null : run
      },
      waitMs,
      `run ${id} of ${task} to end`,
    )
  }
  return { host, api, runTask }
}

describe.each(['posix_spawn', 'child_process'] as const)('user: through %s', (way) => {
  it.skipIf(!IS_ROOT)(
    `with user: nobody, the host's database, token and /proc/<host>/environ are refused; a folder the user cannot enter fails the run with the reason${IS_ROOT ? '' : ' (skipped: not root)'}`,
    async () => {
      data = dataWith({
        peek: peekTask('user: nobody\n'),
        private: { 'task.yaml': 'user: nobody\n', 'task.sh': 'echo never\n' },
      })
      // The operator's side: the data folder and the task may be entered; .tasse/ is the host's.
      chmodSync(data, 0o755)
      chmodSync(join(data, 'tasks', 'private'), 0o700)
      const served = await serve(way === 'child_process' ? { TASSE_SPAWN: way } : {})
      const { runTask } = served
      const { log } = await runPeek(served)
      expect(log).toContain('as 65534:65534 [65534] HOME=/nonexistent USER=nobody')

      const refused = await runTask('private')
      expect(refused).toMatchObject({
        status: 'failed',
        error: `cannot run as user nobody (user:): user nobody (uid 65534) cannot enter ${join(data, 'tasks', 'private')} (mode 700, owner 0:0); see README, "user:"`,
      })
      expect(readFileSync(join(data, 'logs', 'private', 'log.txt'), 'utf8')).not.toContain('never')
    },
  )
})

describe('serve --task-user (TASSE_TASK_USER), as the image runs it', () => {
  it.skipIf(!IS_ROOT)(
    `a task without user: runs as the data folder's owner, refused the host's database, token and environment; its logs are the owner's, .tasse/ is taken back from them${IS_ROOT ? '' : ' (skipped: not root)'}`,
    async () => {
      const owner = { uid: 4321, gid: 4321 }
      data = dataWith({
        peek: peekTask('', 'echo mine > written-by-the-task\n'),
      })
      // A data folder its owner had a host run in before: its .tasse/ is theirs.
      mkdirSync(join(data, '.tasse'), { mode: 0o700 })
      writeFileSync(join(data, '.tasse', 'left-by-the-owner'), 'x', { mode: 0o600 })
      chmodSync(data, 0o755)
      chownTree(data, owner)
      const { run, log } = await runPeek(
        await serve({ TASSE_TASK_USER: `${owner.uid}:${owner.gid}` }),
      )
      expect(log).toContain('as 4321:4321 [4321] ')
      const logTxt = join(data, 'logs', 'peek', 'log.txt')
      expect(statSync(join(data, 'tasks', 'peek', 'written-by-the-task')).uid).toBe(owner.uid)
      const runLog = join(data, 'logs', 'peek', 'runs', `${run.id as string}.log`)
      for (const path of [join(data, 'logs'), join(data, 'logs', 'peek'), logTxt, runLog])
        expect(statSync(path).uid, path).toBe(owner.uid)
      for (const path of ['.tasse', '.tasse/token', '.tasse/tasse.db', '.tasse/left-by-the-owner'])
        expect(statSync(join(data, path)).uid, path).toBe(0)
    },
  )
})

describe('user: with a Python environment', () => {
  it.skipIf(!IS_ROOT || !HAS_POETRY)(
    `a Poetry task runs as nobody from the environment built as nobody in venv/${IS_ROOT && HAS_POETRY ? '' : ' (skipped: not root, or no poetry)'}`,
    async () => {
      data = dataWith({
        py: {
          'task.yaml': 'user: nobody\n',
          'task.py': 'import os, sys\nprint("python", sys.prefix, os.getuid())\n',
          'pyproject.toml':
            '[tool.poetry]\nname = "py"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n\n[tool.poetry.dependencies]\npython = "^3.9"\n',
        },
      })
      chmodSync(data, 0o755)
      // The task's folder is its user's: Poetry, run as them, writes poetry.lock there.
      const folder = join(data, 'tasks', 'py')
      for (const name of ['', ...readdirSync(folder)])
        chownSync(join(folder, name), NOBODY.uid, NOBODY.gid)
      // Debian's python3 first: pyenv's lives under /root, which nobody cannot enter (the run would
      // fail, saying so).
      const { runTask, host } = await serve({
        PATH: `/usr/bin:${process.env.PATH}`,
        PIP_NO_INDEX: '1',
        PIP_CONFIG_FILE: '/dev/null',
      })
      // Building the environment takes Poetry a while on a loaded machine.
      const run = await runTask('py', {}, 150_000)
      const log = () => readFileSync(join(data, 'logs', 'py', 'log.txt'), 'utf8')
      expect(run, `${host.output()}${log()}`).toMatchObject({ status: 'succeeded' })
      expect(readFileSync(join(data, 'logs', 'py', 'log.txt'), 'utf8')).toContain(
        `python ${join(data, 'venv', 'py')} 65534\n`,
      )
      // Poetry ran as the task's user: the lock it wrote and the environment are theirs.
      expect(statSync(join(data, 'tasks', 'py', 'poetry.lock')).uid).toBe(NOBODY.uid)
      expect(statSync(join(data, 'venv', 'py', 'pyvenv.cfg')).uid).toBe(NOBODY.uid)
    },
    200_000,
  )
})

describe('secrets:', () => {
  it.skipIf(!IS_ROOT)(
    `a secret from a file reaches the task as nobody, and shows as *** in log.txt, the run log and the API, live too; a missing one fails the run naming the file${IS_ROOT ? '' : ' (skipped: not root)'}`,
    async () => {
      data = dataWith({
        secretive: {
          'task.yaml': 'user: nobody\nsecrets: {API_KEY: ../../secret}\nenv_files: [app.env]\n',
          'app.env': 'GREETING="hello there"\n',
          'task.sh': [
            'echo "$GREETING, the key is $API_KEY."',
            // Written in two pieces, a moment apart: one line, two reads of the pipe.
            // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${…}, not JS's
            'printf "split: %s" "${API_KEY%?????}"; sleep 0.5; printf "%s :end\\n" "${API_KEY#${API_KEY%?????}}"',
            'echo "$API_KEY" >&2',
          ].join('\n'),
        },
        missing: {
          'task.yaml': 'secrets: {TOKEN: /run/secrets/tasse-no-such-secret}\n',
          'task.sh': 'echo never\n',
        },
      })
      chmodSync(data, 0o755)
      writeFileSync(join(data, 'secret'), `${SECRET}\n`, { mode: 0o600 })
      const { api, runTask, host } = await serve()
      const run = await runTask('secretive')
      expect(run, host.output()).toMatchObject({ status: 'succeeded' })
      const id = run.id as string
      const logTxt = readFileSync(join(data, 'logs', 'secretive', 'log.txt'), 'utf8')
      const runLog = readFileSync(join(data, 'logs', 'secretive', 'runs', `${id}.log`), 'utf8')
      const apiLog = await (await api(`/runs/${id}/logs`)).text()
      const live = await (await api(`/runs/${id}/logs?follow=1`)).text()
      for (const [where, text] of Object.entries({ logTxt, runLog, apiLog, live })) {
        expect(text, where).toContain('hello there, the key is ***.')
        expect(text, where).toContain('split: *** :end')
        expect(text, where).not.toContain(SECRET)
        expect(text, where).not.toContain(SECRET.slice(0, -5))
      }
      // Nor in the run, the task, or the runs listed.
      for (const path of [`/runs/${id}`, '/tasks/secretive', '/runs?task=secretive'])
        expect(await (await api(path)).text(), path).not.toContain(SECRET)

      const missing = await runTask('missing')
      expect(missing).toMatchObject({
        status: 'failed',
        error: 'secrets.TOKEN: cannot read /run/secrets/tasse-no-such-secret: no such file',
      })
    },
  )
})

describe('user: on a host that is not root', () => {
  it.skipIf(!IS_ROOT)(
    `a run is refused with the reason, and tasse validate says so first${IS_ROOT ? '' : ' (skipped: not root, so cannot start a host as another user)'}`,
    async () => {
      data = dataWith({ as: { 'task.yaml': 'user: nobody\n', 'task.sh': 'echo never\n' } })
      chownTree(data, NOBODY)
      const problem =
        'cannot run as user nobody (user:): the host runs as uid 65534, not root: only root can start a task as another user'
      const validate = spawnTasse(['validate', data], {}, NOBODY)
      await validate.exited
      expect(validate.output()).toContain(problem)
      const { runTask } = await serve({}, NOBODY)
      expect(await runTask('as')).toMatchObject({ status: 'failed', error: problem })
      expect(readFileSync(join(data, 'logs', 'as', 'log.txt'), 'utf8')).not.toContain('never')
    },
  )
})

/**
 * A task that says who it runs as, then tries the host's database, token and environment
 * (`yaml` first in its task.yaml, `more` at the end of its script).
 */
function peekTask(yaml: string, more = ''): Record<string, string> {
  return {
    'task.yaml': `${yaml}params: [{name: data, arg: false}, {name: host_pid}]\nentrypoint: peek.sh\n`,
    'peek.sh': [
      'echo "as $(id -u):$(id -g) [$(id -G)] HOME=$HOME USER=$USER"',
      'for f in "$TASSE_PARAM_DATA/.tasse/tasse.db" "$TASSE_PARAM_DATA/.tasse/token" "/proc/$TASSE_PARAM_HOST_PID/environ"; do',
      '  if cat "$f" > /dev/null 2>&1; then echo "READ $f"; else echo "REFUSED $f"; fi',
      'done',
      more,
    ].join('\n'),
  }
}

/** Runs the peek task on `served`'s host: it succeeds, refused each of the three. */
async function runPeek({ host, runTask }: Awaited<ReturnType<typeof serve>>) {
  const hostPid = String(host.child.pid)
  const run = await runTask('peek', { data, host_pid: hostPid })
  expect(run, host.output()).toMatchObject({ status: 'succeeded' })
  const log = readFileSync(join(data, 'logs', 'peek', 'log.txt'), 'utf8')
  for (const file of [
    join(data, '.tasse', 'tasse.db'),
    join(data, '.tasse', 'token'),
    `/proc/${hostPid}/environ`,
  ])
    expect(log).toContain(`REFUSED ${file}\n`)
  expect(log).not.toContain('READ ')
  return { run, log }
}

function chownTree(path: string, as: typeof NOBODY): void {
  chownSync(path, as.uid, as.gid)
  if (statSync(path).isDirectory())
    for (const name of readdirSync(path)) chownTree(join(path, name), as)
}
