/**
 * A binary min-heap of items that know their own index, so that removing or re-keying any item
 * costs O(log n): the scheduler keeps thousands of tasks in one by next fire time.
 */

/** An item of a `MinHeap`: the heap keeps `heapIndex` up to date (-1 when not in it). */
export interface HeapItem {
  heapIndex: number
}

export class MinHeap<T extends HeapItem> {
  readonly #items: T[] = []

  /** `key` must not change while an item is in the heap, except through `update`. */
  constructor(private readonly key: (item: T) => number) {}

  get size(): number {
    return this.#items.length
  }

  /** The item with the smallest key, or `undefined` when empty. */
  peek(): T | undefined {
    return this.#items[0]
  }

  push(item: T): void {
    item.heapIndex = this.#items.length
    this.#items.push(item)
    this.#siftUp(item.heapIndex)
  }

  /** Takes `item` out; nothing happens when it is not in the heap. */
  remove(item: T): void {
    const index = item.heapIndex
    if (index < 0) return
    const last = this.#items.pop() as T
    item.heapIndex = -1
    if (index < this.#items.length) {
      this.#items[index] = last
      last.heapIndex = index
      this.#siftDown(index)
      this.#siftUp(last.heapIndex)
    }
  }

  /** Puts `item` back in order after its key changed. */
  update(item: T): void {
    if (item.heapIndex < 0) return
    this.#siftDown(item.heapIndex)
    this.#siftUp(item.heapIndex)
  }

  #siftUp(index: number): void {
    const items = this.#items
    const item = items[index] as T
    const key = this.key(item)
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = items[parentIndex] as T
      if (this.key(parent) <= key) break
      items[index] = parent
      parent.heapIndex = index
      index = parentIndex
    }
    items[index] = item
    item.heapIndex = index
  }

  #siftDown(index: number): void {
    const items = this.#items
    const item = items[index] as T
    const key = this.key(item)
    const length = items.length
    for (;;) {
      let child = 2 * index + 1
      if (child >= length) break
      const right = child + 1
      if (right < length && this.key(items[right] as T) < this.key(items[child] as T)) child = right
      const smaller = items[child] as T
      if (this.key(smaller) >= key) break
      items[index] = smaller
      smaller.heapIndex = index
      index = child
    }
    items[index] = item
    item.heapIndex = index
  }
}
