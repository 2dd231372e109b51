/**
 * Issue #14: two `tasse serve` on one data folder (SQLite) used to both fire every schedule,
 * and the second one's recovery recorded the first one's running runs `interrupted` and killed
 * their processes. Now the second host is refused before recovery, naming the first one's pid,
 * and the first one's runs go on untouched. Real processes, real files.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Run } from '@tasse/core'
import { createSqliteRunStore } from '@tasse/store-sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import {
  dataWith,
  type HostProcess,
  killHosts,
  processAlive,
  spawnTasse,
  startHostProcess,
  until,
} from './host-process.js'

let data = ''
const hosts: HostProcess[] = []

afterEach(async () => {
  await killHosts(hosts)
  rmSync(data, { recursive: true, force: true })
})

async function history(task: string): Promise<Run[]> {
  const store = createSqliteRunStore({ path: join(data, '.tasse', 'tasse.db') })
  try {
    return (await store.listRuns({ task, limit: 500 })).runs
  } finally {
    await store.close()
  }
}

/** Runs `tasse serve` on the folder to its end; resolves with its exit code and output. */
async function serveToEnd(): Promise<{ code: number | null; output: string }> {
  const second = spawnTasse(['serve', '--data', data, '--port', '0'])
  const timer = setTimeout(() => second.child.kill('SIGKILL'), 30_000)
  const { code } = await second.exited
  clearTimeout(timer)
  return { code, output: second.output() }
}

describe('a second host on the same data folder (SQLite)', () => {
  it("is refused before recovery, naming the first host's pid, and touches none of its runs", async () => {
    data = dataWith({
      sleeper: {
        'task.sh': 'echo started; sleep 60\n',
        'task.yaml': 'scheduler:\n  trigger: interval\n  seconds: 3600\n',
      },
    })
    const first = await startHostProcess(data)
    hosts.push(first)
    const started = await fetch(`${first.url}/api/v1/tasks/sleeper/runs`, { method: 'POST' })
    const { id } = (await started.json()) as { id: string }
    const run = await until(
      async () => (await history('sleeper')).find((r) => r.id === id && r.pid !== null),
      20_000,
      'the run to be running with its pid on record',
    )

    const second = await serveToEnd()
    expect(second.code).toBe(1)
    expect(second.output).toContain(`another host (pid ${first.child.pid} on `)
    expect(second.output).toContain('is serving')
    expect(second.output).not.toContain('recorded as interrupted')

    expect(await history('sleeper')).toMatchObject([{ id, status: 'running', pid: run.pid }])
    expect(processAlive(run.pid as number)).toBe(true)
    // The first host still serves, and its run can still be cancelled through it.
    const cancel = await fetch(`${first.url}/api/v1/runs/${id}/cancel`, { method: 'POST' })
    expect(cancel.status).toBe(202)
    await until(
      async () => (await history('sleeper'))[0]?.status === 'cancelled',
      20_000,
      'the run cancelled by the first host',
    )
  }, 60_000)

  it('starts once the first host has stopped, or died: the lock goes with its process', async () => {
    data = dataWith({ quiet: { 'task.sh': 'echo hi\n', 'task.yaml': '' } })
    const first = await startHostProcess(data)
    hosts.push(first)
    first.child.kill('SIGTERM')
    expect(await first.exited).toEqual({ code: 0, signal: null })

    const second = await startHostProcess(data)
    hosts.push(second)
    second.child.kill('SIGKILL')
    await second.exited
    const third = await startHostProcess(data)
    hosts.push(third)
    expect(third.output()).toContain('serving')
  }, 60_000)
})
