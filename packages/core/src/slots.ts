/**
 * Who runs next: the host's concurrency limit (`Slots`: at most N running, the rest waiting in
 * arrival order) and, per task, the runs waiting behind a running one (`TaskLines`, for
 * `overlap: queue`). Plain bookkeeping, no timers and no processes.
 */

/** At most `limit` items running; the others wait, first come first started. */
export class Slots<T> {
  readonly #waiting: T[] = []
  #running = 0

  /** `start` is called for each item that gets a slot, by `pump()`. */
  constructor(
    private readonly limit: number,
    private readonly start: (item: T) => void,
  ) {}

  /** Items holding a slot. */
  get running(): number {
    return this.#running
  }

  /** Items waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length
  }

  /** Puts `item` in line for a slot; `pump()` starts it when one is free. */
  add(item: T): void {
    this.#waiting.push(item)
  }

  /** Whether an item added now would start at the next `pump()`: a slot free, no one waiting. */
  free(): boolean {
    return this.#running < this.limit && this.#waiting.length === 0
  }

  /** A running item is done: its slot is free (for the next `pump()`). */
  release(): void {
    this.#running--
  }

  /** Starts waiting items, longest waiting first, while slots are free. */
  pump(): void {
    while (this.#running < this.limit && this.#waiting.length > 0) {
      this.#running++
      this.start(this.#waiting.shift() as T)
    }
  }

  /** Takes a waiting item out of the line; false when it is not waiting (running, or unknown). */
  withdraw(item: T): boolean {
    const index = this.#waiting.indexOf(item)
    if (index < 0) return false
    this.#waiting.splice(index, 1)
    return true
  }
}

/** Per key (a task's name), the items waiting behind the running ones, oldest first. */
export class TaskLines<T> {
  readonly #lines = new Map<string, T[]>()

  /** How many wait behind `key`'s running items. */
  length(key: string): number {
    return this.#lines.get(key)?.length ?? 0
  }

  has(key: string, item: T): boolean {
    return this.#lines.get(key)?.includes(item) ?? false
  }

  push(key: string, item: T): void {
    const line = this.#lines.get(key)
    if (line) line.push(item)
    else this.#lines.set(key, [item])
  }

  /** The oldest item waiting behind `key`, left in the line. */
  peek(key: string): T | undefined {
    return this.#lines.get(key)?.[0]
  }

  /** The items waiting behind `key`, oldest first (a copy). */
  items(key: string): T[] {
    return [...(this.#lines.get(key) ?? [])]
  }

  /** The oldest item waiting behind `key`, taken out of the line. */
  shift(key: string): T | undefined {
    const line = this.#lines.get(key)
    const item = line?.shift()
    if (line && line.length === 0) this.#lines.delete(key)
    return item
  }

  /** Takes `item` out of `key`'s line; false when it was not in it. */
  remove(key: string, item: T): boolean {
    const line = this.#lines.get(key)
    const index = line?.indexOf(item) ?? -1
    if (!line || index < 0) return false
    line.splice(index, 1)
    if (line.length === 0) this.#lines.delete(key)
    return true
  }
}
