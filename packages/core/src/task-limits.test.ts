import { describe, expect, it } from 'vitest'
import { TasseConfigError } from './errors.js'
import { effectiveLimits, NO_LIMITS, readLimits } from './task-limits.js'

const at = { file: 'tasks/x/task.yaml', field: 'limits' }
const MIB = 2 ** 20

describe('readLimits', () => {
  it('reads sizes in binary units, CPUs and processes; absent keys are no limit', () => {
    expect(readLimits({ memory: '512M', cpu: 0.5, pids: 256 }, at)).toEqual({
      memoryBytes: 512 * MIB,
      cpu: 0.5,
      pids: 256,
    })
    expect(readLimits({ memory: '1.5G' }, at).memoryBytes).toBe(1.5 * 2 ** 30)
    for (const text of ['64Mi', '64MiB', '64mb', '64 M', '65536K'])
      expect(readLimits({ memory: text }, at).memoryBytes, text).toBe(64 * MIB)
    expect(readLimits({ memory: 8 * MIB }, at).memoryBytes).toBe(8 * MIB)
    expect(readLimits(null, at)).toEqual(NO_LIMITS)
    expect(readLimits({}, at)).toEqual(NO_LIMITS)
  })

  it.each([
    [{ memory: 512 }, 'limits.memory', 'at least 4M, got 512'],
    [{ memory: '512X' }, 'limits.memory', 'got "512X"'],
    [{ memory: '-1G' }, 'limits.memory', 'got "-1G"'],
    [{ cpu: 0 }, 'limits.cpu', 'from 0.01 to 4096 (0.5: half of one core), got 0'],
    [{ cpu: '50%' }, 'limits.cpu', 'got "50%"'],
    [{ pids: 1 }, 'limits.pids', 'at least 2'],
    [{ pids: 2.5 }, 'limits.pids', 'got 2.5'],
    [{ memroy: '1G' }, 'limits.memroy', 'did you mean "memory"?'],
    ['512M', 'limits', 'must be a mapping such as "{memory: 512M, cpu: 0.5, pids: 256}"'],
  ])('refuses %j, naming the file and %s', (value, field, problem) => {
    let error: unknown
    try {
      readLimits(value, at)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(TasseConfigError)
    expect((error as TasseConfigError).field).toBe(field)
    expect((error as Error).message).toContain(`tasks/x/task.yaml: ${field} `)
    expect((error as Error).message).toContain(problem)
  })

  it("takes the host's defaults for what the task does not set", () => {
    const defaults = { memoryBytes: MIB * 512, cpu: 1, pids: 100 }
    expect(effectiveLimits({ memoryBytes: null, cpu: 0.2, pids: null }, defaults)).toEqual({
      memoryBytes: MIB * 512,
      cpu: 0.2,
      pids: 100,
    })
    expect(effectiveLimits(NO_LIMITS)).toEqual(NO_LIMITS)
  })
})
