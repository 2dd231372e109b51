import { describe, expect, it } from 'vitest'
import { type HeapItem, MinHeap } from './min-heap.js'

interface Item extends HeapItem {
  name: string
  at: number
}
const item = (name: string, at: number): Item => ({ name, at, heapIndex: -1 })

/** Empties the heap in order, checking every item's index on the way. */
function drain(heap: MinHeap<Item>): string[] {
  const out: string[] = []
  for (let first = heap.peek(); first; first = heap.peek()) {
    expect(first.heapIndex).toBe(0)
    heap.remove(first)
    expect(first.heapIndex).toBe(-1)
    out.push(first.name)
  }
  return out
}

describe('MinHeap', () => {
  it('gives items back smallest key first', () => {
    const heap = new MinHeap<Item>((i) => i.at)
    for (const [name, at] of [
      ['c', 3],
      ['a', 1],
      ['e', 5],
      ['b', 2],
      ['d', 4],
    ] as const)
      heap.push(item(name, at))
    expect(heap.size).toBe(5)
    expect(drain(heap)).toEqual(['a', 'b', 'c', 'd', 'e'])
  })

  it('removes any item and re-keys one in O(log n), keeping the order', () => {
    const heap = new MinHeap<Item>((i) => i.at)
    const items = Array.from({ length: 200 }, (_, i) => item(`t${i}`, (i * 7919) % 1000))
    for (const i of items) heap.push(i)
    for (const i of items.filter((_, n) => n % 3 === 0)) heap.remove(i)
    const moved = items[1] as Item
    moved.at = -1
    heap.update(moved)
    const kept = items.filter((_, n) => n % 3 !== 0).sort((a, b) => a.at - b.at)
    expect(drain(heap)).toEqual(kept.map((i) => i.name))
  })

  it('ignores removing or updating an item that is not in it', () => {
    const heap = new MinHeap<Item>((i) => i.at)
    const outside = item('x', 1)
    heap.remove(outside)
    heap.update(outside)
    heap.push(item('y', 2))
    expect(drain(heap)).toEqual(['y'])
  })
})
