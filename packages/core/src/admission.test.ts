import { describe, expect, it } from 'vitest'
import { type AdmissionPolicy, type AdmittedRun, admit } from './admission.js'
import type { OverlapPolicy } from './types.js'

const policy = (overlap: OverlapPolicy, maxInstances = 1, queueSize = 1): AdmissionPolicy => ({
  overlap,
  queueSize,
  job: { maxInstances },
})
const holding = (id: string): AdmittedRun => ({ id, behind: false })
const behind = (id: string): AdmittedRun => ({ id, behind: true })
const ending = (id: string): AdmittedRun => ({ id, behind: false, ending: true })
const trigger = { scheduled: false, paused: false, accepting: true }
const fire = { ...trigger, scheduled: true }

describe('admit', () => {
  it.each([
    // overlap, max_instances, queue_size, runs not final, request → decision
    ['skip', 1, 1, [], trigger, { kind: 'start' }],
    ['skip', 2, 1, [holding('a')], trigger, { kind: 'start' }],
    ['allow', 3, 1, [holding('a'), holding('b')], fire, { kind: 'start' }],
    ['allow', Number.POSITIVE_INFINITY, 1, [holding('a'), holding('b')], fire, { kind: 'start' }],
    ['queue', 1, 1, [holding('a')], fire, { kind: 'queue' }],
    ['queue', 1, 2, [holding('a'), behind('b')], fire, { kind: 'queue' }],
    ['queue', 2, 1, [holding('a'), behind('b')], fire, { kind: 'start' }],
    ['replace', 1, 1, [holding('a')], trigger, { kind: 'replace', runIds: ['a'] }],
    ['replace', 2, 1, [holding('a'), holding('b')], fire, { kind: 'replace', runIds: ['a'] }],
    ['replace', 2, 1, [holding('a')], fire, { kind: 'start' }],
    // Issue #12, item 6: a replaced run slow to die still holds its slot; the next trigger
    // cancels every other run in the way, and waits for all of them.
    ['replace', 1, 1, [ending('a'), holding('b')], fire, { kind: 'replace', runIds: ['b'] }],
    ['replace', 1, 1, [ending('a'), ending('b')], fire, { kind: 'replace', runIds: [] }],
    ['replace', 1, 1, [holding('a'), holding('b')], fire, { kind: 'replace', runIds: ['a', 'b'] }],
    [
      'replace',
      2,
      1,
      [ending('a'), holding('b'), holding('c')],
      fire,
      { kind: 'replace', runIds: ['b'] },
    ],
  ] as const)(
    '%s, max %s, queue %s, with %j: %j',
    (overlap, max, queue, active, request, decision) => {
      expect(admit(active, policy(overlap, max, queue), request)).toStrictEqual(decision)
    },
  )

  it.each([
    [
      'skip: the oldest run holding a slot blocks',
      policy('skip'),
      [holding('a')],
      {
        code: 'overlap',
        message: 'run a is still running (overlap: skip, max_instances: 1 run at once)',
        blockingRunId: 'a',
      },
    ],
    [
      'allow: up to max_instances only',
      policy('allow', 2),
      [holding('a'), holding('b')],
      {
        code: 'overlap',
        message: 'run a is still running (overlap: allow, max_instances: 2 runs at once)',
        blockingRunId: 'a',
      },
    ],
    [
      'queue: a full queue',
      policy('queue', 1, 2),
      [holding('a'), behind('b'), behind('c')],
      {
        code: 'queue_full',
        message: 'run a is running and 2 run(s) already wait behind it (queue_size 2)',
        blockingRunId: 'a',
      },
    ],
  ] as const)('refuses, %s', (_, task, active, refusal) => {
    expect(admit(active, task, fire)).toStrictEqual({ kind: 'refuse', refusal })
    expect(admit(active, task, trigger)).toStrictEqual({ kind: 'refuse', refusal })
  })

  it('refuses the fires of a paused task, not its triggers or retries', () => {
    const paused = { ...fire, paused: true }
    expect(admit([], policy('skip'), paused)).toStrictEqual({
      kind: 'refuse',
      refusal: { code: 'paused', message: 'its schedule is paused (triggers still run it)' },
    })
    expect(admit([], policy('skip'), { ...paused, scheduled: false })).toStrictEqual({
      kind: 'start',
    })
  })

  it('refuses everything once the host is shutting down, before any other rule', () => {
    for (const task of [policy('skip'), policy('queue'), policy('replace'), policy('allow', 9)])
      for (const request of [fire, trigger, { ...fire, paused: true }])
        expect(admit([], task, { ...request, accepting: false })).toStrictEqual({
          kind: 'refuse',
          refusal: { code: 'shutting_down', message: 'the host is shutting down' },
        })
  })
})
