import { describe, expect, it } from 'vitest'
import { lazyRunStore } from './lazy-run-store.js'
import { MemoryRunStore } from './memory-store.js'
import { makeRun, testRunStore } from './testing/index.js'

testRunStore({
  name: 'lazy (memory)',
  hosts: 'many',
  create: ({ maxOutputBytes }) =>
    lazyRunStore('lazy', async () => new MemoryRunStore({ maxOutputBytes })),
})

describe('lazyRunStore', () => {
  it('loads the store on its first call only, once, and not to close it', async () => {
    let loads = 0
    const load = async () => {
      loads++
      return new MemoryRunStore()
    }
    const unused = lazyRunStore('lazy', load)
    expect(unused.name).toBe('lazy')
    await unused.close()
    expect(loads).toBe(0)
    await expect(unused.listRuns()).rejects.toThrow(/closed/)

    const used = lazyRunStore('lazy', load)
    const run = makeRun()
    await Promise.all([used.insertRun(run), used.listHosts()])
    expect(await used.getRun(run.id)).toStrictEqual(run)
    expect(loads).toBe(1)
    await used.close()
    await expect(used.getRun(run.id)).rejects.toThrow(/closed/)
  })

  it('rejects every call, naming the store, when its module cannot be loaded', async () => {
    const broken = lazyRunStore('broken', async () => {
      throw new Error('Cannot find package pg')
    })
    await expect(broken.listRuns()).rejects.toThrow('Cannot find package pg')
    expect(await Promise.resolve(broken)).toBe(broken)
  })
})
