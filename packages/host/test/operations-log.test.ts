/**
 * The host's output as an operator reads it (`docker logs`): the real `tasse serve` process,
 * one line per run end naming the task, the run, its status, duration and exit code, and with
 * `--log-format json` / `TASSE_LOG_FORMAT=json` nothing but JSON objects, one a line.
 */
import { rmSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { dataWith, type HostProcess, startHostProcess, until } from './host-process.js'

let data = ''
const hosts: HostProcess[] = []

afterEach(async () => {
  for (const host of hosts.splice(0))
    if (host.child.exitCode === null && host.child.signalCode === null) {
      host.child.kill('SIGKILL')
      await host.exited
    }
  rmSync(data, { recursive: true, force: true })
})

const TASKS = {
  hello: { 'task.yaml': '', 'task.sh': 'echo hello\n' },
  fail: { 'task.yaml': '', 'task.sh': 'echo "about to fail" >&2\nexit 3\n' },
  broken: { 'task.yaml': 'overlap: sometimes\n', 'task.sh': 'echo never\n' },
}

async function start(env: NodeJS.ProcessEnv = {}): Promise<HostProcess> {
  data = dataWith(TASKS)
  const host = await startHostProcess(data, { TASSE_TOKEN: '', TASSE_LOG_FORMAT: '', ...env })
  hosts.push(host)
  return host
}

async function trigger(host: HostProcess, task: string): Promise<string> {
  const response = await fetch(`${host.url}/api/v1/tasks/${task}/runs`, { method: 'POST' })
  expect(response.status).toBe(202)
  return ((await response.json()) as { id: string }).id
}

describe('the operations log', () => {
  it('gives a failing run one line naming the run, its status, duration and exit code', async () => {
    const host = await start()
    const failed = await trigger(host, 'fail')
    const ok = await trigger(host, 'hello')
    await until(() => host.output().includes(`run ${ok} `), 20_000, 'the run-end lines')
    await until(() => host.output().includes(`run ${failed} `), 20_000, 'the failed run line')
    const lines = host.output().split('\n')
    const failedLines = lines.filter((line) => line.includes(failed))
    expect(failedLines).toHaveLength(1)
    expect(failedLines[0]).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+[+-]\\d\\d:\\d\\d \\[tasse\\] error: run ${failed} of "fail" failed in \\d+ms \\(exit code 3\\)$`,
      ),
    )
    expect(lines.filter((line) => line.includes(ok))).toEqual([
      expect.stringMatching(
        new RegExp(`\\[tasse\\] run ${ok} of "hello" succeeded in \\d+ms \\(exit code 0\\)$`),
      ),
    ])
  })

  it('with TASSE_LOG_FORMAT=json (or --log-format json) every line is a JSON object', async () => {
    const host = await start({ TASSE_LOG_FORMAT: 'json' })
    const failed = await trigger(host, 'fail')
    await trigger(host, 'hello')
    await until(() => host.output().includes(failed), 20_000, 'the failed run line')
    host.child.kill('SIGTERM')
    expect((await host.exited).code).toBe(0)
    const lines = host.output().trimEnd().split('\n')
    const objects = lines.map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>
      } catch {
        throw new Error(`not JSON: ${line}`)
      }
    })
    for (const object of objects)
      expect(object).toMatchObject({
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/),
        level: expect.stringMatching(/^(info|warn|error)$/),
        message: expect.any(String),
      })
    // The broken task is reported, as an error.
    expect(objects).toContainEqual(
      expect.objectContaining({ level: 'error', message: expect.stringContaining('sometimes') }),
    )
    expect(objects.filter((o) => o.event === 'run_ended')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'error',
          task: 'fail',
          runId: failed,
          status: 'failed',
          exitCode: 3,
          durationMs: expect.any(Number),
        }),
        expect.objectContaining({ level: 'info', task: 'hello', status: 'succeeded', exitCode: 0 }),
      ]),
    )
  })
})
