/**
 * Issue #5: nothing is lost across the host's own restarts, crashes and shutdowns. Each test
 * runs the real `tasse serve` process and reads the run history from its SQLite file.
 */
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Run } from '@tasse/core'
import { createSqliteRunStore } from '@tasse/store-sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import {
  dataWith,
  type HostProcess,
  killHosts,
  processAlive,
  startHostProcess,
  until,
} from './host-process.js'

let data = ''
const hosts: HostProcess[] = []

afterEach(async () => {
  await killHosts(hosts)
  rmSync(data, { recursive: true, force: true })
})

async function start(env: NodeJS.ProcessEnv = {}): Promise<HostProcess> {
  const host = await startHostProcess(data, env)
  hosts.push(host)
  return host
}

async function history(task?: string): Promise<Run[]> {
  const store = createSqliteRunStore({ path: join(data, '.tasse', 'tasse.db') })
  try {
    return (await store.listRuns({ ...(task ? { task } : {}), limit: 500 })).runs.reverse()
  } finally {
    await store.close()
  }
}

async function stop(host: HostProcess, signal: NodeJS.Signals = 'SIGTERM') {
  host.child.kill(signal)
  return host.exited
}

describe('restarts', () => {
  it('keeps the run history across a restart', async () => {
    data = dataWith({ hello: { 'task.sh': 'echo hello\n', 'task.yaml': '' } })
    const first = await start()
    const response = await fetch(`${first.url}/trigger/hello`)
    const runId = response.headers.get('x-tasse-run-id')
    await until(
      async () => (await history()).some((r) => r.status === 'succeeded'),
      5000,
      'the run',
    )
    expect(await stop(first)).toEqual({ code: 0, signal: null })

    await start()
    const runs = await history()
    expect(runs).toEqual([
      expect.objectContaining({ id: runId, task: 'hello', status: 'succeeded', exitCode: 0 }),
    ])
  })

  it('after a SIGKILL of the host, ends what is left of a run and records it interrupted', async () => {
    data = dataWith({
      sleeper: {
        'task.sh': "sh -c 'echo $$ > child.pid; exec sleep 60' &\necho started\nwait\n",
        'task.yaml': '',
      },
    })
    const first = await start()
    await fetch(`${first.url}/trigger/sleeper`)
    const pidFile = join(data, 'tasks', 'sleeper', 'child.pid')
    const childPid = await until(
      () => {
        try {
          return Number(readFileSync(pidFile, 'utf8')) || 0
        } catch {
          return 0
        }
      },
      5000,
      'the child to start',
    )
    expect(processAlive(childPid)).toBe(true)
    // The crash must come after the run's process group is on record, as it would in real life
    // (on a loaded machine the write may trail the child's first line by a few milliseconds).
    await until(async () => (await history('sleeper'))[0]?.pid, 5000, 'the pid on record')
    expect(await stop(first, 'SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' })
    expect(processAlive(childPid)).toBe(true) // orphaned: nothing ended it yet

    const second = await start()
    await until(() => !processAlive(childPid), 15_000, 'the orphaned child to be ended')
    const [run] = await history('sleeper')
    expect(run).toMatchObject({ status: 'interrupted' })
    expect(run?.error).toContain('its remaining processes were ended')
    expect(second.output()).toContain('recorded as interrupted')
  })
})

describe('pause', () => {
  it('survives a restart: a paused task does not fire until resumed', async () => {
    data = dataWith({
      tick: {
        'task.sh': 'echo tick\n',
        'task.yaml': 'scheduler:\n  trigger: interval\n  seconds: 1\n',
      },
    })
    const first = await start()
    const paused = await fetch(`${first.url}/api/v1/tasks/tick/pause`, { method: 'POST' })
    expect(paused.status).toBe(200)
    await stop(first)
    const before = (await history()).length

    const second = await start()
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect((await history()).length).toBe(before)
    const task = (await (await fetch(`${second.url}/api/v1/tasks/tick`)).json()) as {
      state: string
    }
    expect(task.state).toBe('paused')

    await fetch(`${second.url}/api/v1/tasks/tick/resume`, { method: 'POST' })
    await until(async () => (await history()).length > before, 3000, 'a fire after resume')
  })
})

