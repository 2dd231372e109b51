/**
 * The `tasse` commands as real processes (the built `bundle/cli.js`), as a user runs them: local
 * ones on a temporary data folder, client ones against a host on a real port.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { type RunningHost, readConfig, startHost } from '@tasse/host'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { dataWith, memoryLogger, openGate, TASKS, until } from './api-fixtures.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const CLI = join(ROOT, 'packages', 'host', 'bundle', 'cli.js')
const TOKEN = 'cli-test-token-0b7d'
/** The fixture's task folders, as listed: by name. */
const ALL_TASKS = Object.keys(TASKS).sort()

beforeAll(() => {
  // The commands run from the build; make sure it is the current source's.
  execFileSync('npx', ['tsc', '-b', 'packages/host'], { cwd: ROOT, stdio: 'inherit' })
}, 120_000)

interface Cli {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  done: Promise<number | null>
}

/** Starts `tasse …args` with a clean environment (no TASSE_* from the test runner). */
function tasse(args: string[], env: NodeJS.ProcessEnv = {}): Cli {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('TASSE_')),
  )
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr?.on('data', (chunk) => {
    stderr += chunk
  })
  const done = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  return { child, stdout: () => stdout, stderr: () => stderr, done }
}

async function run(args: string[], env?: NodeJS.ProcessEnv) {
  const cli = tasse(args, env)
  const code = await cli.done
  return { code, stdout: cli.stdout(), stderr: cli.stderr() }
}

const folders: string[] = []
let host: RunningHost | undefined
const children: ChildProcess[] = []
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  for (const dir of folders) openGate(dir)
  await host?.close()
  host = undefined
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A host on a real port with a token, and the environment that reaches it. */
async function serve(): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = data()
  host = await startHost(readConfig({ data: dir, port: '0' }, { TASSE_TOKEN: TOKEN }), {
    logger: memoryLogger(),
  })
  return { dir, env: { TASSE_URL: host.url, TASSE_TOKEN: TOKEN } }
}

function data(): string {
  const dir = dataWith()
  folders.push(dir)
  return dir
}

describe('tasse run', () => {
  it('runs helloworld from the repository data: prints Hello world and exits 0', async () => {
    const dir = data()
    cpSync(join(ROOT, 'data', 'tasks', 'helloworld'), join(dir, 'tasks', 'helloworld'), {
      recursive: true,
    })
    const result = await run(['run', 'helloworld', '--data', dir])
    expect(result).toMatchObject({ code: 0, stdout: 'Hello world\n', stderr: '' })
  })

  it('passes parameters, and exits with the task’s own exit code', async () => {
    const dir = data()
    expect(await run(['run', 'hello', '--param', 'who=ada', '--data', dir])).toMatchObject({
      code: 0,
      stdout: 'Hello ada\n',
    })
    const failed = await run(['run', 'fail'], { TASSE_DATA: dir })
    expect(failed.code).toBe(3)
    expect(failed.stderr).toContain('about to fail\n')
    expect(failed.stderr).toMatch(/\[tasse\] run \w+ of fail failed: exited with code 3/)
  })

  it('refuses an invalid parameter (5), an unknown task (3) or a broken one (4) with a message', async () => {
    const dir = data()
    const badParam = await run(['run', 'hello', '--param', 'who=Ada!', '--data', dir])
    expect(badParam.code).toBe(5)
    expect(badParam.stderr).toContain(
      'parameter "who" of task "hello" must match ^[a-z]+$ (the whole value), got "Ada!"',
    )
    const unknown = await run(['run', 'nope', '--data', dir])
    expect(unknown.code).toBe(3)
    expect(unknown.stderr).toContain(
      'no task named "nope" (known tasks: envdump, fail, gate, hello, hourly)',
    )
    const broken = await run(['run', 'broken', '--data', dir])
    expect(broken.code).toBe(4)
    expect(broken.stderr).toContain('overlap must be one of skip, queue, replace, allow')
    expect((await run(['run', '../x', '--data', dir])).code).toBe(2)
    expect((await run(['run', 'hello', '--param', 'who', '--data', dir])).code).toBe(2)
    const typo = await run(['run', 'hello', '--data', join(dir, 'typo')])
    expect(typo.code).toBe(3)
    expect(typo.stderr).toContain(`the data folder ${join(dir, 'typo')} does not exist`)
  })

  it('cancels the run on Ctrl-C (SIGINT) and exits 130', async () => {
    const dir = data()
    const cli = tasse(['run', 'gate', '--data', dir])
    children.push(cli.child)
    await until(() => cli.stdout().includes('waiting for'))
    cli.child.kill('SIGINT')
    expect(await cli.done).toBe(130)
    expect(cli.stderr()).toMatch(/cancelled/)
  })

  it('records the run in the data folder’s history, without touching a running host’s schedule', async () => {
    const dir = data()
    host = await startHost(readConfig({ data: dir, port: '0' }, {}), { logger: memoryLogger() })
    host.tasse.pause('hourly')
    await until(async () => (await host?.tasse.store.getTaskState('hourly'))?.paused)
    expect((await run(['run', 'hello', '--data', dir])).code).toBe(0)
    const [last] = (await host.tasse.listRuns({ task: 'hello' })).runs
    expect(last).toMatchObject({ reason: 'cli', status: 'succeeded' })
    expect(await host.tasse.store.getTaskState('hourly')).toMatchObject({ paused: true })
  })
})

