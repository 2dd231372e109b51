/**
 * The runner contract of `@tasse/core/testing`, run on core's plain runners (python, shell,
 * executable) with one fixture task per kind, plus one that none of them claims. Each fixture
 * prints a file beside its entrypoint and its working directory, so a command that does not
 * run in the task's folder fails.
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { plainRunners, type TaskDefinition } from '@tasse/core'
import { type RunnerFixture, testRunner } from '@tasse/core/testing'
import { describe, it } from 'vitest'
import { FIXTURES } from './helpers.js'

const dir = (name: string) => join(FIXTURES, 'runners', name)
const prints = (message: string) => (task: TaskDefinition) => `${message}\n${task.dir}`

const fixtures = {
  python: { dir: dir('python'), stdout: prints('python: read beside the entrypoint') },
  shell: { dir: dir('shell'), stdout: prints('shell: read beside the entrypoint') },
  executable: { dir: dir('executable'), stdout: prints('executable: read beside the entrypoint') },
  text: { dir: dir('text') },
}
type Kind = keyof typeof fixtures

/** Every fixture, claimed only by the runner of its own kind. */
const tasksFor = (kind: Kind): RunnerFixture[] =>
  (Object.keys(fixtures) as Kind[]).map((name) => ({ ...fixtures[name], claims: name === kind }))

const runner = (name: string) => () => {
  const found = plainRunners().find((r) => r.name === name)
  if (!found) throw new Error(`core has no plain runner named ${name}`)
  return found
}

const python = process.env.TASSE_PYTHON ?? 'python3'
const hasPython = spawnSync(python, ['--version'], { stdio: 'ignore' }).status === 0

if (hasPython) testRunner({ name: 'python', create: runner('python'), tasks: tasksFor('python') })
else
  describe('Runner contract: python', () => {
    it.skip(`needs ${python}, which is not installed`, () => {})
  })
testRunner({ name: 'shell', create: runner('shell'), tasks: tasksFor('shell') })
testRunner({ name: 'executable', create: runner('executable'), tasks: tasksFor('executable') })
