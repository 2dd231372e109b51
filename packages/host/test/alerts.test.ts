// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is task.yaml's own syntax here
/**
 * Issue #17 on a real host (`startHost` on port 0) and a real receiver on 127.0.0.1: failure and
 * recovery notifications, signed; healthchecks pings; retries that never delay a run; overdue
 * after downtime, with its notification, metric and health URL; pause after repeated failures;
 * and no secret read from the environment shown anywhere.
 */
import { execFile, execFileSync } from 'node:child_process'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type RunningHost, readConfig, startHost } from '@tasse/host'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dataWith, memoryLogger, until } from './api-fixtures.js'
import { type Receiver, startReceiver } from './receiver.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const CLI = join(ROOT, 'packages', 'host', 'bundle', 'cli.js')
const SECRET = 'hook-secret-7f3a9c'
const HEADER_TOKEN = 'header-token-41d2e8'

let receiver: Receiver
let host: RunningHost | undefined
let data = ''
let logger: ReturnType<typeof memoryLogger>

beforeEach(async () => {
  receiver = await startReceiver()
  logger = memoryLogger()
  process.env.TASSE_HOOK_SECRET = SECRET
  process.env.TASSE_HOOK_TOKEN = HEADER_TOKEN
})
afterEach(async () => {
  await host?.close()
  host = undefined
  await receiver.close()
  rmSync(data, { recursive: true, force: true })
})

async function start(flags: Record<string, string> = {}): Promise<RunningHost> {
  host = await startHost(readConfig({ data, port: '0', ...flags }, {}), { logger })
  return host
}

async function api<T = Record<string, unknown>>(path: string, init?: RequestInit) {
  const response = await fetch(`${(host as RunningHost).url}${path}`, init)
  return { status: response.status, body: (await response.json()) as T }
}

async function trigger(task: string): Promise<{ id: string }> {
  const { status, body } = await api<{ id: string }>(`/api/v1/tasks/${task}/runs`, {
    method: 'POST',
  })
  expect(status).toBe(202)
  return body
}

/** What the tests read of `GET /api/v1/tasks/{name}`. */
interface TaskBody {
  state: string
  lastRun: unknown
  health: {
    consecutiveFailures: number
    pausedReason: string | null
    overdue: { reason: string } | null
  }
}

/** Succeeds once the file `ok` exists in the task's folder, fails (exit 1) before. */
const FLIPPABLE = 'if [ -f ok ]; then echo fine; else echo "broken: no ok file" >&2; exit 1; fi\n'

