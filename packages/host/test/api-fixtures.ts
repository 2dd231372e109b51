/**
 * Fixtures for the HTTP and CLI tests: a temporary data folder of tiny shell-script tasks, and
 * a Tasse instance with the host's app on it, in-process.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Tasse, TasseLogger } from '@tasse/core'
import { type AppOptions, createApp, createHostTasse, readConfig } from '@tasse/host'
import type { Hono } from 'hono'

/** name → file name → content. */
export type TaskFiles = Record<string, Record<string, string>>

/** One behaviour per task, as core's executor fixtures. */
export const TASKS: TaskFiles = {
  hello: {
    'task.yaml': ['params:', "  - {name: who, default: world, pattern: '^[a-z]+$'}", ''].join('\n'),
    'task.sh': 'echo "Hello $TASSE_PARAM_WHO"\n',
  },
  hourly: {
    'task.yaml': 'scheduler:\n  trigger: interval\n  hours: 1\n',
    'task.sh': 'echo tick\n',
  },
  // Writes a line, then holds its slot until the marker file appears (or 20 s pass), then
  // writes another: a run that is running for exactly as long as a test needs.
  gate: {
    'task.yaml': 'overlap: skip\n',
    'task.sh': [
      'echo "waiting for $TASSE_RUN_ID"',
      'i=0',
      'while [ ! -e "../../open-gate" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done',
      'echo "gate opened"',
      '',
    ].join('\n'),
  },
  fail: { 'task.yaml': '', 'task.sh': 'echo "about to fail" >&2\nexit 3\n' },
  envdump: { 'task.yaml': '', 'task.sh': 'env\n' },
  broken: { 'task.yaml': 'overlap: sometimes\n', 'task.sh': 'echo never\n' },
}

/** A temporary data folder holding `tasks`. */
export function dataWith(tasks: TaskFiles = TASKS): string {
  const dir = mkdtempSync(join(tmpdir(), 'tasse-api-'))
  for (const [name, files] of Object.entries(tasks)) {
    mkdirSync(join(dir, 'tasks', name), { recursive: true })
    for (const [file, content] of Object.entries(files))
      writeFileSync(join(dir, 'tasks', name, file), content)
  }
  return dir
}

/** Lets the `gate` task's runs finish. */
export function openGate(dataDir: string): void {
  writeFileSync(join(dataDir, 'open-gate'), '')
}

/** A logger that keeps every line, to assert on (and to keep test output quiet). */
export function memoryLogger(): TasseLogger & { lines: string[] } {
  const lines: string[] = []
  const keep = (level: string) => (message: string, cause?: unknown) =>
    lines.push(`${level} ${message}${cause instanceof Error ? ` ${cause.message}` : ''}`)
  return { lines, info: keep('info'), warn: keep('warn'), error: keep('error') }
}

export interface InProcessHost {
  tasse: Tasse
  app: Hono
  data: string
  logger: ReturnType<typeof memoryLogger>
  close(): Promise<void>
}

/** A started Tasse on a fresh data folder with the host's app over it (no port). */
export async function inProcessHost(
  options: Omit<AppOptions, 'tasse'> & { tasks?: TaskFiles } = {},
): Promise<InProcessHost> {
  const data = dataWith(options.tasks)
  const logger = memoryLogger()
  const tasse = createHostTasse(readConfig({ data }, {}), { logger })
  await tasse.start()
  const app = createApp({ ...options, tasse })
  return {
    tasse,
    app,
    data,
    logger,
    async close() {
      openGate(data)
      await tasse.stop(5000)
      rmSync(data, { recursive: true, force: true })
    },
  }
}

/** Polls `check` until it returns something truthy (or fails after `ms`). */
export async function until<T>(check: () => T | Promise<T>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
