/**
 * The Python runner: a task with a `.py` entrypoint runs in its own environment under
 * `<dataDir>/venv/<name>/` (Poetry or venv + pip), built once and rebuilt when its inputs
 * change, or with the configured interpreter when it declares no dependencies.
 */
import { mkdir, rm, stat } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative } from 'node:path'
import {
  type Command,
  isValidTaskName,
  type PrepareContext,
  type Runner,
  type TaskDefinition,
  TasseError,
  userEnv,
} from '@tasse/core'
import {
  type EnvironmentInputs,
  type EnvironmentMarker,
  fingerprint,
  MARKER_FORMAT,
  readMarker,
  staleReasons,
  writeMarker,
} from './environment-marker.js'
import {
  formatSeconds,
  type InstallCommand,
  InstallStepError,
  runInstallCommand,
} from './install-command.js'
import {
  findExecutable,
  type InterpreterInfo,
  InterpreterNotFoundError,
  interpreterInfo,
} from './interpreter.js'
import { giveToOwner, makeOwnedVenv, removeOwnedVenv, secureVenvRoot } from './owned-venv.js'
import { poetryProblem } from './poetry-check.js'
import {
  detectLayout,
  hashFiles,
  inputFiles,
  LAYOUT_NAMES,
  type ProjectLayout,
  UV_LOCK,
} from './project-layout.js'
import {
  installEnv,
  installEnvFromHost,
  taskEnvOverrides,
  withoutForeignEnv,
} from './python-env.js'
import { shareBuild } from './shared-builds.js'

/** The tag of every message and log line of this runner. */
export const RUNNER_TAG = 'runner-poetry'

export interface PoetryRunnerOptions {
  /**
   * The interpreter that runs plain tasks and that new environments are created from: a name
   * looked up on the task's PATH, or a path. A task folder's `.python-version` applies when
   * this is a pyenv shim.
   * @default process.env.TASSE_PYTHON ?? 'python3'
   */
  python?: string
  /**
   * The Poetry executable, for tasks with a pyproject.toml. Needed only to build; a built
   * environment runs without it.
   * @default process.env.TASSE_POETRY ?? 'poetry'
   */
  poetry?: string
  /**
   * The uv executable: with it, a task whose pyproject.toml has a `uv.lock` beside it is built
   * with `uv sync --frozen`; without it, such a task is built as any other pyproject.toml.
   * @default process.env.TASSE_UV ?? 'uv'
   */
  uv?: string
  /**
   * The folder that holds one environment per task (`<venvDir>/<task name>`). An absolute path.
   * @default `<dataDir>/venv`, the original service's layout
   */
  venvDir?: string
  /**
   * Variables for the install commands only (`pip`, `poetry`), never for the task: a package
   * index mirror (`PIP_INDEX_URL`), its credentials (`POETRY_HTTP_BASIC_<SOURCE>_PASSWORD`),
   * `PIP_NO_INDEX=1` for hosts with no index at all. The host's own `PIP_*` and `POETRY_*`
   * never reach the installs; these are how the operator chooses them deliberately. Added to
   * the host's `TASSE_INSTALL_<NAME>` variables, which give `<NAME>` (so a container sets
   * `TASSE_INSTALL_PIP_INDEX_URL` where it used to set `PIP_INDEX_URL`).
   * @default {}
   */
  installEnv?: Readonly<Record<string, string>>
  /**
   * Milliseconds an install step may take before it is ended as hung (the run fails; the next
   * run tries again). Generous, since a first `poetry install` of a scientific stack takes
   * minutes.
   * @default 1_800_000 (30 minutes)
   */
  installTimeoutMs?: number
  /**
   * Run tasks with `PYTHONUNBUFFERED=1`, so each line reaches the log when printed rather than
   * when a 8 KiB buffer fills or the task ends. A task's own `env:` may still set it to 0.
   * @default true
   */
  unbuffered?: boolean
  /**
   * Among runners that claim a task, the highest priority runs it. Core's plain runners have 0.
   * @default 10
   */
  priority?: number
}

