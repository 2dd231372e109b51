/**
 * Issue #6, overlap policies, retries and pause, with a task that runs longer than the interval
 * between its fires (a 0.9 s task fired every 0.3 s).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Run, Tasse } from '@tasse/core'
import { afterEach, describe, expect, it } from 'vitest'
import { removeData, startTasse, tempData, waitFor } from './helpers.js'

let tasse: Tasse | undefined
let data = ''

afterEach(async () => {
  await tasse?.stop(1000)
  tasse = undefined
  removeData(data)
})

async function firing(overlap: string, extra = ''): Promise<Tasse> {
  data = tempData('slow')
  writeFileSync(
    join(data, 'tasks', 'slow', 'task.yaml'),
    `scheduler:\n  trigger: every\n  ms: 300\noverlap: ${overlap}\n${extra}`,
  )
  tasse = await startTasse(data, { env: { ...process.env, SLOW_SECONDS: '0.9' } })
  return tasse
}

/** Lets the schedule run for `ms`, then stops firing and waits for the runs to end. */
async function runFor(t: Tasse, ms: number): Promise<Run[]> {
  await new Promise((resolve) => setTimeout(resolve, ms))
  t.pause('slow')
  await waitFor(() => t.activeRuns('slow').length === 0, 5000, 'the runs to end')
  return (await t.listRuns({ task: 'slow', limit: 500 })).runs.reverse()
}

function overlapping(runs: Run[]): number {
  let most = 0
  for (const run of runs) {
    if (run.startedAt === null) continue
    const during = runs.filter(
      (o) =>
        o.startedAt !== null &&
        o.startedAt <= (run.startedAt as number) &&
        (o.endedAt ?? Infinity) > (run.startedAt as number),
    )
    most = Math.max(most, during.length)
  }
  return most
}

describe('overlap policies', () => {
  it('skip (the default) records the fires it skips', async () => {
    const runs = await runFor(await firing('skip'), 2000)
    expect(runs.filter((r) => r.status === 'skipped').length).toBeGreaterThanOrEqual(3)
    expect(runs.filter((r) => r.status === 'succeeded').length).toBeGreaterThanOrEqual(1)
    expect(overlapping(runs)).toBe(1)
  })

  it('queue runs one waiting fire after the current run, and skips beyond the queue size', async () => {
    const runs = await runFor(await firing('queue'), 2000)
    const ran = runs.filter((r) => r.status === 'succeeded')
    expect(ran.length).toBeGreaterThanOrEqual(2)
    expect(overlapping(runs)).toBe(1)
    // each queued run started right after the one before it ended
    for (let i = 1; i < ran.length; i++)
      expect((ran[i]?.startedAt as number) - (ran[i - 1]?.endedAt as number)).toBeLessThan(250)
    expect(runs.filter((r) => r.status === 'skipped').length).toBeGreaterThanOrEqual(1)
  })

  it('replace cancels the running run for the new one', async () => {
    const runs = await runFor(await firing('replace'), 1500)
    const cancelled = runs.filter((r) => r.status === 'cancelled')
    expect(cancelled.length).toBeGreaterThanOrEqual(2)
    expect(cancelled[0]?.error).toMatch(/^replaced by run /)
    expect(runs.filter((r) => r.status === 'skipped')).toEqual([])
  })

  it('allow runs up to max_instances together', async () => {
    const runs = await runFor(await firing('allow', 'max_instances: 2\n'), 2000)
    expect(overlapping(runs)).toBe(2)
    expect(runs.filter((r) => r.status === 'skipped').length).toBeGreaterThanOrEqual(1)
  })
})

describe('retries', () => {
  it('retries a failed run, each attempt linked to the first', async () => {
    data = tempData('exit-3')
    writeFileSync(
      join(data, 'tasks', 'exit-3', 'task.yaml'),
      'retries: {max: 2, delay: 100ms, backoff: 2}\n',
    )
    const t = await startTasse(data)
    tasse = t
    const first = await t.trigger('exit-3')
    const runs = await waitFor(
      async () => {
        const page = await t.listRuns({ task: 'exit-3' })
        return (
          page.runs.length === 3 &&
          page.runs.every((r) => r.status === 'failed') &&
          page.runs.reverse()
        )
      },
      5000,
      'three attempts',
    )
    expect(runs.map((r) => [r.attempt, r.reason, r.retryOf])).toEqual([
      [1, 'trigger', null],
      [2, 'retry', first.id],
      [3, 'retry', first.id],
    ])
    // delays of 100 ms then 200 ms
    expect((runs[2]?.queuedAt as number) - (runs[1]?.endedAt as number)).toBeGreaterThanOrEqual(190)
  })
})

/** The `ok` fixture firing every 100 ms. */
async function everyTenthOfASecond(): Promise<Tasse> {
  data = tempData('ok')
  writeFileSync(join(data, 'tasks', 'ok', 'task.yaml'), 'scheduler:\n  trigger: every\n  ms: 100\n')
  tasse = await startTasse(data)
  return tasse
}

describe('pause', () => {
  it('stops the fires of a paused task until it is resumed; triggers still run it', async () => {
    const t = await everyTenthOfASecond()
    expect(t.pause('ok')).toMatchObject({ paused: true })
    expect(t.taskInfo('ok')?.state).toBe('paused')
    await waitFor(() => t.activeRuns('ok').length === 0, 2000, 'runs to end')
    const count = (await t.listRuns({ task: 'ok' })).runs.length
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect((await t.listRuns({ task: 'ok' })).runs.length).toBe(count)
    expect((await t.waitForRun((await t.trigger('ok')).id)).status).toBe('succeeded')
    t.resume('ok')
    await waitFor(
      async () => (await t.listRuns({ task: 'ok' })).runs.length >= count + 3,
      3000,
      'fires again',
    )
  })

  it('says so with a task:paused event, once per change (the dashboard follows it)', async () => {
    const t = await everyTenthOfASecond()
    const seen: string[] = []
    t.on('task:paused', (task, paused) => seen.push(`${task.name} ${paused}`))
    t.pause('ok')
    t.pause('ok')
    t.resume('ok')
    expect(seen).toEqual(['ok true', 'ok false'])
  })
})
