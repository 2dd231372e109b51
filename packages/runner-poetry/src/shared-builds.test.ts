import { describe, expect, it } from 'vitest'
import { buildUnderWay, shareBuild } from './shared-builds.js'

/** A build that ends when told to, and records the signal it was given. */
function controllable<T>() {
  let finish!: (value: T) => void
  let fail!: (error: unknown) => void
  const calls: AbortSignal[] = []
  const work = (signal: AbortSignal) => {
    calls.push(signal)
    return new Promise<T>((resolve, reject) => {
      finish = resolve
      fail = reject
      signal.addEventListener('abort', () => reject(new Error('build cancelled')))
    })
  }
  return { work, calls, finish: (v: T) => finish(v), fail: (e: unknown) => fail(e) }
}

const live = () => new AbortController().signal
const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

describe('shareBuild', () => {
  it('runs one build for callers with the same key and fingerprint, and shares its value', async () => {
    const build = controllable<string>()
    let joins = 0
    const a = shareBuild('k1', 'f', live(), build.work)
    const b = shareBuild('k1', 'f', live(), build.work, () => joins++)
    await tick()
    build.finish('env')
    expect(await a).toEqual({ value: 'env', joined: false })
    expect(await b).toEqual({ value: 'env', joined: true })
    expect(build.calls).toHaveLength(1)
    expect(joins).toBe(1)
    expect(buildUnderWay('k1')).toBe(false)
  })

  it('shares a failure too; the next caller starts a new build', async () => {
    const build = controllable<string>()
    const a = shareBuild('k2', 'f', live(), build.work)
    const b = shareBuild('k2', 'f', live(), build.work)
    await tick()
    build.fail(new Error('pip exited with code 1'))
    await expect(a).rejects.toThrow('pip exited with code 1')
    await expect(b).rejects.toThrow('pip exited with code 1')
    const retry = shareBuild('k2', 'f', live(), async () => 'fixed')
    expect((await retry).value).toBe('fixed')
  })

  it('lets a caller with other inputs wait for the build under way, then build its own', async () => {
    const first = controllable<string>()
    const order: string[] = []
    const a = shareBuild('k3', 'old', live(), first.work).then(() => order.push('old'))
    const b = shareBuild('k3', 'new', live(), async () => {
      order.push('new started')
      return 'new'
    })
    await tick()
    expect(order).toEqual([])
    first.finish('old')
    await Promise.all([a, b])
    expect(order).toEqual(['old', 'new started'])
  })

  it('keeps the build going while one caller still waits; cancels it when none does', async () => {
    const build = controllable<string>()
    const one = new AbortController()
    const two = new AbortController()
    const a = shareBuild('k4', 'f', one.signal, build.work)
    const b = shareBuild('k4', 'f', two.signal, build.work)
    await tick()
    one.abort(new Error('run 1 cancelled'))
    await expect(a).rejects.toThrow('run 1 cancelled')
    expect(build.calls[0]?.aborted).toBe(false)
    two.abort(new Error('run 2 cancelled'))
    await expect(b).rejects.toThrow('run 2 cancelled')
    expect(build.calls[0]?.aborted).toBe(true)
  })

  it('does not join a build that is being cancelled: waits for it to end, then builds', async () => {
    let endSlowly!: () => void
    const owner = new AbortController()
    // A build that takes its time to stop after being cancelled (a process group being killed).
    const slow = shareBuild('k5', 'f', owner.signal, (signal) => {
      return new Promise<string>((_resolve, reject) => {
        endSlowly = () => reject(signal.reason)
      })
    })
    owner.abort(new Error('cancelled'))
    await expect(slow).rejects.toThrow('cancelled')
    expect(buildUnderWay('k5')).toBe(true)

    let settled = false
    const next = shareBuild('k5', 'f', live(), async () => 'rebuilt').finally(() => {
      settled = true
    })
    await tick()
    expect(settled).toBe(false)
    endSlowly()
    expect(await next).toEqual({ value: 'rebuilt', joined: false })
  })
})