/**
 * Creates the Python runner. It claims every task whose entrypoint ends in `.py`, and runs it:
 * - with a `pyproject.toml`: in a Poetry environment at `<dataDir>/venv/<name>/`
 *   (`poetry install`, honouring `poetry.lock`, `--no-root` unless the project has a package);
 * - with a `requirements.txt`: in a venv at the same place (`pip install -r requirements.txt`);
 * - otherwise: with the configured interpreter.
 *
 * An environment is built on the first run, reused while its inputs (those files and the
 * interpreter's version) are unchanged, and rebuilt before the first run after they change. Runs
 * start the environment's own `bin/python`, never `poetry run`.
 *
 * @example
 * import { createTasse, type TassePlugin } from '@tasse/core'
 * import { poetryRunner } from '@tasse/runner-poetry'
 *
 * const python312: TassePlugin = {
 *   name: 'python-3.12',
 *   register: (context) => context.addRunner(poetryRunner({ python: 'python3.12' })),
 * }
 * const tasse = createTasse({ dataDir: './data', plugins: [python312] })
 */
export function poetryRunner(options: PoetryRunnerOptions = {}): Runner {
  const settings = settle(options)

  return {
    name: RUNNER_TAG,
    priority: settings.priority,
    claims: function claims(task: TaskDefinition): boolean {
      return task.entrypoint.endsWith('.py')
    },
    // What `prepare` would fail on, found without building: Poetry missing, or a pyproject.toml
    // that the installed Poetry cannot read (`poetry check`).
    check: async function check(task, context): Promise<string[]> {
      const uv = await findUv(settings, task.dir, context.env.PATH)
      const layout = await detectLayout(task.dir, { uv: uv !== null })
      if (layout.kind !== 'poetry') return []
      const poetry = await findExecutable(settings.poetry, context.env.PATH, task.dir)
      if (poetry === null) return [poetryMissing(settings)]
      // Reads the file, builds nothing: no virtualenv may be created for the check.
      const env = {
        PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring',
        ...withoutForeignEnv(context.env, task.env),
        POETRY_VIRTUALENVS_CREATE: 'false',
      }
      const problem = await poetryProblem({
        poetry,
        dir: task.dir,
        env,
        timeoutMs: CHECK_TIMEOUT_MS,
      })
      return problem === null ? [] : [`task "${task.name}": ${problem}`]
    },
    prepare: async function poetryRunner(task, context): Promise<Command> {
      // Core checks names when it loads a task; checked again because the name becomes a path.
      if (!isValidTaskName(task.name))
        throw new Error(fail(task, 'is not a valid task name ([A-Za-z0-9][A-Za-z0-9._-]*)'))
      const uv = await findUv(settings, task.dir, context.env.PATH)
      const layout = await detectLayout(task.dir, { uv: uv !== null })
      if (uv === null && (await exists(join(task.dir, UV_LOCK))))
        context.log(
          line(`${UV_LOCK} found but "${settings.uv}" is not on PATH: building as without it`),
        )
      const args = [task.entrypoint]
      if (layout.kind === 'interpreter') {
        if (layout.note) context.log(line(`${layout.note}; running with ${settings.python}`))
        const python = await findExecutable(settings.python, context.env.PATH, task.dir)
        if (python === null)
          throw new Error(
            fail(
              task,
              interpreterMissing(new InterpreterNotFoundError(settings.python, context.env.PATH)),
            ),
          )
        return {
          command: python,
          args,
          env: taskEnvOverrides(context.env, task.env, null, settings.unbuffered),
        }
      }

      const venvRoot = settings.venvDir ?? join(context.dataDir, 'venv')
      const venvPath = join(venvRoot, task.name)
      const shown = showPath(venvPath, context.dataDir)
      const owner = context.owner ?? null
      const baseEnv = { ...withoutForeignEnv(context.env, task.env), ...ownerEnv(owner) }
      let python: InterpreterInfo
      try {
        python = await interpreterInfo(settings.python, baseEnv, task.dir, owner)
      } catch (cause) {
        throw new Error(fail(task, interpreterMissing(cause)), { cause })
      }
      const files = await inputFiles(task.dir, layout)
      const inputs: EnvironmentInputs = {
        layout: layout.kind,
        installRoot: layout.kind === 'poetry' && layout.installRoot,
        python: {
          executable: python.executable,
          version: python.version,
          implementation: python.implementation,
        },
        files: await hashFiles(task.dir, files),
      }
      const build: Build = { task, layout, venvPath, shown, inputs, python, context, settings, uv }
      const { value: outcome, joined } = await shareBuild({
        key: venvPath,
        fingerprint: fingerprint(inputs),
        signal: context.signal,
        work: (signal, announce) => ensureEnvironment(build, signal, announce),
        onAnnounce: context.log,
      })
      // A run that waited for another's check or build says what it found.
      if (joined)
        context.log(
          outcome.built
            ? line(`python environment ${shown} is ready (built by another run of this task)`)
            : outcome.summary,
        )
      return {
        command: join(venvPath, 'bin', 'python'),
        args,
        env: taskEnvOverrides(context.env, task.env, venvPath, settings.unbuffered),
      }
    },
  }
}