function verify(body: string, header: string | string[] | undefined): boolean {
  const expected = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`
  return (
    typeof header === 'string' &&
    header.length === expected.length &&
    timingSafeEqual(Buffer.from(header), Buffer.from(expected))
  )
}

describe('notifications', () => {
  it('sends one signed failed, then one recovered; healthchecks gets /start then /fail; retries never delay the run', async () => {
    const hook = '/hooks/tasse'
    data = dataWith({
      flaky: {
        'task.yaml': [
          'notify:',
          `  - type: webhook`,
          `    url: ${receiver.url}${hook}`,
          '    events: [failed, recovered]',
          '    secret_env: TASSE_HOOK_SECRET',
          "    headers: {X-Token: '${TASSE_HOOK_TOKEN}'}",
          `  - type: healthchecks`,
          `    url: ${receiver.url}/hc/0f4c`,
          '',
        ].join('\n'),
        'task.sh': FLIPPABLE,
      },
    })
    await start()
    // The receiver fails twice: the third attempt delivers (after 1 s and 4 s of backoff).
    receiver.answer(hook, 500, 500)

    const failed = await trigger('flaky')
    const run = (await (host as RunningHost).tasse.waitForRun(failed.id)) as {
      status: string
      endedAt: number
      startedAt: number
    }
    expect(run.status).toBe('failed')
    await until(() => receiver.to(hook).some((r) => r.status === 200), 30_000)
    const attempts = receiver.to(hook)
    expect(attempts.map((r) => r.status)).toEqual([500, 500, 200])
    // One notification, three tries of it: the same delivery id and the same signed body.
    expect(new Set(attempts.map((r) => r.headers['x-tasse-delivery'])).size).toBe(1)
    expect(new Set(attempts.map((r) => r.body)).size).toBe(1)
    // The run had ended long before its notification was delivered: delivery never waited on it.
    expect((attempts[2] as { at: number }).at - run.endedAt).toBeGreaterThanOrEqual(4000)
    expect(run.endedAt - run.startedAt).toBeLessThan(4000)

    const delivered = attempts[2] as (typeof attempts)[number]
    expect(verify(delivered.body, delivered.headers['x-tasse-signature-256'])).toBe(true)
    expect(verify(`${delivered.body} `, delivered.headers['x-tasse-signature-256'])).toBe(false)
    expect(delivered.headers['x-token']).toBe(HEADER_TOKEN)
    const body = JSON.parse(delivered.body)
    expect(body).toMatchObject({
      event: 'failed',
      task: { name: 'flaky', link: `${host?.url}/tasks/flaky` },
      run: { id: failed.id, status: 'failed', exitCode: 1, link: `${host?.url}/runs/${failed.id}` },
    })
    expect(body.output.join('\n')).toContain('broken: no ok file')

    await until(() => receiver.to('/hc/0f4c/fail').length === 1, 20_000)
    expect(receiver.requests.filter((r) => r.path.startsWith('/hc/')).map((r) => r.path)).toEqual([
      '/hc/0f4c/start',
      '/hc/0f4c/fail',
    ])

    // The API shows each attempt of the notification and its result.
    const { body: listed } = await api<{ notifications: Record<string, unknown>[] }>(
      '/api/v1/notifications?task=flaky',
    )
    const webhook = listed.notifications.find((n) => n.event === 'failed')
    expect(webhook).toMatchObject({
      status: 'delivered',
      runId: failed.id,
      target: { type: 'webhook', url: `${receiver.url}${hook}` },
      attempts: [{ status: 500 }, { status: 500 }, { status: 200, error: null }],
    })

    writeFileSync(join(data, 'tasks', 'flaky', 'ok'), '')
    const good = await trigger('flaky')
    await until(() => receiver.to(hook).length === 4, 20_000)
    const recovered = JSON.parse((receiver.to(hook)[3] as { body: string }).body)
    expect(recovered).toMatchObject({ event: 'recovered', run: { id: good.id } })
    await until(() => receiver.to('/hc/0f4c').length === 1, 20_000)
    expect(receiver.requests.filter((r) => r.path.startsWith('/hc/')).map((r) => r.path)).toEqual([
      '/hc/0f4c/start',
      '/hc/0f4c/fail',
      '/hc/0f4c/start',
      '/hc/0f4c',
    ])
    // Exactly one failed notification reached the receiver (three tries of it) and one recovered.
    const events = receiver.to(hook).filter((r) => r.status === 200)
    expect(events.map((r) => JSON.parse(r.body).event)).toEqual(['failed', 'recovered'])

    // No secret read from the environment in the log, an API answer or a run record.
    const answers = [
      JSON.stringify((await api('/api/v1/notifications')).body),
      JSON.stringify((await api('/api/v1/tasks/flaky')).body),
      JSON.stringify((await api('/api/v1/runs?task=flaky')).body),
      JSON.stringify((await api(`/api/v1/runs/${failed.id}`)).body),
      JSON.stringify((await api('/api/v1/health/tasks')).body),
      await (await fetch(`${host?.url}/api/v1/runs/${failed.id}/logs`)).text(),
      await (await fetch(`${host?.url}/metrics`)).text(),
      logger.lines.join('\n'),
    ]
    for (const text of answers) {
      expect(text).not.toContain(SECRET)
      expect(text).not.toContain(HEADER_TOKEN)
    }
  })

  it('a task failing every time with on_failure.pause_after: 3 is paused after 3 runs, says why, notifies paused, and runs no fourth time', async () => {
    data = dataWith({
      crashy: {
        'task.yaml': [
          'scheduler: {trigger: interval, seconds: 1}',
          'on_failure: {pause_after: 3}',
          'notify:',
          `  - {type: webhook, url: '${receiver.url}/paused', events: [paused]}`,
          '',
        ].join('\n'),
        'task.sh': 'echo "cannot reach the database" >&2\nexit 2\n',
      },
    })
    await start()
    await until(() => receiver.to('/paused').length === 1, 30_000)
    const notice = JSON.parse((receiver.to('/paused')[0] as { body: string }).body)
    expect(notice).toMatchObject({ event: 'paused', task: { name: 'crashy' } })
    expect(notice.reason).toContain('3 consecutive failed runs')

    const { body: task } = await api<TaskBody>('/api/v1/tasks/crashy')
    expect(task.state).toBe('paused')
    expect(task.health.pausedReason).toContain('on_failure.pause_after: 3')
    expect(task.health.consecutiveFailures).toBe(3)

    // Three fire times pass: no fourth scheduled run.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const { body: page } = await api<{ runs: { reason: string; status: string }[] }>(
      '/api/v1/runs?task=crashy',
    )
    expect(page.runs.map((r) => `${r.reason} ${r.status}`)).toEqual([
      'schedule failed',
      'schedule failed',
      'schedule failed',
    ])

    // A manual trigger still runs; resuming by hand clears the count.
    const manual = await trigger('crashy')
    expect((await host?.tasse.waitForRun(manual.id))?.status).toBe('failed')
    expect((await api('/api/v1/tasks/crashy/resume', { method: 'POST' })).status).toBe(200)
    const { body: resumed } = await api<TaskBody>('/api/v1/tasks/crashy')
    expect(resumed.health).toMatchObject({ consecutiveFailures: 0, pausedReason: null })
    expect(receiver.to('/paused')).toHaveLength(1)
  })
})

describe('the host default (notify: in tasse.yaml, --notify-file)', () => {
  it('alerts the tasks without notify: (here as Slack messages), not those with notify: []', async () => {
    data = dataWith({
      plain: { 'task.yaml': '', 'task.sh': 'echo "plain went wrong" >&2\nexit 4\n' },
      quiet: { 'task.yaml': 'notify: []\n', 'task.sh': 'exit 4\n' },
    })
    const file = join(data, 'notify.yaml')
    writeFileSync(
      file,
      `notify:\n  - {type: slack, url: '${receiver.url}/\${TASSE_SLACK_PATH}', events: [failed]}\n`,
    )
    process.env.TASSE_SLACK_PATH = 'services/T0/B0/secret-slack-path'
    await start({ 'notify-file': file, 'public-url': 'https://tasse.example.com/' })
    const quiet = await trigger('quiet')
    await host?.tasse.waitForRun(quiet.id)
    const plain = await trigger('plain')
    await until(() => receiver.to('/services/T0/B0/secret-slack-path').length === 1, 20_000)
    const message = JSON.parse((receiver.requests[0] as { body: string }).body)
    expect(message.text).toContain('*plain* failed: run')
    expect(message.text).toContain(`<https://tasse.example.com/runs/${plain.id}|run ${plain.id}>`)
    expect(message.text).toContain('plain went wrong')
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(receiver.requests).toHaveLength(1)
    const listed = JSON.stringify((await api('/api/v1/notifications')).body)
    expect(listed).toContain('${TASSE_SLACK_PATH}')
    expect(listed).not.toContain('secret-slack-path')
  })

  it('takes notify: from <data>/tasse.yaml; a --notify-file replaces it', async () => {
    data = dataWith({ plain: { 'task.yaml': '', 'task.sh': 'exit 4\n' } })
    const target = (path: string) =>
      `notify:\n  - {type: webhook, url: '${receiver.url}/${path}', events: [failed]}\n`
    writeFileSync(join(data, 'tasse.yaml'), target('from-tasse-yaml'))
    await start()
    const first = await trigger('plain')
    await until(() => receiver.to('/from-tasse-yaml').length === 1, 20_000)
    const body = JSON.parse((receiver.to('/from-tasse-yaml')[0] as { body: string }).body)
    expect(body).toMatchObject({ event: 'failed', task: { name: 'plain' }, run: { id: first.id } })
    await host?.close()
    host = undefined
    const file = join(data, 'notify.yaml')
    writeFileSync(file, target('from-flag'))
    await start({ 'notify-file': file })
    await trigger('plain')
    await until(() => receiver.to('/from-flag').length === 1, 20_000)
    expect(receiver.to('/from-tasse-yaml')).toHaveLength(1)
  })

  it('refuses to start on a mistake in tasse.yaml’s notify:, naming the file and the key', async () => {
    data = dataWith({})
    writeFileSync(join(data, 'tasse.yaml'), 'notify:\n  - {type: slack}\n')
    await expect(start()).rejects.toThrow(
      'tasse.yaml: notify[0].url must be an http:// or https:// URL',
    )
  })

  it('refuses to start on a mistake in it, naming the file and the key', async () => {
    data = dataWith({})
    const file = join(data, 'notify.yaml')
    writeFileSync(file, 'notify:\n  - {type: webhook, url: https://x.test, events: [faild]}\n')
    await expect(start({ 'notify-file': file })).rejects.toThrow(
      'notify[0].events[0] is not a known event (did you mean "failed"?)',
    )
  })
})

