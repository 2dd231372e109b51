import { describe, expect, it } from 'vitest'
import type { RunCgroups } from './run-cgroup.js'
import {
  describeLimits,
  formatBytes,
  OUT_OF_MEMORY,
  RunLimiter,
  withOutOfMemory,
} from './run-limits.js'
import { NO_LIMITS } from './task-limits.js'
import type { TaskDefinition, TasseLogger } from './types.js'

describe('withOutOfMemory', () => {
  const failed = { status: 'failed' as const, error: 'ended by signal SIGKILL' }

  it('names a run the OOM killer ended "out of memory", not a bare signal', () => {
    expect(withOutOfMemory(failed, 'SIGKILL', { oomKilled: true })).toEqual({
      status: 'failed',
      error: OUT_OF_MEMORY,
    })
  })

  it('adds it to the failure of a task that survived the kill of one of its processes', () => {
    const exited = { status: 'failed' as const, error: 'exited with code 1' }
    expect(withOutOfMemory(exited, null, { oomKilled: true }).error).toBe(
      'exited with code 1 (out of memory: the kernel killed one of its processes)',
    )
  })

  it('leaves a run that succeeded, was cancelled or timed out, or was not OOM-killed as it was', () => {
    const ok = { status: 'succeeded' as const, error: null }
    expect(withOutOfMemory(ok, null, { oomKilled: true })).toBe(ok)
    const timedOut = { status: 'timed_out' as const, error: 'ran longer than its timeout of 1s' }
    expect(withOutOfMemory(timedOut, 'SIGKILL', { oomKilled: true })).toBe(timedOut)
    expect(withOutOfMemory(failed, 'SIGKILL', { oomKilled: false })).toBe(failed)
    expect(withOutOfMemory(failed, 'SIGKILL', null)).toBe(failed)
  })
})

describe('describeLimits', () => {
  it('says each limit set, sizes in binary units', () => {
    expect(describeLimits({ memoryBytes: 64 * 2 ** 20, cpu: 0.2, pids: 32 })).toBe(
      'memory 64 MiB, cpu 0.2, pids 32',
    )
    expect(formatBytes(1536 * 2 ** 20)).toBe('1.5 GiB')
    expect(formatBytes(300)).toBe('300 B')
  })
})

describe('RunLimiter', () => {
  const warnings: string[] = []
  const logger = {
    info() {},
    warn: (message: string) => warnings.push(message),
    error() {},
  } as unknown as TasseLogger
  const cgroups = {
    kind: 'v2',
    places: {
      v2: ['memory', 'cpu'],
      v2Accounting: true,
      v1: {},
      missing: { pids: 'no pids controller' },
    },
  } as unknown as RunCgroups
  const task = { name: 'forks', limits: { ...NO_LIMITS, pids: 32 } } as TaskDefinition

  it('says at start what it enforces and where, and why not the rest', () => {
    const limiter = new RunLimiter(() => cgroups, { ...NO_LIMITS, cpu: 1 }, logger)
    expect(limiter.describe()).toBe(
      'limits enforced: memory (cgroup v2), cpu (cgroup v2) (host defaults: cpu 1)\nlimits: pids not enforced, no pids controller',
    )
    expect(
      new RunLimiter(() => null, NO_LIMITS, logger, 'control groups are off').describe(),
    ).toMatch(/^limits: not enforced, control groups are off/)
  })

  it('warns once, not at every run, that a limit a task asks for is not enforced', () => {
    warnings.length = 0
    const limiter = new RunLimiter(() => cgroups, NO_LIMITS, logger)
    limiter.apply(task, null)
    limiter.apply(task, null)
    expect(warnings).toEqual([
      'task "forks": limits.pids is not enforced on this host (the run has no control group of its own); said once',
    ])
  })
})
