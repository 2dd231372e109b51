import { describe, expect, it } from 'vitest'
import { Slots, TaskLines } from './slots.js'

describe('Slots', () => {
  it('starts up to the limit at once, then one per released slot, in arrival order', () => {
    const started: string[] = []
    const slots = new Slots<string>(2, (item) => started.push(item))
    for (const item of ['a', 'b', 'c', 'd']) slots.add(item)
    expect(started).toEqual([])
    slots.pump()
    expect(started).toEqual(['a', 'b'])
    expect([slots.running, slots.waiting]).toEqual([2, 2])
    slots.release()
    expect([slots.running, started.length]).toEqual([1, 2])
    slots.pump()
    expect(started).toEqual(['a', 'b', 'c'])
    slots.release()
    slots.release()
    slots.pump()
    expect(started).toEqual(['a', 'b', 'c', 'd'])
    expect([slots.running, slots.waiting]).toEqual([1, 0])
  })

  it('is free only while an item added now would start at the next pump', () => {
    const slots = new Slots<string>(2, () => {})
    expect(slots.free()).toBe(true)
    slots.add('a')
    expect(slots.free()).toBe(false) // 'a' waits for the pump: it goes first
    slots.pump()
    expect(slots.free()).toBe(true)
    slots.add('b')
    slots.pump()
    expect(slots.free()).toBe(false) // both slots taken
    slots.release()
    expect(slots.free()).toBe(true)
  })

  it('withdraws a waiting item, and says so; a running one is not waiting', () => {
    const started: string[] = []
    const slots = new Slots<string>(1, (item) => started.push(item))
    for (const item of ['a', 'b', 'c']) slots.add(item)
    slots.pump()
    expect(slots.withdraw('b')).toBe(true)
    expect(slots.withdraw('b')).toBe(false)
    expect(slots.withdraw('a')).toBe(false)
    slots.release()
    slots.pump()
    expect(started).toEqual(['a', 'c'])
  })

  it('hands a slot on when a started item releases it later', () => {
    const started: number[] = []
    const slots: Slots<number> = new Slots(1, (item) => {
      started.push(item)
      if (item < 3)
        queueMicrotask(() => {
          slots.release()
          slots.pump()
        })
    })
    for (const item of [1, 2, 3]) slots.add(item)
    slots.pump()
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        expect(started).toEqual([1, 2, 3])
        expect(slots.running).toBe(1)
        resolve()
      }, 10),
    )
  })
})

describe('TaskLines', () => {
  it('keeps one line per task, oldest first, and forgets empty lines', () => {
    const lines = new TaskLines<string>()
    lines.push('report', 'r1')
    lines.push('report', 'r2')
    lines.push('backup', 'b1')
    expect([lines.length('report'), lines.length('backup'), lines.length('none')]).toEqual([
      2, 1, 0,
    ])
    expect(lines.has('report', 'r2')).toBe(true)
    expect(lines.has('backup', 'r2')).toBe(false)
    expect(lines.shift('report')).toBe('r1')
    expect(lines.remove('report', 'r2')).toBe(true)
    expect(lines.remove('report', 'r2')).toBe(false)
    expect(lines.shift('report')).toBeUndefined()
    expect(lines.shift('backup')).toBe('b1')
    expect(lines.length('backup')).toBe(0)
  })
})