interface Settings {
  python: string
  poetry: string
  uv: string
  venvDir: string | undefined
  installEnv: Readonly<Record<string, string>>
  installTimeoutMs: number
  unbuffered: boolean
  priority: number
}

interface Build {
  task: TaskDefinition
  layout: Exclude<ProjectLayout, { kind: 'interpreter' }>
  venvPath: string
  /** `venvPath` as shown in log lines (relative to the data directory). */
  shown: string
  inputs: EnvironmentInputs
  python: InterpreterInfo
  context: PrepareContext
  settings: Settings
  /** uv, found, for a uv layout. */
  uv: string | null
}

interface Outcome {
  /** Whether the environment was (re)built, or reused. */
  built: boolean
  /** The log line that says so. */
  summary: string
}

/**
 * Reuses the environment when its marker fits the inputs; (re)builds it otherwise. `announce`
 * tells the runs that wait for this build (they share the outcome) that an install started.
 */
async function ensureEnvironment(
  build: Build,
  signal: AbortSignal,
  announce: (message: string) => void,
): Promise<Outcome> {
  const { task, layout, venvPath, shown, inputs, context, settings } = build
  const log = context.log
  const marker = await readMarker(venvPath)
  let reasons: string[]
  if (marker !== null) {
    reasons = staleReasons(marker, inputs)
    if (reasons.length === 0) {
      if (await isFile(join(venvPath, 'bin', 'python'))) {
        const summary = line(
          `python environment ${shown} reused (${describe(marker)}; inputs unchanged since ${marker.builtAt})`,
        )
        log(summary)
        return { built: false, summary }
      }
      // The symlink dangles: its base interpreter was removed (an OS upgrade, a pyenv uninstall).
      reasons = [`its bin/python no longer runs (was ${marker.python.executable} removed?)`]
    }
  } else if (await exists(venvPath)) {
    reasons = ['an earlier build did not finish (no marker file)']
  } else {
    reasons = []
  }

  const headline =
    reasons.length === 0
      ? `building python environment ${shown} (${LAYOUT_NAMES[layout.kind]}, python ${build.python.version})`
      : `rebuilding python environment ${shown} (${LAYOUT_NAMES[layout.kind]}, python ${build.python.version}): ${reasons.join('; ')}`
  log(line(headline))
  announce(line(`waiting for the build of ${shown} that another run of this task started`))

  // With a user, every step runs as them (HOME and USER theirs): the steps read files of the
  // task's folder, which they may write (a pyproject.toml's build script), so as root they
  // would be a way to root.
  const owner = context.owner ?? null
  const env = {
    ...installEnv({ env: context.env, taskEnv: task.env, venvPath, extra: settings.installEnv }),
    ...ownerEnv(owner),
  }
  // Found before anything is removed: without Poetry, the old environment stays on disk.
  const poetry = layout.kind === 'poetry' ? await findPoetry(build, env) : null
  const started = performance.now()
  if (owner) {
    await secureVenvRoot(dirname(venvPath))
    await removeOwnedVenv(venvPath, signal, log)
    await makeOwnedVenv(venvPath, owner)
    // A lock an install wrote as the host, before installs ran as the user: theirs to rewrite.
    if (layout.kind === 'poetry') await giveToOwner(join(task.dir, 'poetry.lock'), owner, log)
  } else {
    await rm(venvPath, { recursive: true, force: true })
    await mkdir(dirname(venvPath), { recursive: true })
  }

  // uv makes the environment itself, with the interpreter it is given.
  const steps: InstallCommand[] =
    layout.kind === 'uv'
      ? []
      : [
          {
            command: build.python.path,
            args: ['-m', 'venv', venvPath],
            cwd: task.dir,
            env,
            display: `${settings.python} -m venv ${shown}`,
          },
        ]
  if (layout.kind === 'uv' && build.uv !== null) {
    // --frozen: exactly what uv.lock says, as poetry.lock is honoured; the environment at
    // data/venv/<name> (UV_PROJECT_ENVIRONMENT), from the configured interpreter, never a
    // Python that uv would download.
    const args = [
      'sync',
      '--frozen',
      '--no-progress',
      '--python',
      build.python.path,
      ...(layout.installRoot ? [] : ['--no-install-project']),
    ]
    steps.push({
      command: build.uv,
      args,
      cwd: task.dir,
      env: { ...env, UV_PROJECT_ENVIRONMENT: venvPath, UV_PYTHON_DOWNLOADS: 'never' },
      display: `${settings.uv} ${args.join(' ')}`,
    })
  } else if (poetry !== null && layout.kind === 'poetry') {
    const args = [
      'install',
      ...(layout.installRoot ? [] : ['--no-root']),
      '--no-interaction',
      '--no-ansi',
    ]
    steps.push({
      command: poetry,
      args,
      cwd: task.dir,
      env,
      display: `${settings.poetry} ${args.join(' ')}`,
    })
  } else {
    // `python -m pip`, not `bin/pip`: a script's `#!` line has a length limit (127 bytes on
    // older kernels) that a deep data directory exceeds; the interpreter has none.
    const args = ['-m', 'pip', 'install', '--no-input', '-r', 'requirements.txt']
    steps.push({
      command: join(venvPath, 'bin', 'python'),
      args,
      cwd: task.dir,
      env,
      display: `${shown}/bin/python ${args.join(' ')}`,
    })
  }
  for (const step of steps) step.user = owner
  for (const step of steps) {
    log(line(`$ ${step.display}`))
    try {
      await runInstallCommand(step, { log, signal, timeoutMs: settings.installTimeoutMs })
    } catch (cause) {
      throw new Error(fail(task, installFailed(cause, step)), { cause })
    }
  }

  const buildMs = Math.round(performance.now() - started)
  // Poetry writes poetry.lock when the project had none (or an outdated one): what was built is
  // what the lock says now, so that file is read again.
  const files =
    layout.kind === 'poetry'
      ? { ...inputs.files, ...(await hashFiles(task.dir, ['poetry.lock'])) }
      : inputs.files
  await writeMarker(venvPath, {
    ...inputs,
    files,
    format: MARKER_FORMAT,
    builtAt: new Date().toISOString(),
    buildMs,
  })
  const summary = line(`python environment ${shown} ready in ${formatSeconds(buildMs)}`)
  log(summary)
  return { built: true, summary }
}

