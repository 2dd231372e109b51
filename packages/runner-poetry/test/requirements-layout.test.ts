/**
 * The requirements.txt layout against real venv and pip, offline: each test builds real
 * environments from a fresh copy of test/fixtures in a temporary directory, then runs the
 * returned command.
 */
import { spawnSync } from 'node:child_process'
import { appendFile, mkdir, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { poetryRunner } from '../src/index.js'
import {
  context,
  hasVenv,
  OFFLINE,
  otherInterpreter,
  pythonVersion,
  runCommand,
  type Sandbox,
  sandbox,
  steps,
} from './helpers.js'

const BUILD_TIMEOUT = 180_000
const runner = (options = {}) => poetryRunner({ installEnv: OFFLINE, ...options })
const noVenv = !hasVenv
const skipVenv = noVenv ? ' (skipped: python3 venv/ensurepip absent)' : ''

let box: Sandbox
beforeEach(async () => {
  box = await sandbox()
})
afterEach(async () => {
  await box.remove()
})

describe('requirements.txt layout', () => {
  it.skipIf(noVenv)(
    `builds a venv with pip from requirements.txt; the task imports the local package${skipVenv}`,
    async () => {
      const task = box.task('requirements-path')
      const ctx = context(box.dataDir, task)
      const command = await runner({ poetry: 'tasse-test-no-such-poetry' }).prepare(task, ctx)
      const venv = box.venv('requirements-path')
      expect(command.command).toBe(join(venv, 'bin', 'python'))
      expect(steps(ctx.lines)).toEqual([
        '[runner-poetry] $ python3 -m venv venv/requirements-path',
        '[runner-poetry] $ venv/requirements-path/bin/python -m pip install --no-input -r requirements.txt',
      ])
      expect(ctx.lines).toContain('Successfully installed greeting-0.1.0')
      const run = await runCommand(command, task, ctx)
      expect(run.stdout).toEqual(['hello from greeting 0.1.0, pip', `prefix=${venv}`])
    },
    BUILD_TIMEOUT,
  )

  it.skipIf(noVenv)(
    `editing requirements.txt rebuilds exactly once, even for runs at the same time${skipVenv}`,
    async () => {
      const task = box.task('requirements-path')
      await runner().prepare(task, context(box.dataDir, task))
      await appendFile(join(task.dir, 'requirements.txt'), '# the same package, a new comment\n')

      const runs = [1, 2, 3].map(() => context(box.dataDir, task))
      await Promise.all(runs.map((ctx) => runner().prepare(task, ctx)))
      const after = context(box.dataDir, task)
      await runner().prepare(task, after)

      const all = [...runs, after].flatMap((ctx) => ctx.lines)
      expect(all.filter((l) => l.includes('rebuilding'))).toEqual([
        `[runner-poetry] rebuilding python environment venv/requirements-path (requirements.txt, python ${pythonVersion()}): requirements.txt changed`,
      ])
      expect(steps(all)).toHaveLength(2)
      expect(after.lines).toEqual([expect.stringMatching(/ reused \(/)])
    },
    BUILD_TIMEOUT,
  )

  it.skipIf(noVenv)(
    `a file included with -r is an input too${skipVenv}`,
    async () => {
      const task = box.task('requirements-path')
      const requirements = join(task.dir, 'requirements.txt')
      await writeFile(requirements, '-r base-requirements.txt\n')
      await writeFile(join(task.dir, 'base-requirements.txt'), '../../greeting-lib\n')
      await runner().prepare(task, context(box.dataDir, task))
      await appendFile(join(task.dir, 'base-requirements.txt'), '# changed\n')
      const ctx = context(box.dataDir, task)
      await runner().prepare(task, ctx)
      expect(ctx.lines[0]).toMatch(/rebuilding .*: base-requirements\.txt changed$/)
    },
    BUILD_TIMEOUT,
  )

  it.skipIf(noVenv)(
    `the host's PIP_*, PYTHONPATH and VIRTUAL_ENV reach neither the install nor the task${skipVenv}`,
    async () => {
      const task = box.task('requirements-path')
      // A decoy `greeting` that the task would import if the host's PYTHONPATH reached it.
      const decoy = join(box.dataDir, 'decoy')
      await mkdir(decoy)
      await writeFile(join(decoy, 'greeting.py'), 'def greet(who):\n    return "decoy"\n')
      const host = {
        PYTHONPATH: decoy,
        // Would send pip's install into this folder instead of the venv.
        PIP_TARGET: join(box.dataDir, 'pip-target'),
        VIRTUAL_ENV: join(box.dataDir, 'some-other-venv'),
        POETRY_ACTIVE: '1',
      }
      const ctx = context(box.dataDir, task, host)
      const command = await runner().prepare(task, ctx)
      await expect(stat(host.PIP_TARGET)).rejects.toThrow()
      expect(command.env).toMatchObject({
        PYTHONPATH: '',
        POETRY_ACTIVE: '',
        VIRTUAL_ENV: box.venv('requirements-path'),
      })
      const run = await runCommand(command, task, ctx)
      expect(run.stdout[0]).toBe('hello from greeting 0.1.0, pip')
    },
    BUILD_TIMEOUT,
  )

  it.skipIf(noVenv)(
    `the task's own env: reaches its install (here: pip's PIP_FIND_LINKS and PIP_NO_INDEX)${skipVenv}`,
    async () => {
      // A wheel of greeting in a folder of its own, and a requirement by name only: pip finds it
      // only through the task's PIP_FIND_LINKS (the host's PIP_* are not passed on).
      const wheels = join(box.dataDir, 'wheels')
      await mkdir(wheels)
      const built = spawnSync(
        'python3',
        ['-c', `import wheel_backend; wheel_backend.build_wheel(${JSON.stringify(wheels)})`],
        {
          cwd: join(box.dataDir, 'greeting-lib'),
        },
      )
      expect(built.status).toBe(0)
      const loaded = box.task('requirements-path')
      await writeFile(join(loaded.dir, 'requirements.txt'), 'greeting==0.1.0\n')
      const task = { ...loaded, env: { PIP_NO_INDEX: '1', PIP_FIND_LINKS: wheels } }
      const ctx = context(box.dataDir, task, { PIP_FIND_LINKS: join(box.dataDir, 'nowhere') })
      const command = await poetryRunner({ installEnv: { PIP_CONFIG_FILE: '/dev/null' } }).prepare(
        task,
        ctx,
      )
      expect(ctx.lines).toContain('Successfully installed greeting-0.1.0')
      expect((await runCommand(command, task, ctx)).stdout[0]).toBe(
        'hello from greeting 0.1.0, pip',
      )
    },
    BUILD_TIMEOUT,
  )

  it.skipIf(noVenv)(
    `an environment whose python no longer runs (base interpreter removed) is rebuilt${skipVenv}`,
    async () => {
      const task = box.task('requirements-path')
      await runner().prepare(task, context(box.dataDir, task))
      const python = join(box.venv('requirements-path'), 'bin', 'python')
      await rm(python)
      await symlink(join(box.dataDir, 'uninstalled', 'python3.9'), python)
      const ctx = context(box.dataDir, task)
      const command = await runner().prepare(task, ctx)
      expect(ctx.lines[0]).toMatch(
        /^\[runner-poetry\] rebuilding python environment venv\/requirements-path .*: its bin\/python no longer runs \(was .+ removed\?\)$/,
      )
      expect((await runCommand(command, task, ctx)).stdout[0]).toBe(
        'hello from greeting 0.1.0, pip',
      )
    },
    BUILD_TIMEOUT,
  )

  const other = otherInterpreter()
  it.skipIf(noVenv || other === null)(
    `a different interpreter rebuilds the environment, and says which${other === null ? ' (skipped: one python3 only on this host)' : ''}`,
    async () => {
      const task = box.task('requirements-path')
      await runner({ python: 'python3' }).prepare(task, context(box.dataDir, task))
      const ctx = context(box.dataDir, task)
      await runner({ python: other as string }).prepare(task, ctx)
      expect(ctx.lines[0]).toMatch(
        /rebuilding .*: python changed from [\d.]+ \(.+\) to [\d.]+ \(.+\)$/,
      )
    },
    BUILD_TIMEOUT,
  )

  it.skipIf(noVenv)(
    `a cancelled build leaves no marker; the next run builds again${skipVenv}`,
    async () => {
      const task = box.task('requirements-path')
      const ctx = context(box.dataDir, task)
      const cancelled = runner().prepare(task, {
        ...ctx,
        log: (line) => {
          ctx.lines.push(line)
          if (line.startsWith('[runner-poetry] $ '))
            ctx.controller.abort(new Error('run cancelled'))
        },
      })
      await expect(cancelled).rejects.toThrow()
      await expect(stat(join(box.venv('requirements-path'), '.tasse-env.json'))).rejects.toThrow()

      const next = context(box.dataDir, task)
      const command = await runner().prepare(task, next)
      expect(steps(next.lines)).toHaveLength(2)
      expect((await runCommand(command, task, next)).stdout[0]).toBe(
        'hello from greeting 0.1.0, pip',
      )
    },
    BUILD_TIMEOUT,
  )
})
