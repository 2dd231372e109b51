/**
 * Issue #12: the host never dies, never jams, and no request or file stalls it. Each test runs
 * the real `tasse serve` (port 0, a temporary data folder), named by the issue's item, and ends
 * with the host it started still the one alive and answering. Every host gets a marker in its
 * environment, which its tasks inherit: after the suite, no process of theirs may be left.
 */
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { RunView } from '../src/api/views.js'
import {
  dataWith,
  getRun,
  type HostProcess,
  processAlive,
  rawRequest,
  spawnTasse,
  startHostProcess,
  triggerRun,
  until,
  untilEnded,
} from './host-process.js'

const MARKER = `TASSE_HARDENING_TEST_${process.pid}`
/** The hosts' TASSE_* variables do not reach tasks: tasks carry this one, from their env:. */
const TASK_MARKER = `HARDENING_TASK_${process.pid}`
const TASK_ENV = `env: {${TASK_MARKER}: '1'}\n`
const isRoot = process.getuid?.() === 0
/** The user a host runs as when the test is root, so that file modes apply to it. */
const NOBODY = { uid: 65534, gid: 65534 }

let data = ''
const hosts: HostProcess[] = []

afterEach(async () => {
  for (const host of hosts.splice(0)) {
    if (host.child.exitCode === null && host.child.signalCode === null) {
      host.child.kill('SIGTERM')
      // A host that hangs (what these tests guard against) does not get to hang the suite.
      const timer = setTimeout(() => host.child.kill('SIGKILL'), 15_000)
      await host.exited
      clearTimeout(timer)
    }
  }
  if (data && existsSync(data)) {
    // A test may have left a folder unreadable.
    for (const name of readdirSync(data)) chmodSync(join(data, name), 0o755)
    rmSync(data, { recursive: true, force: true })
  }
  data = ''
})

afterAll(async () => {
  // Acceptance: a run of these tests leaves no process of theirs alive.
  const left = await until(() => markedProcesses().length === 0, 20_000, 'no marked process')
  expect(left).toBe(true)
})

async function start(
  env: NodeJS.ProcessEnv = {},
  as: typeof NOBODY | null = null,
): Promise<HostProcess> {
  const host = await startHostProcess(data, { [MARKER]: '1', ...env }, as)
  hosts.push(host)
  return host
}

/** The host started is still the one alive, and it answers. */
async function expectSameHost(host: HostProcess): Promise<void> {
  expect(host.child.exitCode, host.output()).toBeNull()
  expect(host.child.signalCode).toBeNull()
  expect(processAlive(host.child.pid as number)).toBe(true)
  expect((await fetch(`${host.url}/healthz`)).status).toBe(200)
}

