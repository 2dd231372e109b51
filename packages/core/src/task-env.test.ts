import { describe, expect, it } from 'vitest'
import { runEnv, taskBaseEnv } from './task-env.js'
import { timeZone } from './time/zone.js'

describe('taskBaseEnv', () => {
  it('keeps the host’s environment but its own configuration, secrets and Python/npm state', () => {
    const host = {
      PATH: '/usr/bin',
      HOME: '/home/tasse',
      LANG: 'C.UTF-8',
      TASSE_TOKEN: 's3cret',
      TASSE_DATA: '/data',
      VIRTUAL_ENV: '/venv',
      VIRTUAL_ENV_PROMPT: '(venv)',
      PYENV_VIRTUAL_ENV: '/pyenv',
      POETRY_ACTIVE: '1',
      PIPENV_ACTIVE: '1',
      PYTHONHOME: '/py',
      npm_config_cache: '/npm',
      NODE_OPTIONS: '--inspect',
      UNSET: undefined,
      MY_TASSE_THING: 'kept: only TASSE_ at the start is the host’s',
    }
    expect(taskBaseEnv(host)).toStrictEqual({
      PATH: '/usr/bin',
      HOME: '/home/tasse',
      LANG: 'C.UTF-8',
      MY_TASSE_THING: 'kept: only TASSE_ at the start is the host’s',
    })
  })
})

describe('runEnv', () => {
  const run = {
    id: '01m8g4dva07sk09q',
    reason: 'schedule' as const,
    attempt: 2,
    scheduledAt: Date.parse('2024-03-31T01:30:00Z') * 1000,
    params: { date: '2026-01-30', mode: 'full' },
  }

  it('layers the base, the task’s env:, the run’s TASSE_* and its parameters', () => {
    const env = runEnv(
      { PATH: '/usr/bin', GREETING: 'base' },
      { name: 'report', env: { GREETING: 'task', TASSE_TASK: 'overridden by Tasse' } },
      run,
      timeZone('Europe/Paris'),
    )
    expect(env).toStrictEqual({
      PATH: '/usr/bin',
      GREETING: 'task',
      TASSE_TASK: 'report',
      TASSE_RUN_ID: '01m8g4dva07sk09q',
      TASSE_REASON: 'schedule',
      TASSE_ATTEMPT: '2',
      TASSE_SCHEDULED_TIME: '2024-03-31T03:30:00+02:00',
      TASSE_PARAM_DATE: '2026-01-30',
      TASSE_PARAM_MODE: 'full',
    })
  })

  it('leaves TASSE_SCHEDULED_TIME empty for a run that no fire time stands for', () => {
    const env = runEnv(
      {},
      { name: 'report', env: {} },
      { ...run, scheduledAt: null },
      timeZone('UTC'),
    )
    expect(env.TASSE_SCHEDULED_TIME).toBe('')
  })
})
