import { afterEach, describe, expect, it } from 'vitest'
import { type FireHandler, Scheduler } from './scheduler.js'
import { makeTask } from './testing/log-sink.js'
import type { EpochMicros, TaskDefinition, TaskState, Trigger } from './types.js'

const ms = (n: number): EpochMicros => n * 1000

/** A trigger every `period` ms from `now`, counting how often it is asked. */
function every(period: number): Trigger & { asked: number } {
  const trigger = {
    type: 'every',
    timezone: 'UTC',
    asked: 0,
    describe: () => `every ${period} ms`,
    nextFireTime(previous: EpochMicros | null, now: EpochMicros) {
      trigger.asked++
      return (previous ?? now) + ms(period)
    },
  }
  return trigger
}

function taskWith(trigger: Trigger, job: Partial<TaskDefinition['job']> = {}): TaskDefinition {
  const task = makeTask('tick')
  return { ...task, trigger, job: { ...task.job, ...job } }
}

function recorder() {
  const fires: { at: EpochMicros; catchUp: boolean }[] = []
  const missed: { times: readonly EpochMicros[]; more: number; why: string }[] = []
  const states: TaskState[] = []
  const handler: FireHandler = {
    fire: (_task, at, catchUp) => void fires.push({ at, catchUp }),
    missed: (_task, times, more, why) => void missed.push({ times, more, why }),
    stateChanged: (state) => void states.push(state),
  }
  return { fires, missed, states, handler }
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

let scheduler: Scheduler | undefined
afterEach(() => scheduler?.stop())

describe('Scheduler', () => {
  it('fires a task from its one timer, and saves its state at each fire', async () => {
    const seen = recorder()
    scheduler = new Scheduler({ handler: seen.handler })
    scheduler.schedule(taskWith(every(20)))
    expect(seen.states).toHaveLength(1)
    scheduler.start()
    await until(() => seen.fires.length >= 3, 'three fires')
    scheduler.stop()
    const fired = seen.fires.length
    for (const [i, fire] of seen.fires.entries()) {
      expect(fire.catchUp).toBe(false)
      if (i > 0) expect(fire.at - (seen.fires[i - 1]?.at as number)).toBe(ms(20))
    }
    expect(scheduler.state('tick')).toMatchObject({
      lastFireTime: seen.fires.at(-1)?.at,
      nextFireTime: (seen.fires.at(-1)?.at as number) + ms(20),
      paused: false,
    })
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(seen.fires).toHaveLength(fired)
  })

  it('resumes from a saved state: fires due while down are planned by planDue, as catch-ups', async () => {
    const seen = recorder()
    const now = () => ms(1_000_000)
    scheduler = new Scheduler({ handler: seen.handler, now })
    const saved = { task: 'tick', lastFireTime: null, nextFireTime: ms(999_940), paused: false }
    scheduler.schedule(taskWith(every(20), { misfireGraceTime: null, coalesce: true }), saved)
    scheduler.start()
    await until(() => seen.fires.length >= 1, 'the catch-up')
    // 999 940, 960, 980 and 1 000 000 were due: one catch-up run, the rest coalesced.
    expect(seen.fires[0]).toEqual({ at: ms(1_000_000), catchUp: false })
    expect(seen.missed[0]).toMatchObject({ times: [ms(999_940), ms(999_960), ms(999_980)] })
  })

  it('pauses a task (no fires, its timer left alone) and resumes it from now', async () => {
    const seen = recorder()
    let clock = ms(5_000)
    scheduler = new Scheduler({ handler: seen.handler, now: () => clock })
    scheduler.schedule(taskWith(every(1000)))
    expect(scheduler.setPaused('tick', true)).toMatchObject({ paused: true })
    scheduler.start()
    clock = ms(60_000)
    expect(scheduler.setPaused('tick', false)).toMatchObject({
      paused: false,
      nextFireTime: ms(61_000),
    })
    expect(scheduler.setPaused('nope', true)).toBeUndefined()
  })

  it('reports a trigger that throws and leaves the task unscheduled, the others firing', async () => {
    const seen = recorder()
    const errors: string[] = []
    scheduler = new Scheduler({
      handler: seen.handler,
      onError: (task, cause) => errors.push(`${task.name}: ${(cause as Error).message}`),
    })
    const broken: Trigger = {
      ...every(10),
      nextFireTime: () => {
        throw new Error('no more dates')
      },
    }
    scheduler.schedule({ ...taskWith(broken), name: 'broken' })
    scheduler.schedule(taskWith(every(10)))
    scheduler.start()
    await until(() => seen.fires.length >= 2, 'the other task to fire')
    expect(errors).toEqual(['broken: no more dates'])
    expect(scheduler.state('broken')).toMatchObject({ nextFireTime: null })
  })

  it('forgets an unscheduled task and ignores a task without trigger', async () => {
    const seen = recorder()
    scheduler = new Scheduler({ handler: seen.handler })
    scheduler.schedule(taskWith(every(10)))
    scheduler.schedule({ ...makeTask('manual'), trigger: null })
    scheduler.unschedule('tick')
    scheduler.start()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(seen.fires).toEqual([])
    expect(scheduler.state('tick')).toBeUndefined()
    expect(scheduler.state('manual')).toBeUndefined()
  })
})