describe('tasse validate', () => {
  it('exits 0 on the repository’s data/', async () => {
    const result = await run(['validate', join(ROOT, 'data')])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('ok       helloworld')
  })

  it('exits 1 listing every error (JSON with --json), for a data, tasks or task folder', async () => {
    const dir = dataWith({
      ...TASKS,
      nothing: { 'task.yaml': '' },
      typo: { 'task.yaml': 'scheduler:\n  trigger: interval\n  minute: 5\n', 'task.sh': '' },
    })
    folders.push(dir)
    const result = await run(['validate', dir])
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^invalid {2}broken: .*overlap must be one of/m)
    expect(result.stdout).toMatch(/^invalid {2}nothing: .*no task\.py or task\.sh/m)
    expect(result.stdout).toMatch(/^invalid {2}typo: .*minute.*did you mean "minutes"/m)
    expect(result.stdout).toContain('8 task(s): 5 valid, 3 invalid')

    const json = await run(['validate', join(dir, 'tasks'), '--json'])
    expect(json.code).toBe(1)
    const report = JSON.parse(json.stdout)
    expect(report.valid).toEqual(['envdump', 'fail', 'gate', 'hello', 'hourly'])
    expect(report.invalid.map((i: { name: string }) => i.name)).toEqual([
      'broken',
      'nothing',
      'typo',
    ])

    expect((await run(['validate', join(dir, 'tasks', 'hello')])).code).toBe(0)
    expect((await run(['validate', join(dir, 'tasks', 'broken')])).code).toBe(1)
    expect((await run(['validate', join(dir, 'missing')])).code).toBe(3)
  })
})

