import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { pidsWithEnv } from './proc-sweep.js'

describe('pidsWithEnv', () => {
  it('finds a setsid daemon by a variable of its environment, and nothing by a longer name', async () => {
    const value = `sweep-${process.pid}-${Date.now()}`
    const child = spawn('setsid', ['sleep', '300'], {
      stdio: 'ignore',
      env: { PATH: process.env.PATH, TASSE_RUN_ID: value },
    })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    const deadline = Date.now() + 20_000
    let found: number[] = []
    while (!found.length && Date.now() < deadline) {
      found = pidsWithEnv('TASSE_RUN_ID', value)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    expect(found).toEqual([child.pid])
    expect(pidsWithEnv('RUN_ID', value)).toEqual([])
    expect(pidsWithEnv('TASSE_RUN_ID', value.slice(0, -1))).toEqual([])
    child.kill('SIGKILL')
    await exited
    expect(pidsWithEnv('TASSE_RUN_ID', value)).toEqual([])
  })

  it('finds nothing where there is no /proc', () => {
    expect(pidsWithEnv('TASSE_RUN_ID', 'x', '/no-such-proc')).toEqual([])
  })
})
