/**
 * The contract every `Runner` passes: `testRunner({ name, create, tasks })` registers a Vitest
 * `describe` block that checks what the executor relies on: a name and a priority; `claims`, a
 * pure yes or no; and for each task it claims, a `prepare()` that answers a command of strings,
 * settles promptly once cancelled, and whose command, spawned as core spawns it (in the task's
 * folder, without a shell), runs the task. Task folders are copied to a temporary data folder
 * first, so a runner that writes (environments under `venv/`) never touches the fixtures.
 */
import { spawn } from 'node:child_process'
import { cp, mkdtemp, realpath, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { taskBaseEnv } from '../task-env.js'
import { loadTask } from '../task-loader.js'
import type { Command, PrepareContext, Runner, TaskDefinition } from '../types.js'
import { contractIt, type SkippedTests } from './skip.js'

/** The tests of `testRunner`, by title (for `skip`). */
export const RUNNER_CONTRACT_TESTS = [
  'has a name and a numeric priority',
  'claims each fixture task as expected, with a boolean',
  'claims purely: the same answer every time, and the task left as it was',
  'prepares a command of strings for each task it claims',
  'settles promptly when the signal is already aborted',
  "runs each task it claims in the task's folder",
] as const
export type RunnerContractTest = (typeof RUNNER_CONTRACT_TESTS)[number]

/** A task folder the suite runs the runner on. */
export interface RunnerFixture {
  /** A task folder with its task.yaml (without `scheduler`), as a user writes one. */
  dir: string
  /** Whether the runner claims it. */
  claims: boolean
  /**
   * What the task prints on stdout (trimmed), for a task it claims: a string is compared whole.
   * A function gets the task as loaded from its temporary copy (`task.dir` is that copy). Print
   * something read from a file beside the entrypoint (or the working directory) to show that
   * the command runs in the task's folder.
   */
  stdout?: string | RegExp | ((task: TaskDefinition) => string | RegExp)
}

export interface TestRunnerOptions {
  /** Shown in the suite's title, e.g. `plain python`. */
  name: string
  /** A new runner; called once per test. */
  create: () => Runner
  /** Task folders, some claimed and some not; at least one claimed, with `stdout`. */
  tasks: readonly RunnerFixture[]
  /** Added to the environment of `prepare` and of the run (e.g. `PIP_NO_INDEX`). */
  env?: Readonly<Record<string, string>>
  /** Milliseconds a prepare and a run may take each. @default 60_000 */
  timeoutMs?: number
  /** Tests this runner does not pass by design, with the reason. */
  skip?: readonly SkippedTests<RunnerContractTest>[]
}

/**
 * Registers the runner contract suite in the calling test file.
 *
 * @example
 * // packages/runner-foo/test/contract.test.ts
 * import type { Runner } from '@tasse/core'
 * import { testRunner } from '@tasse/core/testing'
 * declare function fooRunner(): Runner // the package's runner
 * testRunner({
 *   name: 'foo',
 *   create: () => fooRunner(),
 *   tasks: [
 *     { dir: 'test/fixtures/hello-foo', claims: true, stdout: 'hello from foo' },
 *     { dir: 'test/fixtures/shell', claims: false },
 *   ],
 * })
 */
export function testRunner(options: TestRunnerOptions): void {
  describe(`Runner contract: ${options.name}`, () => {
    const check = contractIt('Runner contract', RUNNER_CONTRACT_TESTS, options.skip)
    const timeoutMs = options.timeoutMs ?? 60_000
    let dataDir = ''
    let tasks: { fixture: RunnerFixture; task: TaskDefinition }[] = []

    beforeAll(async () => {
      dataDir = await realpath(await mkdtemp(join(tmpdir(), 'tasse-runner-contract-')))
      tasks = []
      for (const fixture of options.tasks) {
        const dir = join(dataDir, 'tasks', basename(fixture.dir))
        await cp(fixture.dir, dir, { recursive: true })
        tasks.push({
          fixture,
          task: loadTask(dir, { factories: new Map(), defaultTimezone: 'UTC' }),
        })
      }
    })

    afterAll(async () => {
      if (dataDir) await rm(dataDir, { recursive: true, force: true })
    })

    const claimed = () => tasks.filter(({ fixture }) => fixture.claims)

    const contextFor = (task: TaskDefinition, signal: AbortSignal, lines: string[] = []) =>
      ({
        dataDir,
        env: { ...taskBaseEnv(process.env), ...options.env, ...task.env, TASSE_TASK: task.name },
        log: (line: unknown) => {
          if (typeof line !== 'string')
            expect.fail(`context.log was given ${typeof line} ${String(line)}, not a string`)
          lines.push(line)
        },
        signal,
      }) satisfies PrepareContext

    check('has a name and a numeric priority', () => {
      const runner = options.create()
      expect(typeof runner.name, 'name').toBe('string')
      expect(runner.name.trim().length, 'name is not blank').toBeGreaterThan(0)
      expect(typeof runner.priority, 'priority').toBe('number')
      expect(Number.isFinite(runner.priority), `priority ${runner.priority} is finite`).toBe(true)
    })

    check('claims each fixture task as expected, with a boolean', () => {
      expect(claimed().length, 'at least one fixture task is claimed').toBeGreaterThan(0)
      const runner = options.create()
      for (const { fixture, task } of tasks) {
        const answer: unknown = runner.claims(task)
        // A promise would be truthy: the executor reads the answer synchronously.
        expect(typeof answer, `claims(${task.name}) answers a boolean`).toBe('boolean')
        expect(answer, `claims(${task.name})`).toBe(fixture.claims)
      }
    })

    check('claims purely: the same answer every time, and the task left as it was', () => {
      const runner = options.create()
      for (const { fixture, task } of tasks) {
        const before = snapshot(task)
        const frozen = deepFreeze(structuredClone(withoutTrigger(task)))
        for (let i = 0; i < 3; i++) {
          expect(runner.claims(task), `claims(${task.name}), time ${i + 1}`).toBe(fixture.claims)
          // A runner that writes to the task throws here (ES modules are strict).
          expect(runner.claims(frozen), `claims(${task.name}) of a frozen copy`).toBe(
            fixture.claims,
          )
        }
        expect(options.create().claims(task), `claims(${task.name}) by a second runner`).toBe(
          fixture.claims,
        )
        expect(snapshot(task), `${task.name} after claims()`).toStrictEqual(before)
      }
    })

    check(
      'prepares a command of strings for each task it claims',
      async () => {
        const runner = options.create()
        for (const { task } of claimed()) {
          const before = snapshot(task)
          const lines: string[] = []
          const command = await withTimeout(
            runner.prepare(task, contextFor(task, new AbortController().signal, lines)),
            timeoutMs,
            `prepare(${task.name})`,
          )
          expectCommand(command, task.name)
          expect(snapshot(task), `${task.name} after prepare()`).toStrictEqual(before)
        }
      },
      timeoutMs * 2,
    )

    check(
      'settles promptly when the signal is already aborted',
      async () => {
        const runner = options.create()
        for (const { task } of claimed()) {
          const started = Date.now()
          const outcome = await withTimeout(
            runner.prepare(task, contextFor(task, AbortSignal.abort())).then(
              (command) => ({ command }),
              (error: unknown) => ({ error }),
            ),
            5_000,
            `prepare(${task.name}) with an aborted signal`,
          )
          // Either refused, or the command, in good order: nothing is built for a cancelled run.
          if ('command' in outcome) expectCommand(outcome.command, task.name)
          else expect(outcome.error, `prepare(${task.name}) rejects with`).toBeInstanceOf(Error)
          expect(Date.now() - started, `prepare(${task.name}) settled after`).toBeLessThan(5_000)
        }
      },
      15_000,
    )

    check(
      "runs each task it claims in the task's folder",
      async () => {
        const runner = options.create()
        for (const { fixture, task } of claimed()) {
          const context = contextFor(task, new AbortController().signal)
          const command = await withTimeout(
            runner.prepare(task, context),
            timeoutMs,
            `prepare(${task.name})`,
          )
          const result = await run(command, task, context.env, timeoutMs)
          const label = `${task.name}: ${command.command} ${command.args.join(' ')}`
          expect(result.code, `${label} exit code; stderr:\n${result.stderr}`).toBe(0)
          const expected =
            typeof fixture.stdout === 'function' ? fixture.stdout(task) : fixture.stdout
          if (expected === undefined) continue
          if (typeof expected === 'string') expect(result.stdout.trim(), label).toBe(expected)
          else expect(result.stdout.trim(), label).toMatch(expected)
        }
      },
      timeoutMs * 3,
    )
  })
}

// ---------------------------------------------------------------------------------------------

function expectCommand(command: Command, task: string): void {
  expect(typeof command?.command, `${task}: command`).toBe('string')
  expect(command.command.length, `${task}: command is not empty`).toBeGreaterThan(0)
  expect(Array.isArray(command.args), `${task}: args is an array`).toBe(true)
  for (const arg of command.args) expect(typeof arg, `${task}: arg ${String(arg)}`).toBe('string')
  if (command.env !== undefined)
    for (const [key, value] of Object.entries(command.env))
      expect(typeof value, `${task}: env.${key}`).toBe('string')
}

/** Spawns `command` as the executor does: in the task's folder, without a shell. */
function run(
  command: Command,
  task: TaskDefinition,
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.command, [...command.args], {
      cwd: task.dir,
      env: { ...env, ...command.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.once('error', (cause) =>
      reject(new Error(`could not start ${command.command}: ${cause.message}`, { cause })),
    )
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** The task without its trigger (functions cannot be cloned; the fixtures have none anyway). */
function withoutTrigger(task: TaskDefinition): TaskDefinition {
  return { ...task, trigger: null }
}

function snapshot(task: TaskDefinition): unknown {
  return { ...structuredClone(withoutTrigger(task)), trigger: task.trigger }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