describe('tasse validate: every problem, where it is written (#18)', () => {
  it('reports a task.yaml with three mistakes as three findings, each with its line and column', async () => {
    const yaml = [
      'scheduler:',
      '  trigger: interval',
      '  seconds: 0', // APScheduler 3 would run it every second
      '  jiter: 5',
      'description: a task with three mistakes',
      'overlap: sometimes',
      '',
    ].join('\n')
    const dir = dataWith({ three: { 'task.yaml': yaml, 'task.sh': 'echo never\n' } })
    folders.push(dir)
    const json = await run(['validate', dir, '--json'])
    expect(json.code).toBe(1)
    const [invalid] = JSON.parse(json.stdout).invalid
    expect(
      invalid.problems.map((p: { line: number; column: number; field: string }) => [
        p.line,
        p.column,
        p.field,
      ]),
    ).toEqual([
      [3, 3, 'scheduler.seconds'],
      [4, 3, 'scheduler.jiter'],
      [6, 1, 'overlap'],
    ])
    expect(invalid.problems[0].message).toContain('not zero')
    expect(invalid.problems[1].message).toContain('did you mean "jitter"?')

    const text = await run(['validate', dir])
    expect(text.code).toBe(1)
    const file = join('tasks', 'three', 'task.yaml')
    expect(text.stdout.split('\n').filter((line) => line.startsWith('invalid'))).toEqual([
      expect.stringMatching(
        `^invalid {2}three: .*${file}:3:3: \\[trigger-interval\\] scheduler\\.seconds must make an interval of at least 1 second, not zero`,
      ),
      expect.stringMatching(
        `${file}:4:3: \\[trigger-interval\\] scheduler\\.jiter is not a known option`,
      ),
      expect.stringMatching(
        `${file}:6:1: overlap must be one of skip, queue, replace, allow, got "sometimes"$`,
      ),
    ])
  })

  it('tasse schema prints the committed schema/task.json', async () => {
    const result = await run(['schema'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual(
      JSON.parse(readFileSync(join(ROOT, 'schema', 'task.json'), 'utf8')),
    )
  })
})

describe('tasse validate and tasse run on a pyproject.toml the installed Poetry cannot read', () => {
  const poetry = spawnSync('poetry', ['--version'], { encoding: 'utf8' })
  const [, major, minor] = /(\d+)\.(\d+)/.exec(poetry.stdout ?? '') ?? []
  const poetry1 = poetry.status === 0 && Number(major) === 1 && Number(minor) < 8
  const files = {
    'task.yaml': 'entrypoint: task.py\n',
    'task.py': 'print("never")\n',
    'pyproject.toml':
      '[project]\nname = "pm"\nversion = "0.1.0"\ndependencies = []\n\n[tool.poetry]\npackage-mode = false\n',
  }

  it.skipIf(!poetry1)(
    `validate reports it with the Poetry version and the fix; run prints Poetry's words once${poetry1 ? '' : ' (skipped: Poetry 1.x before 1.8 absent)'}`,
    async () => {
      const dir = dataWith({ pm: files })
      folders.push(dir)
      const validated = await run(['validate', dir])
      expect(validated.code).toBe(1)
      expect(validated.stdout).toMatch(
        /^invalid {2}pm: task "pm": its pyproject\.toml cannot be read by the installed Poetry 1\.\d+\.\d+: .*install Poetry 2/m,
      )
      const ran = await run(['run', 'pm', '--data', dir], { TASSE_INSTALL_PIP_NO_INDEX: '1' })
      expect(ran.code).toBe(1)
      const output = `${ran.stdout}${ran.stderr}`
      expect(output.match(/'package-mode' was unexpected/g)).toHaveLength(1)
      expect(output).not.toContain('[tasse] [tasse]')
      expect(output).toMatch(/\[tasse\] run \w+ of pm failed\n$/)
    },
    180_000,
  )
})

describe('tasse list', () => {
  it('lists tasks with state and next fire time, as a table or one JSON array', async () => {
    const dir = data()
    const table = await run(['list', '--data', dir])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/^TASK +STATE +SCHEDULE +NEXT FIRE +LAST RUN$/m)
    expect(table.stdout).toMatch(/^hourly +ok +interval\[1:00:00\] +\d{4}-\d\d-\d\dT/m)
    expect(table.stdout).toMatch(/^broken +invalid/m)
    const json = await run(['list', '--json', '--next', '2', '--data', dir])
    const tasks = JSON.parse(json.stdout) as { name: string; nextFireTimes: string[] }[]
    expect(tasks.map((t) => t.name)).toEqual(ALL_TASKS)
    expect(tasks[5]?.nextFireTimes).toHaveLength(2)
  })
})

describe('read-only commands', () => {
  /**
   * Every file below `dir` with its size and modification time, and every folder. A folder's
   * own time is left out: reading SQLite history makes its -wal and -shm lock files appear and
   * go again in .tasse/, which leaves every file as it was.
   */
  function snapshot(dir: string): string[] {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((path) => {
        const stat = statSync(join(dir, path))
        return stat.isDirectory() ? `${path}/` : `${path} ${stat.size} ${stat.mtimeMs}`
      })
      .sort()
  }

  it('tasse next, list and validate write nothing in the data folder, with or without history', async () => {
    const dir = data()
    const readOnly = async () => {
      const before = snapshot(dir)
      expect((await run(['list', '--data', dir])).code).toBe(0)
      expect((await run(['list', '--json', '--data', dir])).code).toBe(0)
      expect((await run(['validate', dir])).code).toBe(1) // the fixtures' broken task
      expect((await run(['next', join(dir, 'tasks', 'hourly')])).code).toBe(0)
      expect(snapshot(dir)).toEqual(before)
    }
    await readOnly()
    expect(existsSync(join(dir, '.tasse'))).toBe(false)
    // With a run in history (and the store's file), the same.
    expect((await run(['run', 'hello', '--data', dir])).code).toBe(0)
    expect(existsSync(join(dir, '.tasse', 'tasse.db'))).toBe(true)
    await readOnly()
    const listed = await run(['list', '--data', dir])
    expect(listed.stdout).toMatch(/^hello +ok +when triggered +- +succeeded /m)
  })
})

describe('client commands against a running host', () => {
  it('trigger prints the run id; logs prints its output', async () => {
    const { env } = await serve()
    const triggered = await run([
      'trigger',
      'hello',
      '--param',
      'who=bob',
      '--url',
      host?.url as string,
      '--token',
      TOKEN,
    ])
    expect(triggered.code).toBe(0)
    const id = triggered.stdout.trim()
    expect(id).toMatch(/^[0-9a-z]{16}$/)
    await host?.tasse.waitForRun(id)
    expect(await run(['logs', id], env)).toMatchObject({ code: 0, stdout: 'Hello bob\n' })
    const json = await run(['trigger', 'hello', '--json'], env)
    expect(JSON.parse(json.stdout)).toMatchObject({ task: 'hello', params: { who: 'world' } })
  })

  it('trigger --follow and logs --follow stream a running task to its end, exiting with its status', async () => {
    const { dir, env } = await serve()
    const triggered = tasse(['trigger', 'gate', '--follow'], env)
    children.push(triggered.child)
    await until(() => triggered.stdout().includes('waiting for'))
    const id = (/waiting for (\w+)/.exec(triggered.stdout()) as RegExpExecArray)[1] as string
    const follower = tasse(['logs', id, '--follow'], env)
    children.push(follower.child)
    await until(() => follower.stdout().includes('waiting for'))
    openGate(dir)
    expect(await triggered.done).toBe(0)
    expect(await follower.done).toBe(0)
    for (const cli of [triggered, follower])
      expect(cli.stdout()).toBe(`waiting for ${id}\ngate opened\n`)
    const failed = await run(['trigger', 'fail', '--follow'], env)
    expect(failed.code).toBe(3)
    expect(failed.stdout).toBe('about to fail\n')
  })

  it('cancel ends a running run; a second cancel fails with the host’s message', async () => {
    const { env } = await serve()
    const id = (await run(['trigger', 'gate'], env)).stdout.trim()
    const cancelled = await run(['cancel', id], env)
    expect(cancelled.code).toBe(0)
    expect(cancelled.stdout).toContain(`run ${id} of gate`)
    expect(await host?.tasse.waitForRun(id)).toMatchObject({ status: 'cancelled' })
    const again = await run(['cancel', id], env)
    expect(again.code).toBe(4)
    expect(again.stderr).toContain(
      `run ${id} is not queued or running on any host (status: cancelled)`,
    )
  })

  it('reports the host’s errors: no token, unknown task, refused parameter, no host', async () => {
    const { env } = await serve()
    const noToken = await run(['trigger', 'hello', '--url', host?.url as string])
    expect(noToken.code).toBe(7)
    expect(noToken.stderr).toContain('this host needs a token')
    expect(noToken.stderr).toContain('pass --token or set TASSE_TOKEN')
    const nope = await run(['trigger', 'nope'], env)
    expect(nope).toMatchObject({ code: 3, stdout: '' })
    expect(nope.stderr).toBe(
      '[tasse] trigger: no task named "nope" (known tasks: envdump, fail, gate, hello, hourly)\n',
    )
    const badParam = await run(['trigger', 'hello', '--param', 'who=X'], env)
    expect(badParam.code).toBe(5)
    expect(badParam.stderr).toContain('parameter "who" of task "hello" must match')
    const away = await run(['logs', 'x', '--url', 'http://127.0.0.1:9'])
    expect(away.code).toBe(6)
    expect(away.stderr).toContain('cannot reach a Tasse host at http://127.0.0.1:9')
  })
})

describe('--help', () => {
  it('every command has one, and exits 0', async () => {
    const top = await run(['--help'])
    expect(top.code).toBe(0)
    const section = top.stdout.slice(
      top.stdout.indexOf('Commands:'),
      top.stdout.indexOf('\n\n', top.stdout.indexOf('Commands:')),
    )
    const names = [...section.matchAll(/^ {2}([a-z]+) {2}/gm)].map((m) => m[1] as string)
    expect(names).toEqual(
      expect.arrayContaining([
        'serve',
        'run',
        'list',
        'validate',
        'next',
        'trigger',
        'runs',
        'logs',
        'cancel',
        'pause',
        'resume',
        'rescan',
      ]),
    )
    for (const name of names) {
      const help = await run([name, '--help'])
      expect(help.code, name).toBe(0)
      expect(help.stdout, name).toMatch(new RegExp(`^tasse ${name}\\b`))
      expect(misaligned(help.stdout), name).toEqual([])
    }
    expect(misaligned(top.stdout)).toEqual([])
    expect((await run(['nope'])).code).toBe(2)
    expect((await run(['list', '--bogus'])).code).toBe(2)
    // Sixteen CLI processes one after another: on a loaded 2-core machine that is more than the
    // default 30 s.
  }, 180_000)
})

describe('runs, pause, resume, rescan, list --url and --version against a running host', () => {
  async function triggered(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
    const id = (await run(['trigger', ...args], env)).stdout.trim()
    await host?.tasse.waitForRun(id)
    return id
  }

  it('runs: the history with the API’s filters, one JSON array with --json, in pages', async () => {
    const { env } = await serve()
    await triggered(['hello', '--param', 'who=ann'], env)
    await triggered(['hello', '--param', 'who=bob'], env)
    await triggered(['fail'], env)

    const hello = await run(['runs', '--task', 'hello', '--json'], env)
    expect(hello).toMatchObject({ code: 0, stderr: '' })
    const runs = JSON.parse(hello.stdout) as { params: { who: string } }[]
    expect(runs.map((r) => r.params.who)).toEqual(['bob', 'ann'])
    const failed = JSON.parse((await run(['runs', '--status', 'failed', '--json'], env)).stdout)
    expect(failed).toMatchObject([{ task: 'fail', status: 'failed', exitCode: 3 }])
    // What the run used (#20): every field in --json.
    expect(failed[0]).toMatchObject({
      peakMemoryBytes: expect.any(Number),
      cpuUserSeconds: expect.any(Number),
      cpuSystemSeconds: expect.any(Number),
      outputBytes: expect.any(Number),
    })
    expect(oneTimeFormat(runs)).toBe(true)

    const page = await run(['runs', '--limit', '1'], env)
    expect(page.stdout).toMatch(
      /^RUN +TASK +STATUS +REASON +QUEUED +DURATION +EXIT +MEMORY +CPU +OUTPUT +HOST$/m,
    )
    expect(page.stdout).toMatch(
      /^\w{16} +fail +failed +trigger +\S+ +\d+ms +3 +[\d.]+ [KMG]iB +\d+\.\d\ds +[\d.]+ (B|KiB) +\w{16}$/m,
    )
    const cursor = (/^more runs: --cursor (\S+)$/m.exec(page.stdout) as RegExpExecArray)[1]
    const rest = JSON.parse(
      (await run(['runs', '--cursor', cursor as string, '--json'], env)).stdout,
    )
    expect(rest).toHaveLength(2)

    expect((await run(['runs', '--status', 'bogus'], env)).code).toBe(5)
    expect((await run(['runs', '--limit', '0'], env)).code).toBe(2)
  })

  it('pause and resume a schedule (4 for a task without one); rescan says what changed', async () => {
    const { dir, env } = await serve()
    const paused = await run(['pause', 'hourly'], env)
    expect(paused).toMatchObject({ code: 0, stdout: 'hourly: paused\n' })
    expect(host?.tasse.taskInfo('hourly')?.state).toBe('paused')
    const resumed = await run(['resume', 'hourly', '--json'], env)
    expect(JSON.parse(resumed.stdout)).toMatchObject({ name: 'hourly', state: 'ok' })
    expect(host?.tasse.taskInfo('hourly')?.state).toBe('ok')
    const manual = await run(['pause', 'hello', '--json'], env)
    expect(manual.code).toBe(4)
    expect(JSON.parse(manual.stdout)).toMatchObject({
      error: { code: 'not_scheduled', exitCode: 4 },
    })
    expect((await run(['pause', 'nope'], env)).code).toBe(3)

    cpSync(join(dir, 'tasks', 'hello'), join(dir, 'tasks', 'hello2'), { recursive: true })
    const rescan = await run(['rescan'], env)
    expect(rescan.code).toBe(0)
    // The watcher may have seen the new folder first; either way the host knows it now.
    expect(rescan.stdout).toMatch(/^(added: hello2|no changes)\n/)
    expect(host?.tasse.taskInfo('hello2')).toBeTruthy()
    const json = JSON.parse((await run(['rescan', '--json'], env)).stdout)
    expect(json).toEqual({ added: [], changed: [], removed: [], invalid: [] })
  })

  it('list --url asks the host, as the folder would answer', async () => {
    const { env } = await serve()
    await triggered(['hello'], env)
    const fromHost = await run(['list', '--url', host?.url as string, '--json'], env)
    expect(fromHost.code).toBe(0)
    const tasks = JSON.parse(fromHost.stdout) as { name: string; lastRun: unknown }[]
    expect(tasks.map((t) => t.name)).toEqual(ALL_TASKS)
    expect(tasks.find((t) => t.name === 'hello')?.lastRun).toMatchObject({ status: 'succeeded' })
    expect(oneTimeFormat(tasks)).toBe(true)
    const table = await run(['list', '--url', host?.url as string], env)
    expect(table.stdout).toMatch(/^hello +ok +when triggered +- +succeeded \d{4}-/m)
    const noToken = await run(['list', '--url', host?.url as string])
    expect(noToken.code).toBe(7)
  })

  it('--json prints one JSON document on stdout, errors included; streams are JSON lines', async () => {
    const { env } = await serve()
    const nope = await run(['trigger', 'nope', '--json'], env)
    expect(nope).toMatchObject({ code: 3, stderr: '' })
    expect(JSON.parse(nope.stdout)).toEqual({
      error: {
        code: 'task_not_found',
        message: 'no task named "nope" (known tasks: envdump, fail, gate, hello, hourly)',
        exitCode: 3,
        known: ['envdump', 'fail', 'gate', 'hello', 'hourly'],
        status: 404,
      },
    })
    const usage = await run(['runs', '--bogus', '--json'], env)
    expect(usage.code).toBe(2)
    expect(JSON.parse(usage.stdout)).toMatchObject({ error: { code: 'usage', exitCode: 2 } })

    const followed = await run(['trigger', 'hello', '--follow', '--json'], env)
    expect(followed).toMatchObject({ code: 0, stderr: '' })
    const lines = followed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(lines[0]).toMatchObject({ event: 'run', run: { task: 'hello' } })
    expect(lines.slice(1, -1)).toEqual([{ event: 'output', text: 'Hello world\n' }])
    expect(lines.at(-1)).toMatchObject({ event: 'end', run: { status: 'succeeded', exitCode: 0 } })
    const id = lines[0].run.id as string
    expect(JSON.parse((await run(['logs', id, '--json'], env)).stdout)).toEqual({
      id,
      text: 'Hello world\n',
    })
  })

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(
      readFileSync(join(ROOT, 'packages', 'host', 'package.json'), 'utf8'),
    )
    expect(await run(['--version'])).toMatchObject({ code: 0, stdout: `tasse ${version}\n` })
  })
})