describe('fires missed while the host was down', () => {
  const every2s = (extra: string) => ({
    tick: {
      'task.sh': 'echo tick\n',
      'task.yaml': `scheduler:\n  trigger: interval\n  seconds: 2\n${extra}`,
    },
  })

  /**
   * A task every 2 s, run once, its host stopped for 7 s and started again. Returns how many
   * runs history held before the restart, and when it restarted (µs): once the new host says it
   * serves, its scheduler runs. Taken before starting it, that time missed the new process's own
   * start-up, which on a loaded machine is over a second: the fires in it are rightly missed.
   */
  async function downFor7s(extra: string) {
    data = dataWith(every2s(extra))
    const first = await start()
    await until(
      async () => (await history()).some((r) => r.status === 'succeeded'),
      6000,
      'a first run',
    )
    await stop(first)
    const before = (await history()).length
    await new Promise((resolve) => setTimeout(resolve, 7000))
    await start()
    return { before, restartedAt: Date.now() * 1000 }
  }

  it('with misfire_grace_time: null and coalesce: true, runs exactly one catch-up', async () => {
    const { before } = await downFor7s('  misfire_grace_time: null\n  coalesce: true\n')
    // Down 7 s with a fire every 2 s: at least 3 fires fell due; one runs, the rest are missed.
    const after = await until(
      async () => {
        const runs = (await history()).slice(before)
        const caughtUp = runs.some((r) => r.reason === 'catch-up' && r.status === 'succeeded')
        return caughtUp && runs.filter((r) => r.status === 'missed').length >= 2 && runs
      },
      10_000,
      'the catch-up and the missed fires',
    )
    expect(after.filter((r) => r.reason === 'catch-up')).toHaveLength(1)
    // The fires it stands for are in history too, as missed: visible, never silent.
    expect(after.filter((r) => r.status === 'missed').length).toBeGreaterThanOrEqual(2)
  }, 30_000)

  it('with the default grace of 1 s, records the missed fires and does not run them', async () => {
    const { before, restartedAt } = await downFor7s('')
    // Down 7 s with a fire every 2 s: at least 3 fires fell due, all but the last > 1 s late.
    const after = await until(
      async () => {
        const runs = (await history()).slice(before)
        return runs.filter((r) => r.status === 'missed').length >= 2 && runs
      },
      10_000,
      'the missed fires',
    )
    const missed = after.filter((r) => r.status === 'missed')
    for (const run of missed) {
      expect(run.scheduledAt).toBeLessThan(restartedAt)
      expect(run.error).toMatch(/more than 1s late \(misfire_grace_time: 1\)|coalesced/)
    }
    // A fire that came due less than 1 s before the restart is within the grace and may run;
    // anything older must not. Lateness is when the host decided (queued it): it may start a
    // few milliseconds later still on a loaded machine.
    for (const run of after.filter((r) => r.reason === 'catch-up'))
      expect(run.queuedAt * 1000 - (run.scheduledAt as number)).toBeLessThanOrEqual(1_000_000)
  }, 30_000)
})

describe('shutdown', () => {
  it('on SIGTERM lets a running task finish within the grace period', async () => {
    data = dataWith({ slow: { 'task.sh': 'echo start\nsleep 2\necho end\n', 'task.yaml': '' } })
    const host = await start()
    await fetch(`${host.url}/trigger/slow`)
    await until(
      async () => (await history()).some((r) => r.status === 'running'),
      5000,
      'the run to start',
    )
    expect(await stop(host)).toEqual({ code: 0, signal: null })
    const [run] = await history('slow')
    expect(run).toMatchObject({ status: 'succeeded', exitCode: 0 })
    const log = readFileSync(join(data, 'logs', 'slow', 'log.txt'), 'utf8')
    expect(log).toMatch(/\| start\n.*\| end\n.*ended with status code 0\n$/)
  })

  it('ends a task still running after the grace period and records it interrupted', async () => {
    data = dataWith({ stuck: { 'task.sh': 'echo start\nsleep 30\n', 'task.yaml': '' } })
    const host = await start({ TASSE_SHUTDOWN_GRACE: '1' })
    await fetch(`${host.url}/trigger/stuck`)
    await until(
      async () => (await history()).some((r) => r.status === 'running'),
      5000,
      'the run to start',
    )
    expect(await stop(host)).toEqual({ code: 0, signal: null })
    const [run] = await history('stuck')
    expect(run).toMatchObject({ status: 'interrupted', signal: 'SIGTERM' })
  })
})
