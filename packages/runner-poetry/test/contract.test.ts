/**
 * The runner contract of `@tasse/core/testing`, run on the Python runner's plain layout (no
 * pyproject.toml, no requirements.txt: the configured interpreter runs the task). The Poetry and
 * venv + pip layouts build real environments and are tested in their own files.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TaskDefinition } from '@tasse/core'
import { testRunner } from '@tasse/core/testing'
import { poetryRunner } from '@tasse/runner-poetry'
import { describe, it } from 'vitest'
import { runs } from './helpers.js'

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
