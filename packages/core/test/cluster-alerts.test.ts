/**
 * Issue #17 on hosts sharing one store (#14 stage 2), real processes: a failure streak is the
 * task's whatever host ran each run, each run's alerts come from the host that ran it (never
 * once per host), a pause after repeated failures reaches every host through the store, a
 * resume anywhere starts the count afresh everywhere, and an overdue task is told once.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryRunStore, type TaskAlert, type Tasse } from '@tasse/core'
import { afterEach, describe, expect, it } from 'vitest'
import { removeData, startTasse, tempData, waitFor } from './helpers.js'

const dirs: string[] = []
const started: Tasse[] = []

afterEach(async () => {
  for (const tasse of started.splice(0)) await tasse.stop(0)
  for (const dir of dirs.splice(0)) removeData(dir)
})

/** What each host announced, with the host that announced it. */
const told: { host: Tasse; alert: TaskAlert }[] = []

/** A host on its own data folder with the task `job` (`yaml`, `script`), on the shared store. */
async function host(store: MemoryRunStore, yaml: string, script: string) {
  const dir = tempData()
  dirs.push(dir)
  const task = join(dir, 'tasks', 'job')
  rmSync(task, { recursive: true, force: true })
  mkdirSync(task, { recursive: true })
  writeFileSync(join(task, 'task.yaml'), yaml)
  writeFileSync(join(task, 'task.sh'), script)
  const tasse = await startTasse(dir, { store })
  started.push(tasse)
  tasse.on('task:alert', (alert) => told.push({ host: tasse, alert }))
  return tasse
}

function shared(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tasse-cluster-alerts-'))
  dirs.push(dir)
  return dir
}

const events = (event: string) => told.filter((t) => t.alert.event === event)

describe('alerts of hosts sharing one store', () => {
  it('count failures over every host, tell each run once from its host, pause everywhere once', async () => {
    told.length = 0
    const store = new MemoryRunStore()
    const ok = join(shared(), 'ok')
    const script = `if [ -f ${ok} ]; then exit 0; fi\necho broken >&2\nexit 3\n`
    const yaml = 'scheduler:\n  trigger: every\n  ms: 3600000\non_failure: {pause_after: 3}\n'
    const a = await host(store, yaml, script)
    const b = await host(store, yaml, script)
    const both = (n: number) =>
      a.health('job').consecutiveFailures === n && b.health('job').consecutiveFailures === n
    // Runs alternate between the hosts: the streak is the task's.
    for (const [tasse, n] of [
      [a, 1],
      [b, 2],
      [a, 3],
    ] as const) {
      const run = await tasse.trigger('job')
      await tasse.waitForRun(run.id)
      await waitFor(() => both(n), 20_000, `both hosts to count ${n} failures`)
    }
    await waitFor(() => b.taskInfo('job')?.schedule?.paused, 20_000, 'b to follow the pause')
    expect(a.taskInfo('job')?.schedule?.paused).toBe(true)
    const failed = events('failed')
    expect(failed).toHaveLength(3)
    for (const { host: teller, alert } of failed)
      expect(alert.run?.hostId).toBe(teller.membership.hostId)
    expect(events('paused')).toHaveLength(1)
    expect(events('paused')[0]?.host).toBe(a)
    expect(a.health('job').pausedReason).toContain('paused after 3 consecutive failed runs')
    await waitFor(() => b.health('job').pausedReason, 20_000, 'b to tell why')
    expect(b.health('job').pausedReason).toBe(a.health('job').pausedReason)

    // Resumed on b: a starts counting afresh too.
    b.resume('job')
    await waitFor(() => a.taskInfo('job')?.schedule?.paused === false, 20_000, 'a to resume')
    await waitFor(() => both(0), 20_000, 'both counts to start afresh')
    const again = await a.trigger('job')
    await a.waitForRun(again.id)
    await waitFor(() => both(1), 20_000, 'both hosts to count the failure on a')
    writeFileSync(ok, '')
    const fixed = await b.trigger('job')
    expect((await b.waitForRun(fixed.id)).status).toBe('succeeded')
    await waitFor(() => both(0), 20_000, 'both hosts to count the success on b')
    expect(events('recovered').map((t) => t.host)).toEqual([b])
    expect(events('paused')).toHaveLength(1)
  }, 60_000)

  it('tell an overdue task once, and clear it on every host with the next good run', async () => {
    told.length = 0
    const store = new MemoryRunStore()
    const hold = join(shared(), 'hold')
    writeFileSync(hold, '')
    // The first run holds the task past start_within: the fires behind it are skipped.
    const script = `if [ -f ${hold} ]; then sleep 4; fi\n`
    const yaml = 'scheduler:\n  trigger: every\n  ms: 500\nexpect: {start_within: 1s}\n'
    const [a, b] = await Promise.all([host(store, yaml, script), host(store, yaml, script)])
    await waitFor(
      () => a.health('job').overdue && b.health('job').overdue,
      20_000,
      'both hosts to find the task overdue',
    )
    rmSync(hold)
    await waitFor(
      () => events('recovered').length === 1,
      20_000,
      'the good run after it to be told recovered',
    )
    await waitFor(
      () => !a.health('job').overdue && !b.health('job').overdue,
      20_000,
      'both hosts to clear it',
    )
    expect(events('overdue')).toHaveLength(1)
    expect(events('recovered')).toHaveLength(1)
  }, 60_000)
})
