/**
 * Core's plain runners (priority 0): `.py` files with the configured python3, `.sh` files with
 * bash, and any other executable file as it is. A plugin runner with a higher priority (such as
 * @tasse/runner-poetry for Python tasks with an environment) takes precedence: `pickRunner`.
 */
import { accessSync, constants } from 'node:fs'
import { extname, join } from 'node:path'
import { TasseError } from './errors.js'
import type { Runner, TaskDefinition } from './types.js'

export interface PlainRunnerOptions {
  /** The interpreter for `.py` files. @default process.env.TASSE_PYTHON ?? 'python3' */
  python?: string
  /** The shell for `.sh` files. @default 'bash' */
  shell?: string
}

/**
 * @example
 * import { createTasse, plainRunners } from '@tasse/core'
 * const tasse = createTasse({
 *   dataDir: 'data',
 *   plugins: [{ name: 'python3.12', register: (context) => {
 *     for (const runner of plainRunners({ python: 'python3.12' })) context.addRunner(runner)
 *   } }],
 * })
 */
export function plainRunners(options: PlainRunnerOptions = {}): Runner[] {
  const python = options.python ?? process.env.TASSE_PYTHON ?? 'python3'
  const shell = options.shell ?? 'bash'
  return [
    {
      name: 'python',
      priority: 0,
      claims: (task) => extname(task.entrypoint) === '.py',
      // -u: unbuffered, so the output reaches the logs line by line as the task prints it.
      prepare: async (task) => ({ command: python, args: ['-u', task.entrypoint] }),
    },
    {
      name: 'shell',
      priority: 0,
      claims: (task) => extname(task.entrypoint) === '.sh',
      prepare: async (task) => ({ command: shell, args: [task.entrypoint] }),
    },
    {
      name: 'executable',
      priority: -1,
      claims: (task) => isExecutable(join(task.dir, task.entrypoint)),
      prepare: async (task) => ({ command: join(task.dir, task.entrypoint), args: [] }),
    },
  ]
}

/**
 * The runner that runs `task`: among those that claim it, the one of highest priority (the
 * last added among equals). A `TasseError` (`no_runner`) when none claims it.
 */
export function pickRunner(runners: readonly Runner[], task: TaskDefinition): Runner {
  let chosen: Runner | undefined
  for (const runner of runners)
    if (runner.claims(task) && (!chosen || runner.priority >= chosen.priority)) chosen = runner
  if (!chosen) {
    const names = runners.map((r) => r.name).join(', ') || 'none'
    throw new TasseError(
      'no_runner',
      `task "${task.name}": no runner can run ${task.entrypoint} (runners: ${names}); use a .py or .sh file, or an executable`,
    )
  }
  return chosen
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}
