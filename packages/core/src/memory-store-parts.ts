/**
 * Two parts of `MemoryRunStore` that keep state of their own: the registered hosts, and each
 * run's output. In a file apart so that the store reads as one list of the contract's calls.
 */
import { capChunk, outputPage } from './run-store-cluster.js'
import type {
  HostRecord,
  HostRegistration,
  OutputAppend,
  OutputChunk,
  OutputPage,
} from './types.js'

type StoredChunk = OutputChunk & { bytes: number; truncated: boolean }

/** Hosts by id, with their start and heartbeat times. */
export class MemoryHosts {
  readonly #hosts = new Map<string, HostRecord>()

  has(id: string): boolean {
    return this.#hosts.has(id)
  }

  /** False when the id is already registered. */
  add(host: HostRegistration, now: number): HostRecord | null {
    if (this.#hosts.has(host.id)) return null
    const record: HostRecord = { ...host, startedAt: now, heartbeatAt: now }
    this.#hosts.set(host.id, record)
    return { ...record }
  }

  beat(id: string, now: number): boolean {
    const host = this.#hosts.get(id)
    if (host) host.heartbeatAt = now
    return host !== undefined
  }

  delete(id: string): boolean {
    return this.#hosts.delete(id)
  }

  /** Every host, by id. */
  list(): HostRecord[] {
    return [...this.#hosts.values()]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((host) => ({ ...host }))
  }

  /** Removes and answers the hosts whose last heartbeat is before `before` (epoch ms). */
  removeSilentSince(before: number): HostRecord[] {
    const silent = this.list().filter((host) => host.heartbeatAt < before)
    for (const host of silent) this.#hosts.delete(host.id)
    return silent
  }
}

/** Each run's output chunks by offset, under a cap per run. */
export class MemoryOutput {
  readonly #runs = new Map<string, Map<number, StoredChunk>>()

  constructor(private readonly maxBytes: number) {}

  /** Stores what the cap lets through; `added` is false for a chunk already stored. */
  append(runId: string, chunk: OutputChunk): OutputAppend & { added: boolean } {
    let chunks = this.#runs.get(runId)
    if (!chunks) {
      chunks = new Map()
      this.#runs.set(runId, chunks)
    }
    const kept = capChunk(chunk, this.maxBytes)
    // The mark of a cut is an empty chunk at the cap; a chunk sent again is kept once.
    const offset = kept.bytes === 0 && kept.truncated ? this.maxBytes : chunk.offset
    const added = !chunks.has(offset)
    if (added) chunks.set(offset, { ...chunk, ...kept, offset })
    return { kept: kept.bytes, truncated: kept.truncated, added }
  }

  read(runId: string, from: number, limit: number): OutputPage {
    const stored = [...(this.#runs.get(runId)?.values() ?? [])].sort((a, b) => a.offset - b.offset)
    return outputPage(
      stored,
      from,
      limit,
      stored.some((chunk) => chunk.truncated),
    )
  }

  delete(runId: string): void {
    this.#runs.delete(runId)
  }

  /** The runs that have output. */
  runIds(): string[] {
    return [...this.#runs.keys()]
  }
}