const readyz = async (host: HostProcess) => {
  const response = await fetch(`${host.url}/readyz`)
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe('issue #12: the host goes on', () => {
  it('2: tasks/ replaced by a file, moved away or made unreadable: reported, tasks kept, recovered', async () => {
    data = dataWith({ hello: { 'task.yaml': '', 'task.sh': 'echo hello\n' } })
    const tasks = join(data, 'tasks')
    // chmod stops no root: as root, the host runs as nobody, over a data folder of its own.
    const as = isRoot ? NOBODY : null
    if (as) chownTree(data, as)
    const host = await start({}, as)
    expect((await readyz(host)).status).toBe(200)

    renameSync(tasks, join(data, 'tasks.old'))
    writeFileSync(tasks, 'a file where the folder was\n')
    const swapped = await until(
      async () => ((await readyz(host)).status === 503 ? readyz(host) : null),
      20_000,
      '/readyz to report the tasks folder',
    )
    expect(swapped.body).toMatchObject({
      status: 'unavailable',
      problems: [expect.stringContaining('tasks is not a folder')],
    })
    // The API goes on, and the task keeps its definition.
    const listed = (await (await fetch(`${host.url}/api/v1/tasks`)).json()) as {
      tasks: { name: string; state: string }[]
    }
    expect(listed.tasks).toEqual([expect.objectContaining({ name: 'hello', state: 'ok' })])
    const rescan = await fetch(`${host.url}/api/v1/rescan`, { method: 'POST' })
    expect(rescan.status).toBe(503)
    expect(await rescan.json()).toMatchObject({ error: { code: 'unavailable' } })

    rmSync(tasks)
    await until(
      async () => String((await readyz(host)).body.problems).includes('is gone'),
      20_000,
      'the folder reported gone',
    )
    renameSync(join(data, 'tasks.old'), tasks)
    await until(async () => (await readyz(host)).status === 200, 20_000, 'the folder back')

    chmodSync(tasks, 0o000)
    const unreadable = await until(
      async () => ((await readyz(host)).status === 503 ? readyz(host) : null),
      20_000,
      'the unreadable folder reported',
    )
    expect(unreadable.body.problems).toEqual([expect.stringContaining('(EACCES)')])
    chmodSync(tasks, 0o755)
    await until(async () => (await readyz(host)).status === 200, 20_000, 'the folder readable')
    const run = await fetch(`${host.url}/trigger/hello`)
    expect(await run.json()).toEqual({ status: 'ok' })
    expect(host.output()).toContain('can be read again')
    await expectSameHost(host)
  })

  it('7: a pattern that backtracks for ever in JavaScript answers at once, matched on the whole value', async () => {
    data = dataWith({
      nested: {
        'task.yaml': "params:\n  - {name: word, pattern: '^(a+)+$', required: true}\n",
        'task.sh': 'echo "$TASSE_PARAM_WORD"\n',
      },
      letters: {
        'task.yaml': "params:\n  - {name: name, pattern: '[A-Za-z]+', default: x}\n",
        'task.sh': 'echo "$TASSE_PARAM_NAME"\n',
      },
      backref: {
        'task.yaml': "params:\n  - {name: x, pattern: '(a)\\1'}\n",
        'task.sh': 'echo\n',
      },
    })
    const host = await start()
    const trigger = (task: string, params: Record<string, string>) =>
      fetch(`${host.url}/api/v1/tasks/${task}/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params }),
      })
    // 40 characters: RegExp needed about 2^40 steps for it, the host froze for hours.
    const started = Date.now()
    const evil = await trigger('nested', { word: `${'a'.repeat(40)}!` })
    expect(evil.status).toBe(400)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect((await trigger('nested', { word: 'a'.repeat(10_000) })).status).toBe(202)
    // Anchored: the whole value must match.
    for (const value of ['x;rm', '../x', 'abc\n'])
      expect((await trigger('letters', { name: value })).status, value).toBe(400)
    expect((await trigger('letters', { name: 'Ada' })).status).toBe(202)
    const tasks = (await (await fetch(`${host.url}/api/v1/tasks?state=invalid`)).json()) as {
      tasks: { name: string; error: string }[]
    }
    expect(tasks.tasks).toEqual([
      expect.objectContaining({
        name: 'backref',
        error: expect.stringMatching(/backref\/task\.yaml: params\[0\]\.pattern .*RE2/),
      }),
    ])
    await expectSameHost(host)
  })

  it('8: a run log is streamed from disk, in ranges, and parallel reads keep memory flat', async () => {
    data = dataWith({ big: { 'task.yaml': '', 'task.sh': 'echo small\n' } })
    const host = await start()
    const response = await fetch(`${host.url}/api/v1/tasks/big/runs`, { method: 'POST' })
    const { id } = (await response.json()) as { id: string }
    const logPath = join(data, 'logs', 'big', 'runs', `${id}.log`)
    await until(
      () => existsSync(logPath) && readFileSync(logPath, 'utf8') === 'small\n',
      20_000,
      'the run',
    )
    await until(
      async () => {
        const run = (await (await fetch(`${host.url}/api/v1/runs/${id}`)).json()) as {
          status: string
        }
        return run.status === 'succeeded'
      },
      20_000,
      'the run to end',
    )
    // A log of 64 MiB: read whole into memory, four parallel reads took more than 4 × 128 MiB.
    const size = 64 * 1024 * 1024
    const line = `${'x'.repeat(1023)}\n`
    writeFileSync(logPath, line.repeat(size / line.length))
    const logs = `${host.url}/api/v1/runs/${id}/logs`
    const rss = () =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${host.child.pid}/status`, 'utf8'))?.[1]) *
      1024
    const before = rss()
    let peak = before
    const sampler = setInterval(() => {
      peak = Math.max(peak, rss())
    }, 20)
    const sizes = await Promise.all(Array.from({ length: 4 }, () => drain(fetch(logs))))
    clearInterval(sampler)
    expect(sizes).toEqual([size, size, size, size])
    expect(peak - before, `host RSS from ${before} to ${peak} bytes`).toBeLessThan(size)

    const part = await fetch(logs, { headers: { range: 'bytes=-6' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe(`bytes ${size - 6}-${size - 1}/${size}`)
    expect(await part.text()).toBe('xxxxx\n')
    const outside = await fetch(logs, { headers: { range: `bytes=${size}-` } })
    expect(outside.status).toBe(416)
    expect(outside.headers.get('content-range')).toBe(`bytes */${size}`)
    await outside.body?.cancel()
    await expectSameHost(host)
  })

  it('9: task files that are FIFOs, folders, links out of the folder or bombs make their task invalid, naming the file', async () => {
    data = dataWith({
      fine: { 'task.yaml': '', 'task.sh': 'echo fine\n' },
      'py-folder': { 'task.yaml': '' },
      escape: { 'task.sh': 'echo\n' },
      fifo: { 'task.sh': 'echo\n' },
      device: { 'task.yaml': 'entrypoint: run\n' },
      'yaml-folder': { 'task.sh': 'echo\n' },
      bomb: {
        'task.sh': 'echo\n',
        'task.yaml': [
          'a: &a [x, x, x, x, x, x, x, x, x]',
          'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
          'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
          'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
          'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
          '',
        ].join('\n'),
      },
      wordy: { 'task.sh': 'echo\n', 'task.yaml': `description: ${'x'.repeat(10_000_000)}\n` },
    })
    const task = (name: string) => join(data, 'tasks', name)
    writeFileSync(join(data, 'secret.txt'), 'SECRET first line\n')
    mkdirSync(join(task('py-folder'), 'task.py'))
    symlinkSync('../../secret.txt', join(task('escape'), 'task.yaml'))
    execFileSync('mkfifo', [join(task('fifo'), 'task.yaml')])
    symlinkSync('/dev/zero', join(task('device'), 'run'))
    mkdirSync(join(task('yaml-folder'), 'task.yaml'))

    // Before: the FIFO blocked the host's one thread, and it never listened.
    const host = await start()
    const response = await fetch(`${host.url}/api/v1/tasks`)
    const text = await response.text()
    expect(text).not.toContain('SECRET')
    expect(text.length, 'no 10 MB description in the list').toBeLessThan(100_000)
    const { tasks } = JSON.parse(text) as { tasks: { name: string; error: string | null }[] }
    const errors = Object.fromEntries(tasks.map((t) => [t.name, t.error]))
    expect(errors).toEqual({
      bomb: expect.stringMatching(
        /tasks\/bomb\/task\.yaml cannot be read as YAML: Excessive alias/,
      ),
      device: expect.stringMatching(
        /tasks\/device\/task\.yaml: entrypoint names "run", which is a link that leads outside/,
      ),
      escape: expect.stringMatching(
        /tasks\/escape\/task\.yaml is a link that leads outside the task's folder/,
      ),
      fifo: expect.stringMatching(
        /tasks\/fifo\/task\.yaml is a FIFO \(named pipe\), not a regular file/,
      ),
      fine: null,
      'py-folder': expect.stringMatching(
        /tasks\/py-folder\/task\.py is a folder, not a regular file/,
      ),
      wordy: expect.stringMatching(/tasks\/wordy\/task\.yaml is larger than the 256 KiB/),
      'yaml-folder': expect.stringMatching(
        /tasks\/yaml-folder\/task\.yaml is a folder, not a regular file/,
      ),
    })
    expect(await (await fetch(`${host.url}/trigger/fine`)).json()).toEqual({ status: 'ok' })
    await expectSameHost(host)
  })

  it('10: without a token, a rebound Host and cross-site requests are refused; curl and own pages are not', async () => {
    data = dataWith({ hello: { 'task.yaml': '', 'task.sh': 'echo hello\n' } })
    const host = await start()
    const { port } = new URL(host.url)
    const send = (method: string, path: string, headers: Record<string, string>) =>
      rawRequest(host.url, method, path, { host: `127.0.0.1:${port}`, ...headers })

    const rebound = await send('GET', '/api/v1/tasks', { host: `evil.example:${port}` })
    expect(rebound.status).toBe(403)
    expect(JSON.parse(rebound.body)).toMatchObject({ error: { code: 'forbidden_host' } })
    const crossSite = await send('POST', '/api/v1/tasks/hello/runs', {
      origin: 'https://evil.example',
    })
    expect(crossSite.status).toBe(403)
    expect(JSON.parse(crossSite.body)).toMatchObject({ error: { code: 'cross_site' } })
    const image = await send('GET', '/trigger/hello', { 'sec-fetch-site': 'cross-site' })
    expect(image.status).toBe(403)
    // Nothing ran.
    const runs = (await (await fetch(`${host.url}/api/v1/runs`)).json()) as { runs: unknown[] }
    expect(runs.runs).toEqual([])

    expect((await send('POST', '/api/v1/tasks/hello/runs', {})).status).toBe(202)
    const own = await send('POST', '/api/v1/tasks/hello/runs', {
      origin: `http://127.0.0.1:${port}`,
    })
    expect([202, 409]).toContain(own.status)
    expect((await send('GET', '/api/v1/tasks', { host: `localhost:${port}` })).status).toBe(200)
    await expectSameHost(host)

    // An allowed host, configured (one host at a time serves a data folder).
    host.child.kill('SIGTERM')
    await host.exited
    const allowed = await start({ TASSE_ALLOWED_HOSTS: 'tasse.lan' })
    const lan = await rawRequest(allowed.url, 'GET', '/api/v1/tasks', { host: 'tasse.lan:80' })
    expect(lan.status).toBe(200)
    await expectSameHost(allowed)
  })
})

describe('issue #12: stage 2, every run ends and keeps its promises', () => {
  it('1: a scheduled fire its own params refuse is recorded failed; validate flags it; Object.prototype names are names', async () => {
    data = dataWith({
      needy: {
        'task.yaml':
          'scheduler: {trigger: interval, seconds: 1}\nparams:\n  - {name: date, required: true}\n',
        'task.sh': 'echo "$TASSE_PARAM_DATE"\n',
      },
      odd: {
        'task.yaml': [
          'params:',
          '  - {name: constructor}',
          '  - {name: toString, arg: true}',
          '  - {name: hasOwnProperty}',
          '',
        ].join('\n'),
        'task.sh': 'echo "[$TASSE_PARAM_CONSTRUCTOR] [$TASSE_PARAM_HASOWNPROPERTY] [$*]"\n',
      },
      proto: {
        'task.yaml': 'params:\n  - {name: __proto__}\n',
        'task.sh': 'echo\n',
      },
    })
    const validate = await runCli(['validate', data])
    expect(validate.code).toBe(1)
    expect(validate.output).toMatch(
      /invalid {2}needy: it is scheduled, but its parameter "date" is required with no default/,
    )
    expect(validate.output).toMatch(/ok {7}odd/)

    // Before: the first fire threw out of the timer and the host died, at every restart.
    const host = await start()
    const failed = await until(
      async () => {
        const { runs } = (await (await fetch(`${host.url}/api/v1/runs?task=needy`)).json()) as {
          runs: { status: string; reason: string; error: string }[]
        }
        return runs.length >= 2 ? runs : null
      },
      30_000,
      'two refused fires on record',
    )
    for (const run of failed)
      expect(run).toMatchObject({
        status: 'failed',
        reason: 'schedule',
        error: expect.stringContaining('parameter "date" of task "needy" is required'),
      })
    expect(host.output()).toContain('task "needy": the scheduled run could not start')

    const post = (params: unknown) =>
      fetch(`${host.url}/api/v1/tasks/odd/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ params }),
      })
    // Before: `constructor` read Object.prototype's function: 500 on every trigger.
    expect((await fetch(`${host.url}/trigger/odd`)).status).toBe(200)
    await until(
      async () =>
        (await runsOf(host, 'odd')).every((r) => r.status !== 'running' && r.status !== 'queued'),
      20_000,
      'the first odd run',
    )
    const given = await post(
      JSON.parse('{"constructor": "c", "hasOwnProperty": "p", "toString": "t"}'),
    )
    expect(given.status).toBe(202)
    const { id } = (await given.json()) as { id: string }
    const runLog = join(data, 'logs', 'odd', 'runs', `${id}.log`)
    await until(
      () => existsSync(runLog) && readFileSync(runLog, 'utf8').includes(']'),
      20_000,
      'the run',
    )
    expect(readFileSync(runLog, 'utf8')).toBe('[c] [p] [--toString=t]\n')
    expect((await post({ valueOf: 'x' })).status).toBe(400)
    const proto = (await (await fetch(`${host.url}/api/v1/tasks/proto`)).json()) as {
      error: string
    }
    expect(proto.error).toContain('params[0].name must not be "__proto__"')
    await expectSameHost(host)
  })

  it('3: a log.txt or logs/ that cannot be written ends runs with their status, frees their slot, and /readyz says why', async () => {
    data = dataWith({
      hello: { 'task.yaml': TASK_ENV, 'task.sh': 'echo hello\n' },
      other: { 'task.yaml': TASK_ENV, 'task.sh': 'echo other\n' },
      slow: { 'task.yaml': TASK_ENV, 'task.sh': 'echo started\nsleep 60\n' },
    })
    // chmod stops no root: as root, the host runs as nobody, over a data folder of its own.
    const as = isRoot ? NOBODY : null
    mkdirSync(join(data, 'logs', 'hello'), { recursive: true })
    writeFileSync(join(data, 'logs', 'hello', 'log.txt'), '')
    if (as) chownTree(data, as)
    chmodSync(join(data, 'logs', 'hello', 'log.txt'), 0o400)
    const host = await start({ TASSE_CONCURRENCY: '1' }, as)

    const first = await triggerRun(host, 'hello')
    // Before: the run stayed `running` for ever, holding the host's only slot.
    const ended = await untilEnded(host, first)
    expect(ended.status).toBe('succeeded')
    expect(ended.error).toMatch(
      /its output was not all written: log sink file: cannot write .*log\.txt: EACCES/,
    )
    expect(readFileSync(join(data, 'logs', 'hello', 'runs', `${first}.log`), 'utf8')).toBe(
      'hello\n',
    )
    const broken = await readyz(host)
    expect(broken.status).toBe(503)
    expect(broken.body.problems).toEqual([
      expect.stringMatching(/log sink file: cannot write .*hello\/log\.txt: EACCES/),
    ])
    // The slot is free: another task runs, with --concurrency 1.
    expect((await untilEnded(host, await triggerRun(host, 'other'))).status).toBe('succeeded')

    chmodSync(join(data, 'logs', 'hello', 'log.txt'), 0o600)
    const again = await triggerRun(host, 'hello')
    expect((await untilEnded(host, again)).error).toBeNull()
    expect((await readyz(host)).status).toBe(200)
    expect(readFileSync(join(data, 'logs', 'hello', 'log.txt'), 'utf8')).toContain('| hello')

    // logs/ not writable at all: the runs end, and /readyz says so.
    chmodSync(join(data, 'logs'), 0o500)
    const started = await triggerRun(host, 'slow')
    await until(
      async () => (await getRun(host, started)).status === 'running',
      20_000,
      'slow running',
    )
    const cancel = await fetch(`${host.url}/api/v1/runs/${started}/cancel`, { method: 'POST' })
    expect(cancel.status).toBe(202)
    const cancelled = await untilEnded(host, started)
    expect(cancelled.status).toBe('cancelled')
    expect(cancelled.error).toMatch(/its output was not all written: .*EACCES/)
    expect((await readyz(host)).body.problems).toEqual([
      expect.stringMatching(/log sink file: cannot write .*slow\/log\.txt: EACCES/),
    ])
    // Before: cancel recorded `cancelled` but the task still answered 409.
    const next = await triggerRun(host, 'slow')
    await fetch(`${host.url}/api/v1/runs/${next}/cancel`, { method: 'POST' })
    expect((await untilEnded(host, next)).status).toBe('cancelled')
    chmodSync(join(data, 'logs'), 0o700)
    await expectSameHost(host)
  })

  it.skipIf(!isRoot)(
    '3: disk full (a 1 MiB tmpfs under logs/): the run fails with the reason, the next succeeds, /readyz 503 then 200 (skipped: needs root to mount)',
    async () => {
      data = dataWith({
        filler: {
          'task.yaml': `${TASK_ENV}params:\n  - {name: fill, default: 'no', enum: ['yes', 'no']}\n`,
          'task.sh': [
            'echo starting',
            // A task that needs the disk fails when it is full.
            'if [ "$TASSE_PARAM_FILL" = yes ]; then dd if=/dev/zero of=../../logs/ballast bs=64k || { seq 3000; exit 1; }; fi',
            'echo "a line after the disk filled up"',
            '',
          ].join('\n'),
        },
        scheduled: {
          'task.yaml': `${TASK_ENV}scheduler: {trigger: interval, seconds: 1}\n`,
          'task.sh': 'echo tick\n',
        },
      })
      const logs = join(data, 'logs')
      mkdirSync(logs)
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', logs])
      try {
        const host = await start()
        const full = await fetch(`${host.url}/api/v1/tasks/filler/runs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ params: { fill: 'yes' } }),
        })
        const { id } = (await full.json()) as { id: string }
        const failed = await untilEnded(host, id)
        expect(failed.status).toBe('failed')
        expect(failed.error).toMatch(/exited with code 1; its output was not all written: .*ENOSPC/)
        const during = await until(
          async () => ((await readyz(host)).status === 503 ? readyz(host) : null),
          20_000,
          '/readyz 503',
        )
        expect(String(during.body.problems)).toMatch(/ENOSPC/)
        // While the disk is full, the scheduled task's fires still end and are on record.
        const ticks = await until(
          async () => {
            const runs = await runsOf(host, 'scheduled')
            return runs.filter((r) => r.status !== 'running' && r.status !== 'queued').length >= 2
              ? runs
              : null
          },
          30_000,
          'scheduled runs while the disk is full',
        )
        expect(ticks.length).toBeGreaterThanOrEqual(2)

        rmSync(join(logs, 'ballast'))
        const next = await triggerRun(host, 'filler')
        const succeeded = await untilEnded(host, next)
        expect(succeeded).toMatchObject({ status: 'succeeded', error: null })
        await until(async () => (await readyz(host)).status === 200, 20_000, '/readyz 200 again')
        const all = (await (await fetch(`${host.url}/api/v1/runs?limit=500`)).json()) as {
          runs: { status: string }[]
        }
        expect(
          all.runs.filter((r) => r.status === 'running' || r.status === 'queued').length,
        ).toBeLessThanOrEqual(1)
        expect(readFileSync(join(logs, 'filler', 'runs', `${next}.log`), 'utf8')).toContain(
          'a line after',
        )
        await expectSameHost(host)
        host.child.kill('SIGTERM')
        await host.exited
      } finally {
        execFileSync('umount', ['-l', logs])
      }
    },
  )

  it('4: timeouts, retry delays and grace past 24.86 days are chained, not 1 ms; past a year they are refused', async () => {
    data = dataWith({
      patient: { 'task.yaml': `${TASK_ENV}timeout: 30d\n`, 'task.sh': 'sleep 1\necho done\n' },
      again: {
        'task.yaml': `${TASK_ENV}retries: {max: 3, delay: 25d}\n`,
        'task.sh': 'exit 1\n',
      },
      monthly: {
        'task.yaml': `${TASK_ENV}scheduler: {trigger: interval, days: 30}\n`,
        'task.sh': 'echo tick\n',
      },
      forever: { 'task.yaml': `${TASK_ENV}timeout: 400d\n`, 'task.sh': 'echo\n' },
    })
    const refused = await runCli([
      'serve',
      '--data',
      data,
      '--port',
      '0',
      '--shutdown-grace',
      '99999999',
    ])
    expect(refused.code).not.toBe(0)
    expect(refused.output).toContain(
      '--shutdown-grace must be a whole number from 0 to 31622400, got "99999999"',
    )

    const host = await start({ TASSE_SHUTDOWN_GRACE: String(30 * 86_400) })
    const info = (await (await fetch(`${host.url}/api/v1/tasks/forever`)).json()) as {
      state: string
      error: string
    }
    expect(info).toMatchObject({
      state: 'invalid',
      error: expect.stringContaining(
        'forever/task.yaml: timeout must be at most 366d (a year), got "400d"',
      ),
    })
    // Before: killed after a few ms as timed_out.
    const patient = await untilEnded(host, await triggerRun(host, 'patient'))
    expect(patient).toMatchObject({ status: 'succeeded', error: null })
    // Before: retried at once, three times.
    const failed = await untilEnded(host, await triggerRun(host, 'again'))
    expect(failed.status).toBe('failed')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(await runsOf(host, 'again')).toHaveLength(1)
    const monthly = (await (await fetch(`${host.url}/api/v1/tasks/monthly`)).json()) as {
      nextFireTimes: string[]
    }
    const next = Date.parse(monthly.nextFireTimes[0] as string)
    expect(next - Date.now()).toBeGreaterThan(29 * 86_400_000)
    expect(await runsOf(host, 'monthly')).toEqual([])
    await expectSameHost(host)
  })
})

