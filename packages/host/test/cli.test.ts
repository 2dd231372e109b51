/**
 * The `tasse` commands as real processes (the built `dist/cli.js`), as a user runs them: local
 * ones on a temporary data folder, client ones against a host on a real port.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { cpSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { type RunningHost, readConfig, startHost } from '@tasse/host'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { dataWith, memoryLogger, openGate, TASKS, until } from './api-fixtures.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const CLI = join(ROOT, 'packages', 'host', 'dist', 'cli.js')
const TOKEN = 'cli-test-token-0b7d'

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

  it('refuses an invalid parameter or an unknown task with a message, exit 1', async () => {
    const dir = data()
    const badParam = await run(['run', 'hello', '--param', 'who=Ada!', '--data', dir])
    expect(badParam.code).toBe(1)
    expect(badParam.stderr).toContain(
      'parameter "who" of task "hello" must match ^[a-z]+$ (the whole value), got "Ada!"',
    )
    const unknown = await run(['run', 'nope', '--data', dir])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain(
      'no task named "nope" (known tasks: envdump, fail, gate, hello, hourly)',
    )
    const broken = await run(['run', 'broken', '--data', dir])
    expect(broken.code).toBe(1)
    expect(broken.stderr).toContain('overlap must be one of skip, queue, replace, allow')
    expect((await run(['run', '../x', '--data', dir])).code).toBe(2)
    expect((await run(['run', 'hello', '--param', 'who', '--data', dir])).code).toBe(2)
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
    expect((await run(['validate', join(dir, 'missing')])).code).toBe(1)
  })
})

describe('tasse list', () => {
  it('lists tasks with state and next fire time, as a table or JSON lines', async () => {
    const dir = data()
    const table = await run(['list', '--data', dir])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/^TASK +STATE +SCHEDULE +NEXT FIRE +LAST RUN$/m)
    expect(table.stdout).toMatch(/^hourly +ok +interval\[1:00:00\] +\d{4}-\d\d-\d\dT/m)
    expect(table.stdout).toMatch(/^broken +invalid/m)
    const json = await run(['list', '--json', '--next', '2', '--data', dir])
    const tasks = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(tasks.map((t) => t.name)).toEqual([
      'broken',
      'envdump',
      'fail',
      'gate',
      'hello',
      'hourly',
    ])
    expect(tasks[5].nextFireTimes).toHaveLength(2)
  })
})

describe('client commands against a running host', () => {
  async function serve(): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
    const dir = data()
    host = await startHost(readConfig({ data: dir, port: '0' }, { TASSE_TOKEN: TOKEN }), {
      logger: memoryLogger(),
    })
    return { dir, env: { TASSE_URL: host.url, TASSE_TOKEN: TOKEN } }
  }

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
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(
      `run ${id} is not queued or running on this host (status: cancelled)`,
    )
  })

  it('reports the host’s errors: no token, unknown task, refused parameter, no host', async () => {
    const { env } = await serve()
    const noToken = await run(['trigger', 'hello', '--url', host?.url as string])
    expect(noToken.code).toBe(1)
    expect(noToken.stderr).toContain('this host needs a token')
    expect(noToken.stderr).toContain('pass --token or set TASSE_TOKEN')
    expect((await run(['trigger', 'nope'], env)).stderr).toContain('known tasks: envdump, fail')
    expect((await run(['trigger', 'hello', '--param', 'who=X'], env)).stderr).toContain(
      'parameter "who" of task "hello" must match',
    )
    const away = await run(['logs', 'x', '--url', 'http://127.0.0.1:9'])
    expect(away.code).toBe(1)
    expect(away.stderr).toContain('cannot reach a Tasse host at http://127.0.0.1:9')
  })
})

describe('--help', () => {
  it('every command has one, and exits 0', async () => {
    const top = await run(['--help'])
    expect(top.code).toBe(0)
    const names = [...top.stdout.matchAll(/^ {2}(\w+) {2}/gm)].map((m) => m[1] as string)
    expect(names).toEqual(
      expect.arrayContaining(['serve', 'run', 'list', 'validate', 'trigger', 'logs', 'cancel']),
    )
    for (const name of names) {
      const help = await run([name, '--help'])
      expect(help.code, name).toBe(0)
      expect(help.stdout, name).toMatch(new RegExp(`^tasse ${name}\\b`))
    }
    expect((await run(['nope'])).code).toBe(2)
    expect((await run(['list', '--bogus'])).code).toBe(2)
  })
})
