/**
 * @tasse/runner-poetry: Python tasks in their own environment (Poetry, or venv + pip), built once
 * and reused, or with the plain interpreter.
 */
import type { TassePlugin } from '@tasse/core'
import { type PoetryRunnerOptions, poetryRunner } from './poetry-runner.js'

export { type PoetryRunnerOptions, poetryRunner, RUNNER_TAG } from './poetry-runner.js'

/**
 * Creates the plugin with `options` (for a host that configures the runner). The `plugin`
 * export is this with the defaults, which read `TASSE_PYTHON` and `TASSE_POETRY`.
 *
 * @example
 * const tasse = createTasse({
 *   dataDir: './data',
 *   plugins: [poetryRunnerPlugin({ installEnv: { PIP_INDEX_URL: 'https://pypi.example.org/simple' } })],
 * })
 */
export function poetryRunnerPlugin(options: PoetryRunnerOptions = {}): TassePlugin {
  return {
    name: '@tasse/runner-poetry',
    // Made at each registration: its defaults read TASSE_PYTHON and TASSE_POETRY then.
    register: (context) => context.addRunner(poetryRunner(options)),
  }
}

/** The plugin with default options, as the host loads it. */
export const plugin: TassePlugin = poetryRunnerPlugin()