/**
 * A task as hard to end as a task can be: it ignores SIGTERM (and so do its children, which
 * inherit that), forks a grandchild, a double-forked orphan and a `setsid` daemon that leaves
 * the process group with a child of its own. `mode=exit` leaves them all behind and exits 0.
 */
const ESCAPER = [
  "trap '' TERM",
  'sleep 300 &',
  '( sh -c "sleep 300" & )',
  'setsid sh -c "sleep 300 & sleep 300" &',
  'echo ready',
  'if [ "$TASSE_PARAM_MODE" = exit ]; then exit 0; fi',
  'while :; do sleep 1; done',
  '',
].join('\n')
const ESCAPER_YAML = `${TASK_ENV}params:\n  - {name: mode, default: wait, enum: [wait, exit]}\n`
const hasV1Freezer = isRoot && existsSync('/sys/fs/cgroup/freezer/cgroup.procs')

describe('issue #12, item 5: no process of a run outlives it', () => {
  for (const [cgroups, skip] of [
    ['auto', false],
    ['v1', !hasV1Freezer],
    ['off', false],
  ] as const)
    it.skipIf(skip)(
      `5 (--cgroups ${cgroups}): timeout, cancel, success and shutdown leave nothing, setsid daemons included${skip ? ' (skipped: no writable v1 freezer, needs root)' : ''}`,
      async () => {
        data = dataWith({
          escaper: { 'task.yaml': ESCAPER_YAML, 'task.sh': ESCAPER },
          'escaper-timeout': { 'task.yaml': `${ESCAPER_YAML}timeout: 1s\n`, 'task.sh': ESCAPER },
          'escaper-exit': { 'task.yaml': ESCAPER_YAML, 'task.sh': ESCAPER },
        })
        const host = await start({ TASSE_CGROUPS: cgroups, TASSE_SHUTDOWN_GRACE: '1' })
        const post = async (task: string, mode: string) => {
          const response = await fetch(`${host.url}/api/v1/tasks/${task}/runs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ params: { mode } }),
          })
          expect(response.status).toBe(202)
          return ((await response.json()) as { id: string }).id
        }
        // Every process of a run: 1 leader, 1 grandchild, 2 orphan (sh, sleep), 3 daemon.
        const all = async (id: string) =>
          until(
            () => (runProcesses(id).length >= 7 ? runProcesses(id) : null),
            20_000,
            `run ${id}'s processes`,
          )

        const cancelled = await post('escaper', 'wait')
        const timedOut = await post('escaper-timeout', 'wait')
        const succeeded = await post('escaper-exit', 'exit')
        const pids = await all(cancelled)
        expect(new Set(pids.map(sessionOf)).size, 'the daemon is in a session of its own').toBe(2)
        if (cgroups !== 'off') {
          // Each process of the run is in the run's own control group, the daemon included.
          for (const pid of pids)
            expect(cgroupOf(pid), `pid ${pid}`).toContain(`/tasse/${cancelled}`)
        }
        await fetch(`${host.url}/api/v1/runs/${cancelled}/cancel`, { method: 'POST' })
        const ended = {
          cancelled: await untilEnded(host, cancelled),
          timedOut: await untilEnded(host, timedOut),
          succeeded: await untilEnded(host, succeeded),
        }
        expect(ended.cancelled.status).toBe('cancelled')
        expect(ended.timedOut.status).toBe('timed_out')
        expect(ended.succeeded.status).toBe('succeeded')
        // Recorded ended once every process of it is gone: nothing left to wait for.
        for (const id of [cancelled, timedOut, succeeded]) expect(runProcesses(id), id).toEqual([])
        await expectSameHost(host)

        // Shutdown: the host ends a run that ignores SIGTERM, and everything it started.
        const interrupted = await post('escaper', 'wait')
        await all(interrupted)
        host.child.kill('SIGTERM')
        expect((await host.exited).code).toBe(0)
        expect(runProcesses(interrupted)).toEqual([])
        expect(leftCgroups([cancelled, timedOut, succeeded, interrupted])).toEqual([])
      },
    )
})

describe('issue #12, item 5: after a crash', () => {
  for (const cgroups of ['auto', 'off'] as const)
    it(`5 (--cgroups ${cgroups}): the next host ends what a crashed host's run left, its setsid daemon included`, async () => {
      data = dataWith({ escaper: { 'task.yaml': ESCAPER_YAML, 'task.sh': ESCAPER } })
      const first = await start({ TASSE_CGROUPS: cgroups })
      const id = await triggerRun(first, 'escaper')
      await until(() => runProcesses(id).length >= 7, 20_000, 'every process of the run')
      await until(
        async () => (await getRun(first, id)).status === 'running',
        20_000,
        'the run on record',
      )
      // Before: nobody remembered them after a restart.
      first.child.kill('SIGKILL')
      await first.exited
      expect(runProcesses(id).length).toBeGreaterThanOrEqual(7)
      const second = await start({ TASSE_CGROUPS: cgroups })
      await until(() => runProcesses(id).length === 0, 20_000, 'no process of the run')
      expect(await getRun(second, id)).toMatchObject({
        status: 'interrupted',
        error: expect.stringContaining('its remaining processes were ended'),
      })
      expect(leftCgroups([id])).toEqual([])
      await expectSameHost(second)
    })
})

describe('issue #12, item 6: overlap replace', () => {
  it('6: replace cancels every instance in the way; never two at once with max_instances 1, however slow one is to die', async () => {
    data = dataWith({
      replaced: {
        'task.yaml': `${TASK_ENV}overlap: replace\n`,
        // Slow to die: 2 s between SIGTERM and its exit.
        'task.sh': "trap 'sleep 2; exit 143' TERM\necho started\nwhile :; do sleep 0.2; done\n",
      },
    })
    const host = await start()
    const first = await triggerRun(host, 'replaced')
    await until(
      async () => (await getRun(host, first)).status === 'running',
      20_000,
      'the first run',
    )
    let most = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        const running = (await runsOf(host, 'replaced')).filter((r) => r.status === 'running')
        most = Math.max(most, running.length)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    })()
    // Before: the second trigger cancelled the first, the third cancelled nothing (it picked
    // the first again), and they ran at once.
    const second = await triggerRun(host, 'replaced')
    const third = await triggerRun(host, 'replaced')
    await until(
      async () => (await getRun(host, third)).status === 'running',
      30_000,
      'the third run',
    )
    sampling = false
    await sampler
    expect(most).toBe(1)
    expect(await getRun(host, first)).toMatchObject({
      status: 'cancelled',
      error: `replaced by run ${second}`,
    })
    expect(await getRun(host, second)).toMatchObject({
      status: 'cancelled',
      error: `replaced by run ${third}`,
    })
    await fetch(`${host.url}/api/v1/runs/${third}/cancel`, { method: 'POST' })
    expect((await untilEnded(host, third)).status).toBe('cancelled')
    await expectSameHost(host)
  })
})

