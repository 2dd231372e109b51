import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { InvalidParamError, RunRefusedError, type Tasse } from '@tasse/core'
import { afterEach, describe, expect, it } from 'vitest'
import { alive, removeData, startTasse, tempData, waitFor } from './helpers.js'

const TIME = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00`

let tasse: Tasse | undefined
let data = ''

afterEach(async () => {
  await tasse?.stop(1000)
  tasse = undefined
  removeData(data)
})

async function runToEnd(name: string, params?: Record<string, string>) {
  const run = await (tasse as Tasse).trigger(name, params ? { params } : {})
  return (tasse as Tasse).waitForRun(run.id)
}

function logLines(name: string): string[] {
  return readFileSync(join(data, 'logs', name, 'log.txt'), 'utf8')
    .trimEnd()
    .split('\n')
}

describe('running a task', () => {
  it('writes log.txt in the original format and its own run log', async () => {
    data = tempData('ok')
    tasse = await startTasse(data)
    const run = await runToEnd('ok')
    expect(run).toMatchObject({
      status: 'succeeded',
      exitCode: 0,
      signal: null,
      reason: 'trigger',
      attempt: 1,
    })
    const lines = logLines('ok')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(new RegExp(`^${TIME} \\| >>> Task ok/task\\.py$`))
    expect(lines[1]).toMatch(new RegExp(`^${TIME} \\| Hello world$`))
    expect(lines[2]).toMatch(
      new RegExp(`^${TIME} \\| <<< Task ok/task\\.py ended with status code 0$`),
    )
    expect(await tasse.readRunLog(run.id)).toBe('Hello world\n')
    expect(await tasse.getRun(run.id)).toMatchObject({ status: 'succeeded', exitCode: 0 })
  })

  it('records a failing task with its status code', async () => {
    data = tempData('exit-3')
    tasse = await startTasse(data)
    const run = await runToEnd('exit-3')
    expect(run).toMatchObject({ status: 'failed', exitCode: 3, error: 'exited with code 3' })
    expect(logLines('exit-3').at(-1)).toMatch(
      / \| <<< Task exit-3\/task\.sh ended with status code 3$/,
    )
  })

  it('records a task killed by a signal as the original does (negative status code)', async () => {
    data = tempData('crash')
    tasse = await startTasse(data)
    const run = await runToEnd('crash')
    expect(run).toMatchObject({
      status: 'failed',
      exitCode: null,
      signal: 'SIGSEGV',
      error: 'ended by signal SIGSEGV',
    })
    expect(logLines('crash').slice(1)).toEqual([
      expect.stringMatching(/ \| crashing$/),
      expect.stringMatching(/ \| <<< Task crash\/task\.py ended with status code -11$/),
    ])
  })

  it('captures stderr and a last line without a newline', async () => {
    data = tempData('stderr', 'partial-line')
    tasse = await startTasse(data)
    await runToEnd('stderr')
    await runToEnd('partial-line')
    expect(
      logLines('stderr')
        .slice(1, 3)
        .map((l) => l.split(' | ')[1])
        .sort(),
    ).toEqual(['to stderr', 'to stdout'])
    expect(
      logLines('partial-line')
        .slice(1, 3)
        .map((l) => l.split(' | ')[1]),
    ).toEqual(['first', 'no newline at the end'])
  })

  it("gives the task its env and Tasse's variables, never the host's own configuration", async () => {
    data = tempData('env')
    tasse = await startTasse(data, {
      env: {
        PATH: process.env.PATH,
        TASSE_TOKEN: 'host-secret',
        TASSE_DATA: data,
        SECRET_HOST_VALUE: 'kept',
      },
    })
    const run = await runToEnd('env')
    const output = await tasse.readRunLog(run.id)
    expect(output).toContain('FROM_TASK=yes\n')
    expect(output).toContain('SECRET_HOST_VALUE=kept\n')
    expect(output).toContain(`TASSE_RUN_ID=${run.id}\n`)
    expect(output).toContain('TASSE_TASK=env\n')
    expect(output).toContain('TASSE_REASON=trigger\n')
    expect(output).not.toContain('host-secret')
    expect(output).not.toContain('TASSE_DATA')
  })

  it('fires a scheduled task again and again', async () => {
    data = tempData('ok')
    writeFileSync(
      join(data, 'tasks', 'ok', 'task.yaml'),
      'scheduler:\n  trigger: every\n  ms: 300\n',
    )
    tasse = await startTasse(data)
    const t = tasse
    const { runs } = await waitFor(async () => {
      const page = await t.listRuns({ task: 'ok', status: ['succeeded'] })
      return page.runs.length >= 2 && page
    })
    expect(runs.every((r) => r.reason === 'schedule' && r.scheduledAt !== null)).toBe(true)
    expect(logLines('ok').filter((l) => l.endsWith('| Hello world')).length).toBeGreaterThanOrEqual(
      2,
    )
  })
})

describe('output at any rate', () => {
  it('keeps every line once, in order, in log.txt and in the run log', async () => {
    data = tempData('ok')
    const count = 300_000
    writeFileSync(
      join(data, 'tasks', 'ok', 'task.sh'),
      `seq 1 ${count}\nprintf "last line without newline"\n`,
    )
    writeFileSync(join(data, 'tasks', 'ok', 'task.yaml'), 'entrypoint: task.sh\n')
    tasse = await startTasse(data)
    const run = await runToEnd('ok')
    const expected = [
      ...Array.from({ length: count }, (_, i) => String(i + 1)),
      'last line without newline',
    ]
    expect((await tasse.readRunLog(run.id)).split('\n').slice(0, -1)).toEqual(expected)
    const logged = logLines('ok')
    expect(logged.slice(1, -1).map((line) => line.slice(line.indexOf(' | ') + 3))).toEqual(expected)
  })
})

describe('run control', () => {
  it('skips a run due while the task still runs, naming the running one', async () => {
    data = tempData('slow')
    tasse = await startTasse(data, { env: { ...process.env, SLOW_SECONDS: '1' } })
    const first = await tasse.trigger('slow')
    const refused = await tasse.trigger('slow').catch((error: unknown) => error)
    expect(refused).toBeInstanceOf(RunRefusedError)
    const { refusal, run: second } = refused as RunRefusedError
    expect(refusal).toMatchObject({ code: 'overlap', blockingRunId: first.id })
    expect(second).toMatchObject({ status: 'skipped' })
    expect(second.error).toContain(`run ${first.id} is still running`)
    expect((await tasse.waitForRun(first.id)).status).toBe('succeeded')
    expect((await tasse.getRun(second.id))?.status).toBe('skipped')
  })

  it('holds runs beyond the concurrency limit as queued, then runs them', async () => {
    data = tempData('slow', 'ok')
    tasse = await startTasse(data, { concurrency: 1, env: { ...process.env, SLOW_SECONDS: '1' } })
    const slow = await tasse.trigger('slow')
    const ok = await tasse.trigger('ok')
    expect(ok.status).toBe('queued')
    expect(tasse.runCounts()).toEqual({ running: 1, queued: 1 })
    const ended = await tasse.waitForRun(ok.id)
    expect(ended.status).toBe('succeeded')
    expect(ended.startedAt).toBeGreaterThanOrEqual((await tasse.getRun(slow.id))?.endedAt as number)
  })

  it('ends a run past its timeout, grandchildren included', async () => {
    data = tempData('grandchild')
    writeFileSync(join(data, 'tasks', 'grandchild', 'task.yaml'), 'timeout: 1s\n')
    tasse = await startTasse(data)
    const run = await runToEnd('grandchild')
    expect(run).toMatchObject({ status: 'timed_out', error: 'ran longer than its timeout of 1s' })
    const pid = Number(readFileSync(join(data, 'tasks', 'grandchild', 'grandchild.pid'), 'utf8'))
    await waitFor(() => !alive(pid), 5000, 'the grandchild to be gone')
  })

  it('cancels a running run and a queued one', async () => {
    data = tempData('slow', 'ok')
    tasse = await startTasse(data, { concurrency: 1 })
    const slow = await tasse.trigger('slow')
    const ok = await tasse.trigger('ok')
    expect(await tasse.cancel(ok.id)).toBe(true)
    expect((await tasse.waitForRun(ok.id)).status).toBe('cancelled')
    await waitFor(async () => (await tasse?.getRun(slow.id))?.pid)
    expect(await tasse.cancel(slow.id)).toBe(true)
    expect(await tasse.waitForRun(slow.id)).toMatchObject({
      status: 'cancelled',
      signal: 'SIGTERM',
    })
    expect(await tasse.cancel(slow.id)).toBe(false)
  })

  it('refuses unknown or invalid parameters before anything runs', async () => {
    data = tempData('env')
    writeFileSync(
      join(data, 'tasks', 'env', 'task.yaml'),
      "params:\n  - {name: day, pattern: '^\\d{4}-\\d\\d-\\d\\d$', required: true}\n  - {name: mode, enum: [fast, full], default: fast}\n",
    )
    tasse = await startTasse(data)
    const t = tasse
    await expect(t.trigger('env', { params: { dya: '2024-01-01' } })).rejects.toThrow(
      'task "env" has no parameter "dya" (its parameters: day, mode)',
    )
    await expect(t.trigger('env', { params: {} })).rejects.toThrow(
      'parameter "day" of task "env" is required',
    )
    const invalid = t.trigger('env', { params: { day: 'yesterday' } })
    await expect(invalid).rejects.toBeInstanceOf(InvalidParamError)
    await expect(invalid).rejects.toMatchObject({ code: 'invalid_param', param: 'day' })
    expect((await t.listRuns()).runs).toEqual([])

    const run = await runToEnd('env', { day: '2024-01-01' })
    expect(await t.readRunLog(run.id)).toContain(
      'TASSE_PARAM_DAY=2024-01-01\nTASSE_PARAM_MODE=fast\n',
    )
  })

  it('passes values verbatim, as environment and arguments, never through a shell', async () => {
    data = tempData('env')
    const dir = join(data, 'tasks', 'env')
    writeFileSync(join(dir, 'task.yaml'), 'params:\n  - {name: message, arg: true}\n')
    writeFileSync(join(dir, 'task.sh'), 'printf "%s\\n" "$TASSE_PARAM_MESSAGE" "$@"\n')
    tasse = await startTasse(data)
    const message = '$(touch injected-1); `touch injected-2`; touch injected-3 && echo "quoted"'
    const run = await runToEnd('env', { message })
    expect(await tasse.readRunLog(run.id)).toBe(`${message}\n--message=${message}\n`)
    expect(readdirSync(dir).filter((f) => f.startsWith('injected'))).toEqual([])
  })
})