async function findPoetry(build: Build, env: Record<string, string>): Promise<string> {
  const { settings, task } = build
  const found = await findExecutable(settings.poetry, env.PATH, task.dir)
  if (found !== null) return found
  throw new Error(fail(task, poetryMissing(settings)))
}

function poetryMissing(settings: Settings): string {
  const where = settings.poetry.includes('/') ? `at ${settings.poetry}` : 'on PATH'
  return (
    `its pyproject.toml needs Poetry to build the environment, but "${settings.poetry}" was not found ${where}. ` +
    'Install Poetry (Debian/Ubuntu: `apt-get install python3-poetry`; elsewhere: `pipx install poetry`), ' +
    'or set TASSE_POETRY (the runner-poetry `poetry` option) to its path. Tasks without a pyproject.toml are not affected.'
  )
}

/** uv, when the task folder has a uv.lock and uv is found; `null` otherwise (no lookup without a lock). */
async function findUv(settings: Settings, dir: string, path: string | undefined) {
  if (!(await exists(join(dir, UV_LOCK)))) return null
  return findExecutable(settings.uv, path, dir)
}

/** How long `poetry check` may take in `tasse validate`. */
const CHECK_TIMEOUT_MS = 60_000

/**
 * Which command failed and how, and the fix when we know it. Not its output: that was streamed
 * into the run's log line by line, just above where this message lands.
 */
function installFailed(cause: unknown, step: InstallCommand): string {
  if (!(cause instanceof InstallStepError)) return `\`${step.display}\` failed: ${String(cause)}`
  const output = cause.tail.length > 0 ? "; its output is in the run's log, above" : ''
  return `${cause.message}${output}${hintFor(cause)}`
}

