import { afterEach, describe, expect, it } from 'vitest'
import { TasseEvents } from './events.js'
import { MemoryRunStore } from './memory-store.js'
import { newRun } from './run-recorder.js'
import { TaskHealth, type TaskHealthOptions } from './task-health.js'
import { makeTask } from './testing/index.js'
import type { Run, RunStatus, TaskDefinition, TaskState } from './types.js'

const alive: TaskHealth[] = []
afterEach(() => {
  for (const health of alive.splice(0)) health.stop()
})

/** A TaskHealth over one task, its schedule state as data, and the alerts it announces. */
function follow(
  task: TaskDefinition,
  states: TaskState[] = [],
  store = new MemoryRunStore(),
  hostId: string | null = null,
) {
  const events = new TasseEvents()
  const alerts: string[] = []
  const warnings: string[] = []
  events.on('task:alert', (alert) => alerts.push(`${alert.event}: ${alert.reason}`))
  let schedule: TaskState | undefined = task.trigger
    ? {
        task: task.name,
        lastFireTime: null,
        nextFireTime: Date.now() * 1000 + 60e6,
        paused: states.find((state) => state.task === task.name)?.paused ?? false,
      }
    : undefined
  const running: Run[] = []
  const options: TaskHealthOptions = {
    events,
    logger: { info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    tasks: () => [task],
    task: (name) => (name === task.name ? task : undefined),
    schedule: () => schedule,
    running: () => running,
    setPaused: (_, paused) => {
      if (schedule) schedule = { ...schedule, paused }
      events.emit('task:paused', task, paused)
    },
    store: () => store,
    hostId: () => hostId,
    checkEveryMs: 60_000,
  }
  const health = new TaskHealth(options)
  alive.push(health)
  health.start(new Map(states.map((state) => [state.task, state])))
  const end = (status: RunStatus, error: string | null = null) => {
    const run = { ...newRun(task, { reason: 'schedule' }, {}), status, error }
    run.startedAt = Date.now() - 10
    events.emit('run:started', { ...run, status: 'running' })
    run.endedAt = Date.now()
    events.emit('run:ended', run)
    return run
  }
  return { health, events, alerts, warnings, end, running, schedule: () => schedule }
}

/** Polls `check` (the store is asked asynchronously) for up to 20 s. */
async function until(check: () => unknown): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const interval = { type: 'test', timezone: 'UTC', describe: () => 'test', nextFireTime: () => null }

describe('TaskHealth', () => {
  it('counts failures, announces failed once each and recovered on the first success', () => {
    const { health, alerts, end } = follow(makeTask('job'))
    end('failed', 'exited with code 3')
    end('timed_out', 'ran longer than its timeout of 1s')
    expect(health.view('job').consecutiveFailures).toBe(2)
    const ok = end('succeeded')
    expect(health.view('job')).toMatchObject({ consecutiveFailures: 0, lastSuccessAt: ok.endedAt })
    expect(alerts.map((a) => a.split(':')[0])).toEqual([
      'failed',
      'failed',
      'succeeded',
      'recovered',
    ])
    expect(alerts[3]).toContain('succeeded after 2 failed run(s)')
  })

  it('pauses after on_failure.pause_after failures, says why, and resuming clears the count', () => {
    const task = makeTask('job', {
      trigger: interval,
      onFailure: { pauseAfter: 2, resumeAfterMs: null },
    })
    const { health, alerts, end, events, schedule } = follow(task)
    end('failed')
    expect(schedule()?.paused).toBe(false)
    end('failed')
    expect(schedule()?.paused).toBe(true)
    expect(health.view('job').pausedReason).toBe(
      'paused after 2 consecutive failed runs (on_failure.pause_after: 2); resume it by hand',
    )
    expect(alerts.filter((a) => a.startsWith('paused'))).toHaveLength(1)
    events.emit('task:paused', task, false)
    expect(health.view('job')).toMatchObject({ consecutiveFailures: 0, pausedReason: null })
  })

  it('finds the fire time a previous host left unanswered at start: overdue, told once', async () => {
    const task = makeTask('job', {
      trigger: interval,
      expect: { startWithinMs: 3000, finishWithinMs: null },
    })
    const owed = (Date.now() - 6000) * 1000
    const { health, alerts, end } = follow(task, [
      { task: 'job', lastFireTime: null, nextFireTime: owed, paused: false },
    ])
    await until(() => health.view('job').overdue)
    expect(health.view('job').overdue?.reason).toMatch(/^no run started within 3s of its fire time/)
    health.check()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(alerts.filter((a) => a.startsWith('overdue'))).toHaveLength(1)
    end('failed')
    expect(health.view('job').overdue).not.toBeNull()
    end('succeeded')
    expect(health.view('job').overdue).toBeNull()
    expect(alerts.at(-1)).toContain('after 1 failed run(s) and being overdue')
  })

  it('hosts sharing a store: a fire another host answered is not overdue; one unanswered is told by one host', async () => {
    const task = makeTask('job', {
      trigger: interval,
      expect: { startWithinMs: 3000, finishWithinMs: null },
    })
    const store = new MemoryRunStore()
    const owed = (Date.now() - 6000) * 1000
    const state = { task: 'job', lastFireTime: null, nextFireTime: owed, paused: false }
    // Run by another host 1 s after the fire time: answered.
    const answered = { ...newRun(task, { reason: 'schedule' }, {}), status: 'succeeded' as const }
    answered.startedAt = Date.now() - 5000
    await store.insertRun(answered)
    const a = follow(task, [state], store, 'host-a')
    await until(() => !a.health.view('job').overdue && a.warnings.length === 0)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(a.health.view('job').overdue).toBeNull()
    a.health.stop()
    // No run since the fire time: both hosts find it overdue, one of them tells it.
    const empty = new MemoryRunStore()
    const [b, c] = [follow(task, [state], empty, 'host-b'), follow(task, [state], empty, 'host-c')]
    await until(() => b.health.view('job').overdue && c.health.view('job').overdue)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect([...b.alerts, ...c.alerts].filter((x) => x.startsWith('overdue'))).toHaveLength(1)
  })

  it('counts the runs of other hosts from the store’s changes: each once, a success clears', () => {
    const task = makeTask('job', { trigger: interval })
    const { health, alerts, end } = follow(task)
    const change = (id: string, status: RunStatus) =>
      health.otherHostRun({ type: 'run', id, task: 'job', status, hostId: 'other' })
    change('r1', 'failed')
    change('r1', 'failed') // the same end told twice
    change('r2', 'running')
    change('r2', 'timed_out')
    expect(health.view('job').consecutiveFailures).toBe(2)
    end('failed')
    expect(health.view('job').consecutiveFailures).toBe(3)
    change('r3', 'succeeded')
    expect(health.view('job').consecutiveFailures).toBe(0)
    // Its alerts are its own host's: here only the local failure was told.
    expect(alerts.map((a) => a.split(':')[0])).toEqual(['failed'])
  })

  it('tells again why on_failure paused a task after a restart, from the stored pause and failures', async () => {
    const task = makeTask('job', {
      trigger: interval,
      onFailure: { pauseAfter: 2, resumeAfterMs: 3_600_000 },
    })
    const store = new MemoryRunStore()
    const ends = [30_000, 20_000, 10_000].map((ago) => Date.now() - ago)
    for (const endedAt of ends)
      await store.insertRun({
        ...newRun(task, { reason: 'schedule' }, {}),
        status: 'failed',
        queuedAt: endedAt - 10,
        startedAt: endedAt - 5,
        endedAt,
      })
    const paused = { task: 'job', lastFireTime: null, nextFireTime: null, paused: true }
    const { health, schedule } = follow(task, [paused], store)
    await until(() => health.view('job').pausedReason)
    // Paused when the second failure of the streak ended: it resumes an hour after that.
    expect(health.view('job')).toMatchObject({
      consecutiveFailures: 3,
      pausedReason:
        'paused after 2 consecutive failed runs (on_failure.pause_after: 2); resumes by itself after 1h, or resume it by hand',
      resumesAt: (ends[1] as number) + 3_600_000,
    })
    expect(schedule()?.paused).toBe(true)
    health.stop()
    // Its cooldown over while no host ran: resumed at start.
    const short = makeTask('job', {
      trigger: interval,
      onFailure: { pauseAfter: 2, resumeAfterMs: 5000 },
    })
    const later = follow(short, [paused], store)
    await until(() => later.schedule()?.paused === false)
    expect(later.health.view('job')).toMatchObject({ consecutiveFailures: 0, pausedReason: null })
  })

  it('is overdue when a run goes on past finish_within', () => {
    const task = makeTask('job', { expect: { startWithinMs: null, finishWithinMs: 1000 } })
    const { health, running } = follow(task)
    running.push({
      ...newRun(task, { reason: 'trigger' }, {}),
      id: 'r1',
      startedAt: Date.now() - 5000,
    })
    health.check()
    expect(health.view('job').overdue?.reason).toMatch(/^run r1 has been running for 5s/)
  })

  it('reads failure counts and the last success from history at start', async () => {
    const store = new MemoryRunStore()
    const task = makeTask('job')
    const at = Date.now() - 60_000
    for (const [i, status] of (['succeeded', 'failed', 'failed'] as const).entries())
      await store.insertRun({
        ...newRun(task, { reason: 'schedule' }, {}, null, at + i),
        status,
        startedAt: at + i,
        endedAt: at + i + 1,
      })
    const { health } = follow(task, [], store)
    await expect.poll(() => health.view('job').consecutiveFailures).toBe(2)
    expect(health.view('job')).toMatchObject({ lastSuccessAt: at + 1, lastRunAt: at + 2 })
  })

  it('never lets a listener of task:alert throw into the run events', () => {
    const { events, end, warnings } = follow(makeTask('job'))
    events.on('task:alert', () => {
      throw new Error('boom')
    })
    expect(() => end('failed')).not.toThrow()
    expect(warnings).toContain('a listener of task:alert failed (task "job")')
  })
})
