import { describe, expect, it } from 'vitest'
import {
  installEnv,
  installEnvFromHost,
  taskEnvOverrides,
  withoutForeignEnv,
} from './python-env.js'

const host = {
  PATH: '/usr/bin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  VIRTUAL_ENV: '/srv/tasse/.venv',
  VIRTUAL_ENV_PROMPT: '(tasse)',
  POETRY_ACTIVE: '1',
  POETRY_VIRTUALENVS_PATH: '/root/.cache/pypoetry/virtualenvs',
  PYTHONHOME: '/opt/python',
  PYTHONPATH: '/srv/tasse/lib',
  CONDA_PREFIX: '/opt/conda',
  CONDA_DEFAULT_ENV: 'base',
  PIP_TARGET: '/tmp/target',
  PIP_INDEX_URL: 'https://user:secret@mirror.example/simple',
  PYTHONDONTWRITEBYTECODE: '1',
}

describe('withoutForeignEnv', () => {
  it("drops the host's virtualenv, Conda, pip and Poetry variables and keeps the rest", () => {
    expect(withoutForeignEnv(host, {})).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      PYTHONDONTWRITEBYTECODE: '1',
    })
  })

  it("keeps what the task's own env: sets, foreign or not", () => {
    const taskEnv = { PIP_INDEX_URL: 'https://task.example/simple', PYTHONPATH: 'src' }
    const clean = withoutForeignEnv({ ...host, ...taskEnv }, taskEnv)
    expect(clean.PIP_INDEX_URL).toBe('https://task.example/simple')
    expect(clean.PYTHONPATH).toBe('src')
    expect(clean.PIP_TARGET).toBeUndefined()
  })
})

describe('installEnv', () => {
  it('activates the environment being built and pins where Poetry looks for environments', () => {
    const env = installEnv({ env: host, taskEnv: {}, venvPath: '/data/venv/report', extra: {} })
    expect(env).toMatchObject({
      VIRTUAL_ENV: '/data/venv/report',
      PATH: '/data/venv/report/bin:/usr/bin:/bin',
      POETRY_VIRTUALENVS_PATH: '/data/venv/report/.poetry-virtualenvs',
      POETRY_VIRTUALENVS_IN_PROJECT: 'false',
      PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring',
    })
    for (const key of ['POETRY_ACTIVE', 'PYTHONHOME', 'PYTHONPATH', 'CONDA_PREFIX', 'PIP_TARGET'])
      expect(env).not.toHaveProperty(key)
  })

  it("adds the operator's install settings, which the task's own env: does not undo", () => {
    const env = installEnv({
      env: { ...host, PIP_NO_INDEX: '0' },
      taskEnv: { PIP_NO_INDEX: '0' },
      venvPath: '/v',
      extra: { PIP_INDEX_URL: 'https://mirror.example/simple', PIP_NO_INDEX: '1' },
    })
    expect(env.PIP_INDEX_URL).toBe('https://mirror.example/simple')
    expect(env.PIP_NO_INDEX).toBe('1')
  })
})

describe('taskEnvOverrides', () => {
  it('blanks what a blank unsets, activates the venv and unbuffers output', () => {
    expect(taskEnvOverrides(host, {}, '/data/venv/report', true)).toEqual({
      PYTHONHOME: '',
      PYTHONPATH: '',
      POETRY_ACTIVE: '',
      PYTHONUNBUFFERED: '1',
      VIRTUAL_ENV: '/data/venv/report',
      PATH: '/data/venv/report/bin:/usr/bin:/bin',
    })
  })

  it("leaves the task's own settings alone, and adds nothing for an absent variable", () => {
    const taskEnv = { PYTHONPATH: 'src', PYTHONUNBUFFERED: '0' }
    expect(taskEnvOverrides({ PATH: '/bin', ...taskEnv }, taskEnv, null, true)).toEqual({})
    expect(taskEnvOverrides({ PATH: '/bin' }, {}, null, false)).toEqual({})
  })
})

describe('installEnvFromHost', () => {
  it('turns TASSE_INSTALL_<NAME> into <NAME>, and takes nothing else', () => {
    expect(
      installEnvFromHost({
        TASSE_INSTALL_PIP_INDEX_URL: 'https://mirror.example/simple',
        TASSE_INSTALL_POETRY_HTTP_BASIC_CORP_PASSWORD: 'secret',
        TASSE_INSTALL_: 'no name',
        TASSE_PYTHON: 'python3.12',
        PIP_INDEX_URL: 'https://host.example/simple',
      }),
    ).toEqual({
      PIP_INDEX_URL: 'https://mirror.example/simple',
      POETRY_HTTP_BASIC_CORP_PASSWORD: 'secret',
    })
  })
})
