/**
 * Which environment variables reach the install commands and the task. The host may itself run
 * inside a virtualenv, a Conda env or a Poetry shell, and may carry pip and Poetry settings of
 * its own: none of that may decide where a task's packages go or which ones it imports.
 */
import { delimiter, join } from 'node:path'

/**
 * Variables that point Python, pip or Poetry at another environment than the task's own, or
 * configure them for the host's own use. They are dropped from what the host passes on, unless
 * the task sets them itself in its task.yaml `env:` (then they are the task's wish).
 */
export const FOREIGN_PYTHON_ENV =
  /^(VIRTUAL_ENV|VIRTUAL_ENV_PROMPT|POETRY_ACTIVE|PIPENV_ACTIVE|PYENV_VIRTUAL_ENV|PYTHONHOME|PYTHONPATH|PYTHONUSERBASE|PYTHONEXECUTABLE|__PYVENV_LAUNCHER__|CONDA_.*|_CE_.*|PIP_.*|POETRY_.*)$/

/**
 * Of those, the ones that a task can be shielded from by setting them to an empty string,
 * because every reader treats empty as unset: CPython ignores an empty `PYTHONPATH`,
 * `PYTHONHOME` and `PYTHONUSERBASE`; Poetry and Pipenv read `*_ACTIVE` as a flag.
 *
 * NOTE: `Command.env` can only add variables. The rest of `FOREIGN_PYTHON_ENV` (`CONDA_PREFIX`,
 * `PIP_*`, …) would change meaning if blanked, so removing them from the task's environment is
 * left to core (see this package's README, "What core does for this runner").
 */
const BLANK_IS_UNSET = /^(PYTHONPATH|PYTHONHOME|PYTHONUSERBASE|POETRY_ACTIVE|PIPENV_ACTIVE)$/

/** The part of the environment a task (or its install) may keep: `env` minus foreign variables. */
export function withoutForeignEnv(
  env: Readonly<Record<string, string>>,
  taskEnv: Readonly<Record<string, string>>,
): Record<string, string> {
  const clean: Record<string, string> = {}
  for (const [key, value] of Object.entries(env))
    if (!FOREIGN_PYTHON_ENV.test(key) || Object.hasOwn(taskEnv, key)) clean[key] = value
  return clean
}

/**
 * The operator's install settings from the host's environment: each `TASSE_INSTALL_<NAME>` gives
 * `<NAME>` to the install commands. Core keeps every `TASSE_*` variable from tasks, so an index
 * password set this way reaches pip and Poetry and nothing else.
 */
export function installEnvFromHost(env: NodeJS.ProcessEnv): Record<string, string> {
  const settings: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) {
    const name = /^TASSE_INSTALL_(.+)$/.exec(key)?.[1]
    if (name && value !== undefined) settings[name] = value
  }
  return settings
}

export interface InstallEnvOptions {
  /** The environment the task will get (`PrepareContext.env`). */
  env: Readonly<Record<string, string>>
  /** The task's own `env:` (kept even where foreign). */
  taskEnv: Readonly<Record<string, string>>
  /** The environment being built. */
  venvPath: string
  /** The operator's settings for installs only (`PoetryRunnerOptions.installEnv`). */
  extra: Readonly<Record<string, string>>
}

/** The environment of `python -m venv`, `pip install` and `poetry install` for one task. */
export function installEnv(options: InstallEnvOptions): Record<string, string> {
  const { env, taskEnv, venvPath, extra } = options
  const clean = withoutForeignEnv(env, taskEnv)
  return {
    // Poetry 1.x asks the system keyring for index credentials even when none are configured;
    // on a headless host that can block until a D-Bus timeout (python-poetry/poetry#1917).
    PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    ...clean,
    ...extra,
    // Poetry installs into the active virtualenv named by VIRTUAL_ENV, exactly where we created
    // it; no Poetry-named `<project>-<hash>-py3.x` folder. Its own virtualenvs path points into
    // the env so that no stray `envs.toml` (left by `poetry env use`) can redirect it, and so
    // that anything Poetry might create there anyway is removed with the environment.
    VIRTUAL_ENV: venvPath,
    POETRY_VIRTUALENVS_PATH: join(venvPath, '.poetry-virtualenvs'),
    POETRY_VIRTUALENVS_IN_PROJECT: 'false',
    PATH: prependPath(join(venvPath, 'bin'), clean.PATH),
  }
}

/**
 * What `Command.env` adds to the task's environment: the environment activated as `activate`
 * does it (`VIRTUAL_ENV`, `PATH`), unbuffered output so that lines reach the log as they are
 * printed, and blanks over the host's foreign variables where a blank means unset.
 */
export function taskEnvOverrides(
  env: Readonly<Record<string, string>>,
  taskEnv: Readonly<Record<string, string>>,
  venvPath: string | null,
  unbuffered: boolean,
): Record<string, string> {
  const overrides: Record<string, string> = {}
  for (const key of Object.keys(env))
    if (BLANK_IS_UNSET.test(key) && !Object.hasOwn(taskEnv, key)) overrides[key] = ''
  if (unbuffered && !Object.hasOwn(taskEnv, 'PYTHONUNBUFFERED')) overrides.PYTHONUNBUFFERED = '1'
  if (venvPath !== null) {
    overrides.VIRTUAL_ENV = venvPath
    overrides.PATH = prependPath(join(venvPath, 'bin'), env.PATH)
  }
  return overrides
}

function prependPath(dir: string, path: string | undefined): string {
  return path ? `${dir}${delimiter}${path}` : dir
}
