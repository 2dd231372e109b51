/**
 * `Runner.check`, what `tasse validate` asks: a pyproject.toml that the installed Poetry cannot
 * read is found without building anything, with the Poetry version and what to do. And the uv
 * layout, built with `uv sync` where uv is installed.
 */
import { spawnSync } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { taskBaseEnv } from '@tasse/core/plugin-kit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { poetryRunner } from '../src/index.js'
import {
  context,
  hasPoetry,
  hasVenv,
  OFFLINE,
  runCommand,
  type Sandbox,
  sandbox,
} from './helpers.js'

const runner = (options = {}) => poetryRunner({ installEnv: OFFLINE, ...options })
const poetryVersion = hasPoetry
  ? (/(\d+)\.(\d+)/.exec(spawnSync('poetry', ['--version'], { encoding: 'utf8' }).stdout) ?? [])
  : []
const poetry1 = Number(poetryVersion[1]) === 1 && Number(poetryVersion[2]) < 8
const hasUv = spawnSync('uv', ['--version']).status === 0

let box: Sandbox
beforeEach(async () => {
  box = await sandbox()
})
afterEach(async () => {
  await box.remove()
})

const env = () => taskBaseEnv(process.env)

describe('check (tasse validate)', () => {
  it.skipIf(!poetry1)(
    `reports a [project] table with package-mode that Poetry 1.x cannot read, with its version and the fix${poetry1 ? '' : ' (skipped: Poetry 1.x before 1.8 absent)'}`,
    async () => {
      const task = box.task('pep621-package-mode')
      const problems = await runner().check?.(task, { env: env() })
      expect(problems).toHaveLength(1)
      const [problem] = problems as string[]
      expect(problem).toMatch(
        /^task "pep621-package-mode": its pyproject\.toml cannot be read by the installed Poetry 1\.\d+\.\d+: .*'name' is a required property.*package-mode' was unexpected/,
      )
      expect(problem).toContain('install Poetry 2 and point TASSE_POETRY at it')
      expect(problem).not.toContain('\n')
      // Nothing was built or written.
      expect(await readdir(box.dataDir)).not.toContain('venv')
      expect(await readdir(task.dir)).toEqual(['pyproject.toml', 'task.py', 'task.yaml'])
    },
  )

  it.skipIf(!hasPoetry)(
    `finds nothing wrong with a Poetry project it can read, nor with a plain task${hasPoetry ? '' : ' (skipped: poetry absent)'}`,
    async () => {
      expect(await runner().check?.(box.task('poetry-path'), { env: env() })).toEqual([])
      expect(await runner().check?.(box.task('plain'), { env: env() })).toEqual([])
    },
  )

  it('says Poetry is missing, and how to install it, when it is not found', async () => {
    const problems = await runner({ poetry: '/nonexistent/poetry' }).check?.(
      box.task('poetry-path'),
      { env: env() },
    )
    expect(problems).toEqual([expect.stringContaining('"/nonexistent/poetry" was not found')])
  })
})

describe('uv layout (pyproject.toml + uv.lock)', () => {
  it.skipIf(!hasUv || !hasVenv)(
    `builds venv/<name> with uv sync --frozen; the task runs with its python${hasUv ? '' : ' (skipped: uv absent; neither Debian bookworm nor npm packages it)'}`,
    async () => {
      const task = box.task('uv-project')
      expect(spawnSync('uv', ['lock', '--offline'], { cwd: task.dir }).status).toBe(0)
      const ctx = context(box.dataDir, task)
      const command = await runner().prepare(task, ctx)
      expect(command.command).toBe(join(box.venv('uv-project'), 'bin', 'python'))
      expect(ctx.lines).toContainEqual(
        expect.stringMatching(
          /^\[runner-poetry\] building python environment venv\/uv-project \(uv,/,
        ),
      )
      expect(ctx.lines).toContainEqual(
        expect.stringMatching(
          /^\[runner-poetry\] \$ uv sync --frozen --no-progress --python \S+ --no-install-project$/,
        ),
      )
      const run = await runCommand(command, task, ctx)
      expect(run.stdout).toEqual([`uv project ran in ${box.venv('uv-project')}`])
    },
    180_000,
  )

  it('without uv, a uv.lock project is built as without it, and the log says so', async () => {
    const task = box.task('uv-project')
    const { writeFile } = await import('node:fs/promises')
    await writeFile(join(task.dir, 'uv.lock'), 'version = 1\n')
    const ctx = context(box.dataDir, task)
    const runnerWithoutUv = runner({ uv: '/nonexistent/uv', poetry: '/nonexistent/poetry' })
    // Poetry is not found either: the build stops before anything is made, after the note.
    await expect(runnerWithoutUv.prepare(task, ctx)).rejects.toThrow(/needs Poetry/)
    expect(ctx.lines[0]).toBe(
      '[runner-poetry] uv.lock found but "/nonexistent/uv" is not on PATH: building as without it',
    )
  })
})
