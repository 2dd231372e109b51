/**
 * The Poetry layout and the plain interpreter against real Poetry, venv and pip, offline: each
 * test builds real environments from a fresh copy of test/fixtures in a temporary directory, then
 * runs the returned command.
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { poetryRunner } from '../src/index.js'
import {
  context,
  hasPoetry,
  hasVenv,
  listDir,
  OFFLINE,
  pythonVersion,
  runCommand,
  type Sandbox,
  sandbox,
  steps,
} from './helpers.js'

const BUILD_TIMEOUT = 180_000
const runner = (options = {}) => poetryRunner({ installEnv: OFFLINE, ...options })
const noPoetry = !hasPoetry || !hasVenv
const skipPoetry = noPoetry ? ' (skipped: poetry or python3-venv absent)' : ''

let box: Sandbox
beforeEach(async () => {
  box = await sandbox()
})
afterEach(async () => {
  await box.remove()
})

describe('Poetry layout (pyproject.toml)', () => {
  it.skipIf(noPoetry)(
    `builds venv/<name> with poetry install from poetry.lock; the task runs with its python${skipPoetry}`,
    async () => {
      const task = box.task('poetry-path')
      const ctx = context(box.dataDir, task)
      const command = await runner().prepare(task, ctx)

      const venv = box.venv('poetry-path')
      expect(command.command).toBe(join(venv, 'bin', 'python'))
      expect(command.args).toEqual(['task.py'])
      expect(ctx.lines[0]).toBe(
        `[runner-poetry] building python environment venv/poetry-path (Poetry, python ${pythonVersion()})`,
      )
      expect(steps(ctx.lines)).toEqual([
        '[runner-poetry] $ python3 -m venv venv/poetry-path',
        '[runner-poetry] $ poetry install --no-root --no-interaction --no-ansi',
      ])
      // Poetry's own output, streamed into the log: it installed from the lock file.
      expect(ctx.lines).toContain('Installing dependencies from lock file')
      expect(ctx.lines.some((l) => /Installing greeting \(0\.1\.0 .*greeting-lib\)/.test(l))).toBe(
        true,
      )
      expect(ctx.lines.at(-1)).toMatch(
        /^\[runner-poetry\] python environment venv\/poetry-path ready in/,
      )
      const marker = JSON.parse(await readFile(join(venv, '.tasse-env.json'), 'utf8'))
      expect(marker).toMatchObject({ format: 1, layout: 'poetry', installRoot: false })
      expect(Object.keys(marker.files)).toEqual([
        'pyproject.toml',
        'poetry.lock',
        '.python-version',
      ])

      const run = await runCommand(command, task, ctx)
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
      expect(run.stdout[0]).toBe('hello from greeting 0.1.0, poetry')
      expect(run.stdout).toContain(`prefix=${venv}`)
      expect(run.stdout).toContain(`VIRTUAL_ENV=${venv}`)
      // Poetry's own venv naming (`<project>-<hash>-py3.x`) never appears: one folder per task.
      expect(await listDir(join(box.dataDir, 'venv'))).toEqual(['poetry-path'])
    },
    BUILD_TIMEOUT,
  )

  it.skipIf(noPoetry)(
    `reuses the environment on the next run: no install step runs, the marker is not rewritten${skipPoetry}`,
    async () => {
      const task = box.task('poetry-path')
      const first = context(box.dataDir, task)
      await runner().prepare(task, first)
      const markerFile = join(box.venv('poetry-path'), '.tasse-env.json')
      const before = await stat(markerFile)

      // A new runner instance, as after a host restart: the marker on disk is what counts.
      const second = context(box.dataDir, task)
      const command = await runner().prepare(task, second)
      expect(steps(second.lines)).toEqual([])
      expect(second.lines).toHaveLength(1)
      expect(second.lines[0]).toMatch(
        /^\[runner-poetry\] python environment venv\/poetry-path reused \(Poetry, python [\d.]+; inputs unchanged since \d{4}-/,
      )
      const after = await stat(markerFile)
      expect(after.mtimeMs).toBe(before.mtimeMs)
      expect(after.ino).toBe(before.ino)
      expect((await runCommand(command, task, second)).stdout[0]).toBe(
        'hello from greeting 0.1.0, poetry',
      )
    },
    BUILD_TIMEOUT,
  )

  it.skipIf(noPoetry)(
    `a project without poetry.lock gets one from Poetry, and that is not a change that rebuilds${skipPoetry}`,
    async () => {
      const task = box.task('poetry-path')
      await rm(join(task.dir, 'poetry.lock'))
      const first = context(box.dataDir, task)
      await runner().prepare(task, first)
      expect(first.lines).toContain('Writing lock file')
      await stat(join(task.dir, 'poetry.lock')) // Poetry wrote it

      const second = context(box.dataDir, task)
      await runner().prepare(task, second)
      expect(second.lines).toEqual([expect.stringMatching(/reused/)])
    },
    BUILD_TIMEOUT,
  )

  it.skipIf(noPoetry)(
    `installs the project itself (no --no-root) when it declares a package${skipPoetry}`,
    async () => {
      const task = box.task('poetry-path')
      const pyproject = join(task.dir, 'pyproject.toml')
      const text = await readFile(pyproject, 'utf8')
      await writeFile(
        pyproject,
        text.replace('authors =', 'packages = [{ include = "helpers" }]\nauthors ='),
      )
      await mkdir(join(task.dir, 'helpers'))
      await writeFile(join(task.dir, 'helpers', '__init__.py'), 'NAME = "helpers of poetry-path"\n')
      const ctx = context(box.dataDir, task)
      const command = await runner().prepare(task, ctx)
      expect(steps(ctx.lines)[1]).toBe(
        '[runner-poetry] $ poetry install --no-interaction --no-ansi',
      )
      expect(ctx.lines.some((l) => l.includes('Installing the current project: poetry-path'))).toBe(
        true,
      )
      // From another folder than the task's, `helpers` imports only because it is installed.
      const code = 'import greeting, helpers; print(greeting.greet(helpers.NAME))'
      const run = await runCommand({ ...command, args: ['-c', code] }, { ...task, dir: '/' }, ctx)
      expect(run.stderr).toBe('')
      expect(run.stdout).toEqual(['hello from greeting 0.1.0, helpers of poetry-path'])
    },
    BUILD_TIMEOUT,
  )

  it.skipIf(noPoetry)(
    `a broken pyproject.toml fails the run with the command and its exit code (its output streamed once); the next run tries again${skipPoetry}`,
    async () => {
      const task = box.task('broken-pyproject')
      const first = context(box.dataDir, task)
      const error = await runner()
        .prepare(task, first)
        .then(
          () => null,
          (e: unknown) => e as Error,
        )
      expect(error).toBeInstanceOf(Error)
      const message = error?.message ?? ''
      expect(message).toMatch(
        /^\[runner-poetry\] task "broken-pyproject": `poetry install --no-root --no-interaction --no-ansi` exited with code 1 after [\d.]+m?s; its output is in the run's log, above$/,
      )
      // Poetry's own words about the file are in the run's log, once (Poetry 1.3: `Invalid
      // TOML file …/pyproject.toml: Unexpected character: '\n' at line 9 col 40`).
      const said = first.lines.filter((l) => /tasks\/broken-pyproject\/pyproject\.toml/.test(l))
      expect(said).toHaveLength(1)
      expect(error?.cause).toBeDefined()
      await expect(stat(join(box.venv('broken-pyproject'), '.tasse-env.json'))).rejects.toThrow()

      // The next run does not use the half-made environment: it builds again (and fails again).
      const second = context(box.dataDir, task)
      await expect(runner().prepare(task, second)).rejects.toThrow(/exited with code 1/)
      expect(second.lines[0]).toMatch(
        /rebuilding .*an earlier build did not finish \(no marker file\)/,
      )

      // Once fixed, it builds.
      const pyproject = join(task.dir, 'pyproject.toml')
      await writeFile(pyproject, `${await readFile(pyproject, 'utf8')} }\n`.replace('"\n }', '" }'))
      const third = context(box.dataDir, task)
      const command = await runner().prepare(task, third)
      expect(third.lines[0]).toMatch(/rebuilding .*: an earlier build did not finish/)
      expect((await runCommand(command, task, third)).stdout[0]).toBe('hello from plain python')
    },
    BUILD_TIMEOUT,
  )

  it.skipIf(noPoetry)(
    `two runs at once build once, across runner instances, and both get the environment${skipPoetry}`,
    async () => {
      const task = box.task('poetry-path')
      const a = context(box.dataDir, task)
      const b = context(box.dataDir, task)
      const [ca, cb] = await Promise.all([runner().prepare(task, a), runner().prepare(task, b)])
      expect(ca).toEqual(cb)
      expect([...steps(a.lines), ...steps(b.lines)]).toHaveLength(2) // one venv, one install
      // Which of the two gets to build first is up to the event loop; the other one waits.
      const [builder, waiter] = a.lines[0]?.includes('building') ? [a, b] : [b, a]
      expect(builder.lines[0]).toMatch(
        /^\[runner-poetry\] building python environment venv\/poetry-path /,
      )
      expect(waiter.lines).toEqual([
        '[runner-poetry] waiting for the build of venv/poetry-path that another run of this task started',
        '[runner-poetry] python environment venv/poetry-path is ready (built by another run of this task)',
      ])
      expect((await runCommand(cb, task, b)).stdout[0]).toBe('hello from greeting 0.1.0, poetry')

      // Built: two more runs at once share the check, and both say the environment was reused.
      const c = context(box.dataDir, task)
      const d = context(box.dataDir, task)
      await Promise.all([runner().prepare(task, c), runner().prepare(task, d)])
      for (const ctx of [c, d])
        expect(ctx.lines).toEqual([
          expect.stringMatching(
            /^\[runner-poetry\] python environment venv\/poetry-path reused \(/,
          ),
        ])
    },
    BUILD_TIMEOUT,
  )

  it.skipIf(noPoetry)(
    `a half-built environment (host killed mid-install) is rebuilt, never used${skipPoetry}`,
    async () => {
      const task = box.task('poetry-path')
      const venv = box.venv('poetry-path')
      await mkdir(join(venv, 'bin'), { recursive: true })
      await writeFile(join(venv, 'bin', 'python'), '#!/bin/sh\necho half-built\n', { mode: 0o755 })
      const ctx = context(box.dataDir, task)
      const command = await runner().prepare(task, ctx)
      expect(ctx.lines[0]).toMatch(
        /^\[runner-poetry\] rebuilding python environment venv\/poetry-path \(Poetry, python [\d.]+\): an earlier build did not finish \(no marker file\)$/,
      )
      expect((await runCommand(command, task, ctx)).stdout[0]).toBe(
        'hello from greeting 0.1.0, poetry',
      )
    },
    BUILD_TIMEOUT,
  )

  it('without Poetry, a Poetry task fails saying how to get it; other tasks still run', async () => {
    const absent = runner({ poetry: 'tasse-test-no-such-poetry' })
    const poetryTask = box.task('poetry-path')
    const error = await absent.prepare(poetryTask, context(box.dataDir, poetryTask)).catch((e) => e)
    expect(error).toBeInstanceOf(Error)
    expect(error.message).toBe(
      '[runner-poetry] task "poetry-path": its pyproject.toml needs Poetry to build the environment, ' +
        'but "tasse-test-no-such-poetry" was not found on PATH. Install Poetry (Debian/Ubuntu: ' +
        '`apt-get install python3-poetry`; elsewhere: `pipx install poetry`), or set TASSE_POETRY ' +
        '(the runner-poetry `poetry` option) to its path. Tasks without a pyproject.toml are not affected.',
    )

    const plain = box.task('plain')
    const ctx = context(box.dataDir, plain)
    const command = await absent.prepare(plain, ctx)
    expect((await runCommand(command, plain, ctx)).stdout[0]).toBe('hello from plain python')
  })
})

describe('plain interpreter (no pyproject.toml, no requirements.txt)', () => {
  it('runs task.py with the configured interpreter and builds nothing', async () => {
    const task = box.task('plain')
    const ctx = context(box.dataDir, task, { PYTHONPATH: '/nowhere' })
    const command = await runner().prepare(task, ctx)
    expect(command.command).toMatch(/\/python3$/)
    expect(command.args).toEqual(['task.py'])
    expect(command.env).toEqual({ PYTHONPATH: '', PYTHONUNBUFFERED: '1' })
    expect(ctx.lines).toEqual([])
    await expect(stat(join(box.dataDir, 'venv'))).rejects.toThrow()
    const run = await runCommand(command, task, ctx)
    expect(run.code).toBe(0)
    expect(run.stdout[0]).toBe('hello from plain python')
  })

  it('names the interpreter it did not find and how to choose another', async () => {
    const task = box.task('plain')
    const error = await runner({ python: 'tasse-test-no-such-python' })
      .prepare(task, context(box.dataDir, task))
      .then(
        () => expect.fail('expected prepare() to fail'),
        (e: unknown) => e as Error,
      )
    expect(error.message).toMatch(
      /^\[runner-poetry\] task "plain": the Python interpreter "tasse-test-no-such-python" was not found on PATH \(.*\)\. Install Python 3, or set TASSE_PYTHON/,
    )
  })

  it('a pyproject.toml that only configures tools is not a Poetry project', async () => {
    const task = box.task('plain')
    await writeFile(join(task.dir, 'pyproject.toml'), '[tool.black]\nline-length = 100\n')
    const ctx = context(box.dataDir, task)
    const command = await runner({ poetry: 'tasse-test-no-such-poetry' }).prepare(task, ctx)
    expect(ctx.lines).toEqual([
      '[runner-poetry] pyproject.toml has no [tool.poetry] or [project] table, so there is nothing to install; running with python3',
    ])
    expect((await runCommand(command, task, ctx)).stdout[0]).toBe('hello from plain python')
  })
})

describe('claims', () => {
  it('claims .py entrypoints only, above core’s plain runners', () => {
    const r = poetryRunner()
    expect(r.priority).toBe(10)
    expect(r.claims({ ...box.task('plain') })).toBe(true)
    expect(r.claims({ ...box.task('plain'), entrypoint: 'jobs/report.py' })).toBe(true)
    expect(r.claims({ ...box.task('plain'), entrypoint: 'task.sh' })).toBe(false)
    expect(r.claims({ ...box.task('plain'), entrypoint: 'task.pyc' })).toBe(false)
  })

  it('rejects options it cannot use, naming the option', () => {
    expect(() => poetryRunner({ venvDir: 'relative/venv' })).toThrow(
      '[runner-poetry] option venvDir must be an absolute path, got "relative/venv"',
    )
    expect(() => poetryRunner({ installTimeoutMs: 0 })).toThrow(/option installTimeoutMs must be/)
    expect(() => poetryRunner({ python: '' })).toThrow(/option python must be/)
  })
})
