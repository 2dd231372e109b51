/**
 * The runner contract of `@tasse/core/testing`, run on each of the Python runner's layouts: the
 * plain one (no pyproject.toml, no requirements.txt: the configured interpreter runs the task),
 * and the venv + pip and Poetry ones with nothing to install (a real environment is built, and
 * the task must run in it). Their dependencies are tested in their own files.
 */
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TaskDefinition } from '@tasse/core'
import { testRunner } from '@tasse/core/testing'
import { poetryRunner } from '@tasse/runner-poetry'
import { describe, it } from 'vitest'
import { hasPoetry, hasVenv, OFFLINE, runs } from './helpers.js'

const FIXTURES = fileURLToPath(new URL('./fixtures/contract', import.meta.url))
const python = process.env.TASSE_PYTHON ?? 'python3'

if (runs(python, '--version'))
  testRunner({
    name: 'runner-poetry (plain python)',
    create: () => poetryRunner(),
    tasks: [
      {
        dir: join(FIXTURES, 'plain-python'),
        claims: true,
        stdout: (task: TaskDefinition) => `plain python: read beside the entrypoint\n${task.dir}`,
      },
      { dir: join(FIXTURES, 'shell'), claims: false },
    ],
  })
else
  describe('Runner contract: runner-poetry (plain python)', () => {
    it.skip(`needs ${python}, which is not installed`, () => {})
  })

/** What the fixture prints: its message, then `sys.prefix`, the environment it runs in. */
const inItsVenv = (message: string) => (task: TaskDefinition) =>
  `${message}\n${join(dirname(dirname(task.dir)), 'venv', task.name)}`

const layouts = [
  {
    layout: 'requirements.txt',
    dir: 'requirements-python',
    needs: hasVenv,
    missing: 'python3 -m venv',
  },
  {
    layout: 'Poetry',
    dir: 'poetry-python',
    needs: hasVenv && hasPoetry,
    missing: 'poetry and python3 -m venv',
  },
]
for (const { layout, dir, needs, missing } of layouts) {
  if (needs)
    testRunner({
      name: `runner-poetry (${layout}, nothing to install)`,
      create: () => poetryRunner({ installEnv: OFFLINE }),
      tasks: [
        {
          dir: join(FIXTURES, dir),
          claims: true,
          stdout: inItsVenv(`${dir.split('-')[0]} python: read beside the entrypoint`),
        },
        { dir: join(FIXTURES, 'shell'), claims: false },
      ],
      timeoutMs: 180_000,
    })
  else
    describe(`Runner contract: runner-poetry (${layout}, nothing to install)`, () => {
      it.skip(`needs ${missing}, which is not installed`, () => {})
    })
}