describe('overdue', () => {
  beforeAll(() => {
    // `tasse list` runs from the build; make sure it is the current source's.
    execFileSync('npx', ['tsc', '-b', 'packages/host'], { cwd: ROOT, stdio: 'inherit' })
  }, 120_000)

  it('a host stopped for 6 s finds the task overdue: one notification, the metric, 503 on /health/tasks; the next good run clears all three', async () => {
    data = dataWith({
      tick: {
        'task.yaml': [
          'scheduler: {trigger: interval, seconds: 2}',
          'expect: {start_within: 3s}',
          'notify:',
          `  - {type: webhook, url: '${receiver.url}/overdue', events: [overdue, recovered]}`,
          '',
        ].join('\n'),
        'task.sh': FLIPPABLE,
      },
    })
    await start()
    await until(async () => (await api<TaskBody>('/api/v1/tasks/tick')).body.lastRun)
    await host?.close()
    host = undefined
    await new Promise((resolve) => setTimeout(resolve, 6000))
    expect(receiver.to('/overdue')).toHaveLength(0)

    const again = await start()
    await until(() => receiver.to('/overdue').length === 1, 20_000)
    const notice = JSON.parse((receiver.to('/overdue')[0] as { body: string }).body)
    expect(notice).toMatchObject({ event: 'overdue', task: { name: 'tick' } })
    expect(notice.reason).toContain('no run started within 3s of its fire time')

    const metrics = await (await fetch(`${again.url}/metrics`)).text()
    expect(metrics).toContain('tasse_task_overdue{task="tick"} 1')
    const health = await api<{ tasks: { name: string; status: string; overdue: unknown }[] }>(
      '/api/v1/health/tasks',
    )
    expect(health.status).toBe(503)
    expect(health.body.tasks).toEqual([
      expect.objectContaining({ name: 'tick', status: 'overdue', overdue: expect.anything() }),
    ])
    const { body: task } = await api<TaskBody>('/api/v1/tasks/tick')
    expect(task.health.overdue?.reason).toBe(notice.reason)
    // Asynchronously: the host answering it lives in this process.
    const listed = await promisify(execFile)(process.execPath, [CLI, 'list', '--url', again.url])
    expect(listed.stdout).toMatch(/^tick +ok, overdue /m)
    expect(listed.stdout).toContain(`tick: overdue: ${notice.reason}`)

    // Still failing: still overdue, and told once only.
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect(receiver.to('/overdue')).toHaveLength(1)

    writeFileSync(join(data, 'tasks', 'tick', 'ok'), '')
    await until(async () => (await api('/api/v1/health/tasks')).status === 200, 20_000)
    const cleared = await (await fetch(`${again.url}/metrics`)).text()
    expect(cleared).toContain('tasse_task_overdue{task="tick"} 0')
    expect(cleared).toMatch(/tasse_task_last_success_timestamp_seconds\{task="tick"\} \d/)
    await until(() => receiver.to('/overdue').length === 2, 20_000)
    expect(JSON.parse((receiver.to('/overdue')[1] as { body: string }).body).event).toBe(
      'recovered',
    )
  })
})