describe('issue #12: the smaller ones', () => {
  it('an interval under a second is refused, naming the file and the key (validate and serve)', async () => {
    data = dataWith({
      flood: {
        'task.yaml': 'scheduler:\n  trigger: interval\n  seconds: 0.000001\n',
        'task.sh': 'echo\n',
      },
    })
    const validate = await runCli(['validate', data])
    expect(validate.code).toBe(1)
    expect(validate.output).toMatch(
      /flood: .*tasks\/flood\/task\.yaml:3:3: \[trigger-interval\] scheduler\.seconds must make an interval of at least 1 second/,
    )
    const host = await start()
    const info = (await (await fetch(`${host.url}/api/v1/tasks/flood`)).json()) as { state: string }
    expect(info.state).toBe('invalid')
    const runs = (await (await fetch(`${host.url}/api/v1/runs`)).json()) as { runs: unknown[] }
    expect(runs.runs).toEqual([])
    await expectSameHost(host)
  })

  it('per-run log files leave with their history rows', async () => {
    data = dataWith({ hello: { 'task.yaml': '', 'task.sh': 'echo hello\n' } })
    const first = await start()
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${first.url}/api/v1/tasks/hello/runs`, { method: 'POST' })
      const { id } = (await response.json()) as { id: string }
      ids.push(id)
      await until(
        async () => {
          const run = (await (await fetch(`${first.url}/api/v1/runs/${id}`)).json()) as {
            status: string
          }
          return run.status === 'succeeded'
        },
        20_000,
        `run ${i}`,
      )
    }
    const files = ids.map((id) => join(data, 'logs', 'hello', 'runs', `${id}.log`))
    expect(files.every((file) => existsSync(file))).toBe(true)
    first.child.kill('SIGTERM')
    await first.exited

    // History is pruned at start: one run kept per task.
    const second = await start({ TASSE_RETENTION_RUNS: '1' })
    await until(
      () => !existsSync(files[0] as string) && !existsSync(files[1] as string),
      20_000,
      'the pruned logs gone',
    )
    expect(existsSync(files[2] as string)).toBe(true)
    await expectSameHost(second)
  })

  it('files Tasse creates are private, or as open as --file-mode says', async () => {
    for (const [fileMode, expected] of [
      [undefined, { file: 0o600, folder: 0o700 }],
      ['0640', { file: 0o640, folder: 0o750 }],
    ] as const) {
      data = dataWith({ hello: { 'task.yaml': '', 'task.sh': 'echo hello\n' } })
      // A folder made world-readable before is made private too.
      mkdirSync(join(data, 'logs'), { mode: 0o755 })
      chmodSync(join(data, 'logs'), 0o755)
      const host = await start(fileMode ? { TASSE_FILE_MODE: fileMode } : {})
      const response = await fetch(`${host.url}/api/v1/tasks/hello/runs`, { method: 'POST' })
      const { id } = (await response.json()) as { id: string }
      const runLog = join(data, 'logs', 'hello', 'runs', `${id}.log`)
      await until(
        () => existsSync(runLog) && readFileSync(runLog, 'utf8') === 'hello\n',
        20_000,
        'the run',
      )
      const mode = (path: string) => statSync(path).mode & 0o777
      const modes = {
        '.tasse': mode(join(data, '.tasse')),
        'tasse.db': mode(join(data, '.tasse', 'tasse.db')),
        'tasse.db.lock': mode(join(data, '.tasse', 'tasse.db.lock')),
        logs: mode(join(data, 'logs')),
        'logs/hello': mode(join(data, 'logs', 'hello')),
        'log.txt': mode(join(data, 'logs', 'hello', 'log.txt')),
        'runs/<id>.log': mode(runLog),
        venv: mode(join(data, 'venv')),
      }
      expect(modes, `--file-mode ${fileMode ?? 'default'}`).toEqual({
        '.tasse': expected.folder,
        'tasse.db': expected.file,
        'tasse.db.lock': expected.file,
        logs: expected.folder,
        'logs/hello': expected.folder,
        'log.txt': expected.file,
        'runs/<id>.log': expected.file,
        // venv/ may be entered by anyone, for tasks that run as another user (user:).
        venv: expected.folder | 0o011,
      })
      await expectSameHost(host)
      host.child.kill('SIGTERM')
      await host.exited
      rmSync(data, { recursive: true, force: true })
    }
  })

  it('more than ten followers of a log print no MaxListenersExceededWarning', async () => {
    data = dataWith({
      gate: {
        'task.yaml': '',
        'task.sh': 'echo waiting\nwhile [ ! -e ../../open ]; do sleep 0.1; done\necho done\n',
      },
    })
    const host = await start()
    const response = await fetch(`${host.url}/api/v1/tasks/gate/runs`, { method: 'POST' })
    const { id } = (await response.json()) as { id: string }
    const followers = await Promise.all(
      Array.from({ length: 12 }, () => fetch(`${host.url}/api/v1/runs/${id}/logs?follow=1`)),
    )
    const texts = followers.map(async (follower) => (await follower.text()) as string)
    await new Promise((resolve) => setTimeout(resolve, 500))
    writeFileSync(join(data, 'open'), '')
    for (const text of await Promise.all(texts)) expect(text).toContain('event: end')
    expect(host.output()).not.toContain('MaxListenersExceededWarning')
    await expectSameHost(host)
  })

  it('a run interrupted by a crash of the host gets its <<< line in log.txt at the next start', async () => {
    data = dataWith({
      sleeper: { 'task.yaml': '', 'task.sh': 'echo started\nsleep 60\n' },
    })
    const first = await start()
    await fetch(`${first.url}/trigger/sleeper`)
    const logTxt = join(data, 'logs', 'sleeper', 'log.txt')
    await until(
      () => existsSync(logTxt) && readFileSync(logTxt, 'utf8').includes('started'),
      20_000,
      'the run',
    )
    await until(
      async () => {
        const { runs } = (await (await fetch(`${first.url}/api/v1/runs`)).json()) as {
          runs: { pid?: unknown; status: string }[]
        }
        return runs[0]?.status === 'running'
      },
      20_000,
      'the run on record',
    )
    first.child.kill('SIGKILL')
    await first.exited

    const second = await start()
    const lines = await until(
      () => {
        const text = readFileSync(logTxt, 'utf8').trimEnd().split('\n')
        return text.at(-1)?.includes('<<<') ? text : null
      },
      20_000,
      'the end line',
    )
    expect(lines.at(-1)).toMatch(/ \| <<< Task sleeper\/task\.sh ended with status code -1$/)
    expect(lines.filter((l) => l.includes('>>> Task'))).toHaveLength(1)
    await expectSameHost(second)
  })

  it('a missing data folder is refused, not created', async () => {
    const missing = join(tmpdir(), `tasse-missing-${process.pid}`, 'data')
    const result = await runCli(['serve', '--data', missing, '--port', '0'])
    rmSync(dirname(missing), { recursive: true, force: true })
    expect(result.code).toBe(3) // not found, as the CLI's exit statuses say
    expect(result.output).toContain(`the data folder ${missing} does not exist`)
    expect(result.output).toContain(`mkdir -p ${join(missing, 'tasks')}`)
    expect(existsSync(missing)).toBe(false)
  })
})

async function runsOf(host: HostProcess, task: string): Promise<RunView[]> {
  const response = await fetch(`${host.url}/api/v1/runs?task=${task}&limit=500`)
  return ((await response.json()) as { runs: RunView[] }).runs
}

/** `tasse ARGS…` to its end, with this suite's marker. */
async function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  const cli = spawnTasse(args, { [MARKER]: '1' })
  const { code } = await cli.exited
  return { code, output: cli.output() }
}

/** Reads a response's body to its end without keeping it, and says how many bytes it had. */
async function drain(response: Promise<Response>): Promise<number> {
  const reader = (await response).body?.getReader()
  let bytes = 0
  for (;;) {
    const chunk = await reader?.read()
    if (!chunk || chunk.done) return bytes
    bytes += chunk.value.length
  }
}

function chownTree(path: string, to: { uid: number; gid: number }): void {
  chownSync(path, to.uid, to.gid)
  if (statSync(path).isDirectory())
    for (const name of readdirSync(path)) chownTree(join(path, name), to)
}

/** The live processes of run `id`: those whose environment holds its TASSE_RUN_ID. */
function runProcesses(id: string): number[] {
  const found: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').includes(`\0TASSE_RUN_ID=${id}\0`))
        if (processAlive(Number(name))) found.push(Number(name))
    } catch {}
  }
  return found
}

/** The session id of `pid` (`/proc/<pid>/stat`, field 6). */
function sessionOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3])
}

function cgroupOf(pid: number): string {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8')
}

/** The control groups of these runs still there (each run's is removed at its end). */
function leftCgroups(ids: readonly string[]): string[] {
  const roots = [
    '/sys/fs/cgroup/tasse',
    '/sys/fs/cgroup/unified/tasse',
    '/sys/fs/cgroup/freezer/tasse',
  ]
  return roots.flatMap((root) => ids.map((id) => join(root, id))).filter((path) => existsSync(path))
}

/** Processes whose environment holds this suite's marker (readable: ours, or any as root). */
function markedProcesses(): number[] {
  const found: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1')
      if (environ.includes(`${MARKER}=`) || environ.includes(`${TASK_MARKER}=`))
        found.push(Number(name))
    } catch {}
  }
  return found
}
