import { describe, expect, it } from 'vitest'
import { TasseEvents } from './events.js'
import { MemoryRunStore } from './memory-store.js'
import { newRun, RunRecorder } from './run-recorder.js'
import type { Run, RunStore, TasseLogger } from './types.js'

function setup(store: RunStore = new MemoryRunStore()) {
  const events = new TasseEvents()
  const logged: string[] = []
  const logger: TasseLogger = {
    info: () => {},
    warn: () => {},
    error: (message, cause) => logged.push(`${message}: ${(cause as Error).message}`),
  }
  const seen: string[] = []
  events.on('run:queued', (run) => seen.push(`queued ${run.status}`))
  events.on('run:ended', (run) => seen.push(`ended ${run.status}`))
  return { store, recorder: new RunRecorder(() => store, events, logger), logged, seen }
}

const task = { name: 'report' }

describe('newRun', () => {
  it('makes a queued run of the request, first attempt unless told', () => {
    const run = newRun(task, { reason: 'schedule', scheduledAt: 5 }, { date: 'x' }, 'host-1', 1000)
    expect(run).toMatchObject({
      task: 'report',
      reason: 'schedule',
      params: { date: 'x' },
      scheduledAt: 5,
      queuedAt: 1000,
      status: 'queued',
      attempt: 1,
      retryOf: null,
      hostId: 'host-1',
    })
    expect(newRun(task, { reason: 'retry', attempt: 2, retryOf: run.id }, {})).toMatchObject({
      attempt: 2,
      retryOf: run.id,
      scheduledAt: null,
    })
  })
})

describe('RunRecorder', () => {
  it('writes a run’s states in the order they happened, and announces it', async () => {
    const { store, recorder, seen } = setup()
    const run = newRun(task, { reason: 'trigger' }, {})
    await recorder.insert(run)
    recorder.update(run, { status: 'running', startedAt: 1 })
    recorder.update(run, { status: 'succeeded', exitCode: 0, endedAt: 2 })
    expect(run.status).toBe('succeeded')
    await recorder.flush()
    expect(await store.getRun(run.id)).toStrictEqual(run)
    expect(seen).toEqual(['queued queued'])
  })

  it('records a run that never ran with its reason, and announces its end', async () => {
    const { store, recorder, seen } = setup()
    const run = newRun(task, { reason: 'schedule', scheduledAt: 7 }, {})
    const recorded = await recorder.final(run, 'missed', 'more than 1s late')
    expect(recorded).toMatchObject({ status: 'missed', error: 'more than 1s late' })
    expect(await store.getRun(run.id)).toStrictEqual(recorded)
    expect(seen).toEqual(['ended missed'])
  })

  it('logs a write that fails and goes on with the next ones, never overtaking', async () => {
    const inner = new MemoryRunStore()
    const order: string[] = []
    let failNext = true
    const store: RunStore = Object.assign(Object.create(inner) as RunStore, {
      insertRun: async (run: Run) => {
        await new Promise((resolve) => setTimeout(resolve, 20))
        order.push(`insert ${run.id}`)
        if (failNext) {
          failNext = false
          throw new Error('disk full')
        }
        return inner.insertRun(run)
      },
      updateRun: async (id: string, patch: Partial<Run>) => {
        order.push(`update ${id}`)
        return inner.updateRun(id, patch)
      },
    })
    const { recorder, logged } = setup(store)
    const lost = newRun(task, { reason: 'trigger' }, {})
    const kept = newRun(task, { reason: 'trigger' }, {})
    await Promise.all([recorder.insert(lost), recorder.insert(kept)])
    recorder.update(kept, { status: 'running' })
    await recorder.flush()
    expect(order).toEqual([`insert ${lost.id}`, `insert ${kept.id}`, `update ${kept.id}`])
    expect(logged).toEqual([`could not record run ${lost.id}: disk full`])
    expect((await inner.getRun(kept.id))?.status).toBe('running')
  })
})
