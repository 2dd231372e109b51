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
    const a = shareBuild({ key: 'k1', fingerprint: 'f', signal: live(), work: build.work })
    const b = shareBuild({
      key: 'k1',
      fingerprint: 'f',
      signal: live(),
      work: build.work,
      onAnnounce: () => joins++,
    })
    await tick()
    build.finish('env')
    expect(await a).toEqual({ value: 'env', joined: false })
    expect(await b).toEqual({ value: 'env', joined: true })
    expect(build.calls).toHaveLength(1)
    expect(joins).toBe(0) // the build announced nothing
    expect(buildUnderWay('k1')).toBe(false)
  })

  it('passes what the build announces to the callers that joined, before and after they did', async () => {
    let announce!: (message: string) => void
    let finish!: () => void
    const work = (_signal: AbortSignal, say: (message: string) => void) => {
      announce = say
      return new Promise<void>((resolve) => {
        finish = resolve
      })
    }
    const heard: string[] = []
    const owner = shareBuild({ key: 'k6', fingerprint: 'f', signal: live(), work })
    await tick()
    announce('installing')
    const joiner = shareBuild({
      key: 'k6',
      fingerprint: 'f',
      signal: live(),
      work,
      onAnnounce: (message) => heard.push(message),
    })
    announce('still installing')
    finish()
    await Promise.all([owner, joiner])
    expect(heard).toEqual(['installing', 'still installing'])
  })

  it('shares a failure too; the next caller starts a new build', async () => {
    const build = controllable<string>()
    const a = shareBuild({ key: 'k2', fingerprint: 'f', signal: live(), work: build.work })
    const b = shareBuild({ key: 'k2', fingerprint: 'f', signal: live(), work: build.work })
    await tick()
    build.fail(new Error('pip exited with code 1'))
    await expect(a).rejects.toThrow('pip exited with code 1')
    await expect(b).rejects.toThrow('pip exited with code 1')
    const retry = shareBuild({
      key: 'k2',
      fingerprint: 'f',
      signal: live(),
      work: async () => 'fixed',
    })
    expect((await retry).value).toBe('fixed')
  })

  it('lets a caller with other inputs wait for the build under way, then build its own', async () => {
    const first = controllable<string>()
    const order: string[] = []
    const a = shareBuild({ key: 'k3', fingerprint: 'old', signal: live(), work: first.work }).then(
      () => order.push('old'),
    )
    const b = shareBuild({
      key: 'k3',
      fingerprint: 'new',
      signal: live(),
      work: async () => {
        order.push('new started')
        return 'new'
      },
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
    const a = shareBuild({ key: 'k4', fingerprint: 'f', signal: one.signal, work: build.work })
    const b = shareBuild({ key: 'k4', fingerprint: 'f', signal: two.signal, work: build.work })
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
    const slow = shareBuild({
      key: 'k5',
      fingerprint: 'f',
      signal: owner.signal,
      work: (signal) =>
        new Promise<string>((_resolve, reject) => {
          endSlowly = () => reject(signal.reason)
        }),
    })
    owner.abort(new Error('cancelled'))
    await expect(slow).rejects.toThrow('cancelled')
    expect(buildUnderWay('k5')).toBe(true)

    let settled = false
    const next = shareBuild({
      key: 'k5',
      fingerprint: 'f',
      signal: live(),
      work: async () => 'rebuilt',
    }).finally(() => {
      settled = true
    })
    await tick()
    expect(settled).toBe(false)
    endSlowly()
    expect(await next).toEqual({ value: 'rebuilt', joined: false })
  })
})
