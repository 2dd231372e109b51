/**
 * The original service's promise on a real port: helloworld runs on its interval, and
 * `GET /trigger/<name>` and `GET /rescan` answer as they did.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type RunningHost, readConfig, startHost } from '@tasse/host'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const REPO_DATA = join(import.meta.dirname, '..', '..', '..', 'data')

describe('the original routes on a real port', () => {
  let data = ''
  let host: RunningHost

  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), 'tasse-host-'))
    cpSync(join(REPO_DATA, 'tasks'), join(data, 'tasks'), { recursive: true })
    writeFileSync(
      join(data, 'tasks', 'helloworld', 'task.yaml'),
      'scheduler:\n  trigger: interval\n  seconds: 1\n',
    )
    host = await startHost(readConfig({ data, port: '0' }, {}))
  })

  afterAll(async () => {
    await host?.close()
    rmSync(data, { recursive: true, force: true })
  })

  const log = () => {
    const path = join(data, 'logs', 'helloworld', 'log.txt')
    return existsSync(path) ? readFileSync(path, 'utf8') : ''
  }

  it('runs helloworld on its interval, at least twice', async () => {
    const deadline = Date.now() + 10_000
    while ((log().match(/\| Hello world$/gm) ?? []).length < 2) {
      if (Date.now() > deadline) throw new Error(`helloworld did not run twice:\n${log()}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(log()).toContain('| >>> Task helloworld/task.py\n')
    expect(log()).toContain('| <<< Task helloworld/task.py ended with status code 0\n')
  })

  it('GET /trigger/<name> starts a run and answers {"status":"ok"}', async () => {
    // Pause the 1-second schedule and let its run end, so that the trigger is not refused by
    // the overlap policy (that answer, 409, is the API tests' business).
    host.tasse.pause('helloworld')
    while (host.tasse.activeRuns('helloworld').length)
      await new Promise((resolve) => setTimeout(resolve, 20))
    const response = await fetch(`${host.url}/trigger/helloworld`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok' })
    const runId = response.headers.get('x-tasse-run-id') as string
    const run = await host.tasse.waitForRun(runId)
    expect(run).toMatchObject({ task: 'helloworld', reason: 'trigger', status: 'succeeded' })
  })

  it('GET /trigger/<unknown> answers 404 {"status":"not found"}', async () => {
    const response = await fetch(`${host.url}/trigger/nope`)
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ status: 'not found' })
  })

  it('twenty simultaneous GET /trigger of a 2 s task with overlap: skip: one 200, nineteen 409 naming the run in the way', async () => {
    // Regression (issue #13): the 409 used to be guessed back from activeRuns() after the fact,
    // which could answer 503 once the blocking run had ended; the refusal now carries its run.
    mkdirSync(join(data, 'tasks', 'two-seconds'))
    writeFileSync(join(data, 'tasks', 'two-seconds', 'task.sh'), 'sleep 2\n')
    writeFileSync(join(data, 'tasks', 'two-seconds', 'task.yaml'), 'overlap: skip\n')
    await fetch(`${host.url}/rescan`)
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${host.url}/trigger/two-seconds`)),
    )
    const ok = responses.filter((response) => response.status === 200)
    const refused = responses.filter((response) => response.status === 409)
    expect([ok.length, refused.length]).toEqual([1, 19])
    const running = ok[0]?.headers.get('x-tasse-run-id') as string
    for (const response of refused) {
      const body = (await response.json()) as { status: string; reason: string }
      expect(body.status).toBe('skipped')
      expect(body.reason).toBe(
        `run ${running} is still running (overlap: skip, max_instances: 1 run at once)`,
      )
      const skipped = await host.tasse.getRun(response.headers.get('x-tasse-run-id') as string)
      expect(skipped).toMatchObject({ task: 'two-seconds', status: 'skipped' })
    }
    // The versioned API says the same with the blocking run's id as a field.
    const api = await fetch(`${host.url}/api/v1/tasks/two-seconds/runs`, { method: 'POST' })
    expect(api.status).toBe(409)
    expect(await api.json()).toMatchObject({ error: { code: 'overlap', blockingRunId: running } })
    expect((await host.tasse.waitForRun(running)).status).toBe('succeeded')
  })

  it('GET /rescan picks up a new task folder', async () => {
    mkdirSync(join(data, 'tasks', 'late'))
    writeFileSync(join(data, 'tasks', 'late', 'task.sh'), 'echo late\n')
    writeFileSync(join(data, 'tasks', 'late', 'task.yaml'), '')
    const response = await fetch(`${host.url}/rescan`)
    expect(await response.json()).toEqual({ status: 'ok' })
    expect((await fetch(`${host.url}/trigger/late`)).status).toBe(200)
  })
})
