import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NO_LIMITS } from '@tasse/core'
import { afterEach, describe, expect, it } from 'vitest'
import { readHostLimits } from './host-limits.js'

const MIB = 2 ** 20
let dir = ''
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = ''
})

function dataWithConfig(yaml: string | null): string {
  dir = mkdtempSync(join(tmpdir(), 'tasse-host-limits-'))
  if (yaml !== null) writeFileSync(join(dir, 'tasse.yaml'), yaml)
  return dir
}

describe('readHostLimits', () => {
  it('reads --limits over TASSE_LIMITS over limits: in tasse.yaml', () => {
    const data = dataWithConfig('limits: {memory: 1G, pids: 100}\n')
    expect(readHostLimits(data, undefined, {})).toEqual({
      memoryBytes: 1024 * MIB,
      cpu: null,
      pids: 100,
    })
    expect(readHostLimits(data, undefined, { TASSE_LIMITS: 'cpu=0.5' })).toEqual({
      memoryBytes: null,
      cpu: 0.5,
      pids: null,
    })
    expect(readHostLimits(data, 'memory=512M, cpu=2,pids=64', { TASSE_LIMITS: 'cpu=0.5' })).toEqual(
      { memoryBytes: 512 * MIB, cpu: 2, pids: 64 },
    )
    expect(readHostLimits(dataWithConfig(null), undefined, {})).toEqual(NO_LIMITS)
  })

  it('refuses a bad value naming the flag, the variable or the file and the key', () => {
    const data = dataWithConfig('limits: {memory: lots}\n')
    expect(() => readHostLimits(data, 'memory=512', {})).toThrow(
      '--limits: memory must be a size such as 512M',
    )
    expect(() => readHostLimits(data, undefined, { TASSE_LIMITS: 'cpu' })).toThrow(
      'TASSE_LIMITS must be key=value pairs separated by commas (e.g. "memory=512M,cpu=0.5,pids=256"), got "cpu"',
    )
    expect(() => readHostLimits(data, 'cpus=1', {})).toThrow('--limits: cpus is not a known option')
    expect(() => readHostLimits(data, undefined, {})).toThrow(
      `${join(data, 'tasse.yaml')}: limits.memory must be a size such as 512M`,
    )
  })
})
