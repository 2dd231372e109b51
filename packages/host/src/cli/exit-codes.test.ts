import {
  InvalidParamError,
  RunRefusedError,
  TaskNotFoundError,
  TasseConfigError,
  TasseError,
} from '@tasse/core'
import { makeRun } from '@tasse/core/testing'
import { describe, expect, it } from 'vitest'
import { ClientError } from '../client.js'
import { CliError, cliFailure, EXIT, EXIT_HELP, UsageError } from './exit-codes.js'

describe('cliFailure', () => {
  it.each([
    [new UsageError('missing the task name'), EXIT.usage, 'usage'],
    [
      new TasseError('config', '--port must be a port number 0-65535, got "abc"'),
      EXIT.usage,
      'usage',
    ],
    [
      new TasseConfigError({ file: 'tasks/a/task.yaml', field: 'timeout' }, 'must be a duration'),
      EXIT.failed,
      'failed',
    ],
    [new TaskNotFoundError('nope', ['hello']), EXIT.notFound, 'task_not_found'],
    [new InvalidParamError('who', 'bad who'), EXIT.invalidParam, 'invalid_param'],
    [
      new RunRefusedError(
        { code: 'overlap', message: 'busy', blockingRunId: 'r1' },
        makeRun({ task: 'a', status: 'skipped' }),
      ),
      EXIT.refused,
      'overlap',
    ],
    [new ClientError(0, 'unreachable', 'cannot reach'), EXIT.unreachable, 'unreachable'],
    [new ClientError(401, 'unauthorized', 'needs a token'), EXIT.unauthorized, 'unauthorized'],
    [new ClientError(404, 'run_not_found', 'no run'), EXIT.notFound, 'run_not_found'],
    [new ClientError(409, 'run_not_active', 'ended'), EXIT.refused, 'run_not_active'],
    [new ClientError(400, 'invalid_param', 'bad'), EXIT.invalidParam, 'invalid_param'],
    [new ClientError(503, 'starting', 'starting'), EXIT.unreachable, 'starting'],
    [
      new CliError(EXIT.notFound, 'data_dir_not_found', 'no folder'),
      EXIT.notFound,
      'data_dir_not_found',
    ],
    [new Error('disk full'), EXIT.failed, 'failed'],
  ])('%s → exit %i, code %s', (cause, exitCode, code) => {
    expect(cliFailure(cause)).toMatchObject({ exitCode, error: { code, exitCode } })
  })

  it('keeps the message as made (the CLI prints its own [tasse] prefix) and the details', () => {
    expect(cliFailure(new TaskNotFoundError('nope', ['a', 'b'])).error).toEqual({
      code: 'task_not_found',
      message: 'no task named "nope" (known tasks: a, b)',
      exitCode: 3,
      known: ['a', 'b'],
    })
  })

  it('names the parameter and the blocking run', () => {
    expect(cliFailure(new InvalidParamError('who', 'bad who')).error).toMatchObject({
      param: 'who',
    })
    const refused = new RunRefusedError(
      { code: 'overlap', message: 'busy', blockingRunId: 'r1' },
      makeRun({ task: 'a', status: 'skipped' }),
    )
    expect(cliFailure(refused).error).toMatchObject({ code: 'overlap', blockingRunId: 'r1' })
  })

  it('documents each status once, in order', () => {
    expect(EXIT_HELP.map(([code]) => Number(code))).toEqual(Object.values(EXIT))
  })
})
