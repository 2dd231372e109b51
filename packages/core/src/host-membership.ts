/**
 * A Tasse instance's membership of its store: it registers as a host when it starts (where a
 * store serves one host at a time, a second host is refused here, before recovery could touch
 * the first one's runs), heartbeats while it runs, and leaves when it stops. The runs it records
 * carry its id, so that recovery tells its runs from those of other live hosts.
 */
import { hostname } from 'node:os'
import { newRunId } from './run-id.js'
import type { RunStore, TasseLogger } from './types.js'

/**
 * How long a host may go without a heartbeat before another host takes its runs over. Long
 * enough for a loaded machine, a garbage collection or a database failover to pass without a
 * false alarm; short enough that a dead host's runs read `interrupted` within half a minute.
 */
export const DEFAULT_LEASE_MS = 30_000

export interface HostMembershipOptions {
  /** The run store, asked for when the host joins (the first use opens it). */
  store: () => RunStore
  logger: TasseLogger
  /** @default DEFAULT_LEASE_MS */
  leaseMs?: number
  /**
   * The store no longer knows this host: another host found its lease expired and took its runs
   * over (recorded `interrupted`). Whatever still runs here must end now (`reason` says why).
   */
  onLost?: (reason: string) => void
}

export class HostMembership {
  /** A new id for each start of a host: a restarted host is a new member. */
  readonly id = newRunId()
  readonly name = hostname()
  readonly leaseMs: number
  #registered = false
  #timer: NodeJS.Timeout | null = null
  #failing = false

  constructor(private readonly options: HostMembershipOptions) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS
  }

  /** The id runs record as their host: this host's once it registered, `null` before. */
  get hostId(): string | null {
    return this.#registered ? this.id : null
  }

  /**
   * Registers with the store and heartbeats every third of the lease. Rejects (with the store's
   * `HostConflictError`) when the store serves one host and another live one holds it.
   */
  async join(url: string | null = null): Promise<void> {
    await this.options.store().registerHost({ id: this.id, name: this.name, pid: process.pid, url })
    this.#registered = true
    this.#timer = setInterval(() => void this.#beat(url), Math.max(1000, this.leaseMs / 3))
    this.#timer.unref()
  }

  /** Stops heartbeating and leaves the store (its lock, if any, is released). */
  async leave(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    if (!this.#registered) return
    this.#registered = false
    try {
      await this.options.store().unregisterHost(this.id)
    } catch (cause) {
      this.options.logger.error('could not leave the run store cleanly', cause)
    }
  }

  async #beat(url: string | null): Promise<void> {
    const { logger } = this.options
    const store = this.options.store()
    try {
      if (!(await store.heartbeat(this.id))) {
        // Another host found this one's lease expired and took its runs over: what still runs
        // here ends (that host may retry it: two copies must not run), then this host is a
        // member again for what comes next.
        const reason =
          `this host (${this.name}, pid ${process.pid}) missed its heartbeats for longer than ` +
          `the lease (${this.leaseMs / 1000}s): another host took its runs over`
        logger.error(`${reason}; its runs still here are ended, and it registers again`)
        this.options.onLost?.(reason)
        await store.registerHost({ id: this.id, name: this.name, pid: process.pid, url })
      }
      if (this.#failing) logger.info('the run store answers heartbeats again')
      this.#failing = false
    } catch (cause) {
      if (!this.#failing) logger.error('heartbeat: the run store does not answer', cause)
      this.#failing = true
    }
  }
}