describe('tasse serve refuses what it cannot serve', () => {
  it('--port abc and a bare folder are usage errors (2); a missing data folder is refused (3) unless --init', async () => {
    const dir = data()
    const port = await run(['serve', '--data', dir, '--port', 'abc'])
    expect(port.code).toBe(2)
    expect(port.stderr).toContain('--port must be a port number 0-65535, got "abc"')
    // `tasse serve /srv/data` once served ./data, silently.
    for (const command of ['serve', 'list']) {
      const bare = await run([command, dir])
      expect(bare.code, bare.stderr).toBe(2)
      expect(bare.stderr).toContain(
        `unexpected ${JSON.stringify(dir)} (a data folder is given with --data DIR`,
      )
    }
    const missing = join(dir, 'typo')
    const refused = await run(['serve', '--data', missing, '--port', '0'])
    expect(refused.code).toBe(3)
    expect(refused.stderr).toContain(`the data folder ${missing} does not exist`)
    expect(refused.stderr).toContain('--init')
    expect(existsSync(missing)).toBe(false)

    const created = tasse(['serve', '--data', missing, '--port', '0', '--init'])
    children.push(created.child)
    await until(() => created.stdout().includes('serving'), 20_000)
    expect(created.stdout()).toContain(`--init: created the data folder ${join(missing, 'tasks')}`)
    expect(existsSync(join(missing, 'tasks'))).toBe(true)
    created.child.kill('SIGTERM')
    expect(await created.done).toBe(0)
  })

  it('stops cleanly (exit 0) on a SIGTERM that arrives while it starts', async () => {
    const dir = data()
    const starting = tasse(['serve', '--data', dir, '--port', '0'])
    children.push(starting.child)
    // Its first line comes before it listens and discovers the tasks.
    await until(() => starting.stdout().includes('no token configured'), 20_000)
    starting.child.kill('SIGTERM')
    expect(await starting.done).toBe(0)
    expect(starting.stdout()).toMatch(/SIGTERM received: stopping.*\n.*stopped\n$/)
  })
})

