import { describe, expect, it } from 'vitest'
import { describeLimits, formatBytes, OUT_OF_MEMORY, withOutOfMemory } from './run-limits.js'

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