/** The fix, where the output shows a cause we know. */
function hintFor(error: InstallStepError): string {
  const text = error.tail.join('\n')
  if (/ensurepip is not available|No module named venv/.test(text))
    return "\n  Python's venv module is missing: install it (Debian/Ubuntu: `apt-get install python3-venv`)."
  if (/Permission denied: .*poetry\.lock/.test(text))
    return "\n  Poetry runs as the task's user (user:, --task-user), who cannot write the task folder's poetry.lock: give them the folder (chown), or commit a poetry.lock that fits the pyproject.toml (an up-to-date lock is only read)."
  if (/\[tool\.poetry\] section not found/.test(text))
    return '\n  The pyproject.toml is not a Poetry project: add a [tool.poetry] table, or use a requirements.txt without a pyproject.toml.'
  if (
    /Could not find a version|No matching distribution|Failed to establish a new connection|Name or service not known/.test(
      text,
    )
  )
    return '\n  A package could not be downloaded: check that the package index is reachable, or point pip at a mirror (TASSE_INSTALL_PIP_INDEX_URL on the host, or the runner-poetry `installEnv` option).'
  return ''
}

function interpreterMissing(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause)
  return `the Python interpreter ${message}. Install Python 3, or set TASSE_PYTHON (the runner-poetry \`python\` option) to the interpreter to use.`
}

function settle(options: PoetryRunnerOptions): Settings {
  const settings: Settings = {
    python: options.python ?? process.env.TASSE_PYTHON ?? 'python3',
    poetry: options.poetry ?? process.env.TASSE_POETRY ?? 'poetry',
    uv: options.uv ?? process.env.TASSE_UV ?? 'uv',
    venvDir: options.venvDir,
    installEnv: { ...installEnvFromHost(process.env), ...options.installEnv },
    installTimeoutMs: options.installTimeoutMs ?? 30 * 60_000,
    unbuffered: options.unbuffered ?? true,
    priority: options.priority ?? 10,
  }
  const problem = (key: string, expected: string, got: unknown) =>
    new TasseError(
      'invalid_argument',
      `option ${key} must be ${expected}, got ${JSON.stringify(got)}`,
      {
        tag: RUNNER_TAG,
      },
    )
  if (typeof settings.python !== 'string' || settings.python.trim() === '')
    throw problem('python', 'an interpreter name or path', settings.python)
  if (typeof settings.poetry !== 'string' || settings.poetry.trim() === '')
    throw problem('poetry', 'the Poetry executable name or path', settings.poetry)
  if (typeof settings.uv !== 'string' || settings.uv.trim() === '')
    throw problem('uv', 'the uv executable name or path', settings.uv)
  if (
    settings.venvDir !== undefined &&
    (typeof settings.venvDir !== 'string' || !isAbsolute(settings.venvDir))
  )
    throw problem('venvDir', 'an absolute path', settings.venvDir)
  if (!Number.isInteger(settings.installTimeoutMs) || settings.installTimeoutMs <= 0)
    throw problem(
      'installTimeoutMs',
      'a positive whole number of milliseconds',
      settings.installTimeoutMs,
    )
  if (typeof settings.unbuffered !== 'boolean')
    throw problem('unbuffered', 'true or false', settings.unbuffered)
  if (!Number.isFinite(settings.priority)) throw problem('priority', 'a number', settings.priority)
  for (const [key, value] of Object.entries(settings.installEnv))
    if (typeof value !== 'string') throw problem(`installEnv.${key}`, 'a string', value)
  return settings
}

function fail(task: TaskDefinition, message: string): string {
  return line(`task "${task.name}": ${message}`)
}

function line(text: string): string {
  return `[${RUNNER_TAG}] ${text}`
}

function describe(marker: EnvironmentMarker): string {
  return `${LAYOUT_NAMES[marker.layout]}, python ${marker.python.version}`
}

/** `venv/report` for a path below the data directory, the absolute path otherwise. */
function showPath(path: string, dataDir: string): string {
  const shown = relative(dataDir, path)
  return shown.startsWith('..') || isAbsolute(shown) ? path : shown
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  )
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

/** HOME, USER and LOGNAME of the run's user, for what is spawned as them; none without one. */
function ownerEnv(owner: PrepareContext['owner']): Record<string, string> {
  return owner ? userEnv(owner) : {}
}
