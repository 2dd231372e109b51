import { describe, expect, it } from 'vitest'
import { runExitCode } from './exit-code.js'

describe('runExitCode', () => {
  it.each([
    [{ status: 'succeeded', exitCode: 0, signal: null }, 0],
    [{ status: 'failed', exitCode: 3, signal: null }, 3],
    [{ status: 'failed', exitCode: null, signal: 'SIGKILL' }, 137],
    [{ status: 'failed', exitCode: null, signal: null }, 1], // could not start
    [{ status: 'timed_out', exitCode: null, signal: 'SIGTERM' }, 124],
    [{ status: 'cancelled', exitCode: null, signal: 'SIGTERM' }, 130],
    [{ status: 'skipped', exitCode: null, signal: null }, 1],
    [{ status: 'interrupted', exitCode: 0, signal: null }, 1],
  ] as const)('%o → %i', (run, code) => {
    expect(runExitCode(run)).toBe(code)
  })
})