/** Whether every timestamp in `value` has the one format: ms and a numeric offset. */
function oneTimeFormat(value: unknown): boolean {
  const times: string[] = []
  const walk = (item: unknown): void => {
    if (typeof item === 'string' && /^\d{4}-\d\d-\d\dT/.test(item)) times.push(item)
    else if (Array.isArray(item)) item.forEach(walk)
    else if (item && typeof item === 'object') Object.values(item).forEach(walk)
  }
  walk(value)
  return (
    times.length > 0 &&
    times.every((t) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/.test(t))
  )
}

/** Lines of help tables whose columns do not line up with the rows of their table. */
function misaligned(text: string): string[] {
  const bad: string[] = []
  let column: number | null = null
  let bracket: number | null = null
  for (const line of text.split('\n')) {
    if (!line.startsWith('  ')) {
      column = null
      bracket = null
      continue
    }
    if (/^ {3,}\S/.test(line)) {
      // A continuation line sits under the description.
      if (column !== null && line.length - line.trimStart().length !== column) bad.push(line)
      continue
    }
    const gap = / {2,}/.exec(line.slice(2))
    if (!gap) continue
    const at = 2 + gap.index + gap[0].length
    if (column === null) column = at
    else if (at !== column) bad.push(line)
    const source = line.lastIndexOf('  [')
    if (source > at) {
      if (bracket === null) bracket = source
      else if (source !== bracket) bad.push(line)
    }
  }
  return bad
}
