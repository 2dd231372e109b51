/**
 * Shared by the integration tests: a fresh copy of the fixtures per test, tasks loaded by core's
 * own loader, a PrepareContext that records its log lines, and the returned Command run for real.
 */
import { spawn, spawnSync } from 'node:child_process'
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Command, loadTask, type PrepareContext, type TaskDefinition } from '@tasse/core'
import { taskBaseEnv } from '@tasse/core/plugin-kit'

export const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url))

/** Whether `command args…` runs and exits with 0. */
export function runs(command: string, ...args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0
}

export const hasPoetry = runs('poetry', '--version')
export const hasVenv = runs('python3', '-c', 'import ensurepip, venv')

/**
 * Settings for the installs in tests: no package index, no pip configuration file. This host may
 * have a local mirror configured in /etc/pip.conf; CI and locked-down hosts have nothing, and the
 * fixtures must build there too, so the tests never let pip see one.
 */
export const OFFLINE = { PIP_NO_INDEX: '1', PIP_CONFIG_FILE: '/dev/null' } as const

export interface Sandbox {
  /** The data directory: `tasks/` (copied fixtures), `greeting-lib/`, and `venv/` once built. */
  dataDir: string
  task(name: string): TaskDefinition
  venv(name: string): string
  remove(): Promise<void>
}

/** A fresh copy of test/fixtures in a temporary directory (never data/). */
export async function sandbox(): Promise<Sandbox> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tasse-runner-poetry-'))
  await cp(FIXTURES, dataDir, { recursive: true })
  return {
    dataDir,
    task: (name) =>
      loadTask(join(dataDir, 'tasks', name), { factories: new Map(), defaultTimezone: 'UTC' }),
    venv: (name) => join(dataDir, 'venv', name),
    remove: () => rm(dataDir, { recursive: true, force: true }),
  }
}

export interface RecordingContext extends PrepareContext {
  lines: string[]
  controller: AbortController
}

/** A context as core's executor builds it (the host's environment, cleaned, plus the task's). */
export function context(
  dataDir: string,
  task: TaskDefinition,
  extraHostEnv: Record<string, string> = {},
): RecordingContext {
  const lines: string[] = []
  const controller = new AbortController()
  return {
    dataDir,
    env: { ...taskBaseEnv(process.env), ...extraHostEnv, ...task.env, TASSE_TASK: task.name },
    log: (line) => lines.push(line),
    signal: controller.signal,
    lines,
    controller,
  }
}

/** The lines of the log that announce an install step (`[runner-poetry] $ …`). */
export function steps(lines: readonly string[]): string[] {
  return lines.filter((line) => line.startsWith('[runner-poetry] $ '))
}

export interface Finished {
  code: number | null
  stdout: string[]
  stderr: string
}

/** Spawns `command` as core does: in the task's folder, with the run's env plus `command.env`. */
export function runCommand(
  command: Command,
  task: TaskDefinition,
  ctx: PrepareContext,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.command, command.args, {
      cwd: task.dir,
      env: { ...ctx.env, ...command.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    child.once('error', reject)
    child.once('close', (code) =>
      resolve({ code, stdout: stdout.split('\n').filter(Boolean), stderr }),
    )
  })
}

/** `platform.python_version()` of `python` (the first python3 on PATH by default). */
export function pythonVersion(python = 'python3'): string | undefined {
  return spawnSync(python, ['-c', 'import platform; print(platform.python_version())'], {
    encoding: 'utf8',
  }).stdout?.trim()
}

/** Another python3 than the one first on PATH, with another version, if this host has one. */
export function otherInterpreter(): string | null {
  const current = pythonVersion()
  for (const candidate of ['/usr/bin/python3', '/usr/local/bin/python3'])
    if (runs(candidate, '-c', 'import ensurepip, venv') && pythonVersion(candidate) !== current)
      return candidate
  return null
}

export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort()
}
