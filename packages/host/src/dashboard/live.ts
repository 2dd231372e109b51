/**
 * One Server-Sent Events stream per open page. The dashboard listens to the Tasse instance
 * once (a `LiveHub`), however many pages are open, and each stream keeps a set of "stale" keys
 * (a task name, a run id) that events mark; at most every `LIVE_FLUSH_MS` the page renders what
 * is stale as HTML fragments and sends them. Idle, a stream costs a keep-alive comment every
 * 15 s: no timer runs on the page or on the host while nothing happens.
 *
 * What a page receives (`data` is JSON):
 * - `swap` `{id, html}`: replace the element with that id;
 * - `upsert` `{id, html, into, at}`: replace it, or insert it at the start/end of `into`;
 * - `remove` `{id}`;
 * - `reset`, `output` `{text}`: a run's output, from the start;
 * - `end`: nothing more will come (the page closes the stream rather than reconnect).
 */
import type { Run, Tasse, TasseEventMap, TasseLogger } from '@tasse/core'
import type { Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import { SSE_KEEPALIVE_MS } from '../api/run-routes.js'
import type { Html } from './html.js'

/** Bursts of events (a task fired, ran and ended) become one update. */
export const LIVE_FLUSH_MS = 250

export type LiveMessage =
  | { event: 'swap'; data: { id: string; html: Html | string } }
  | {
      event: 'upsert'
      data: { id: string; html: Html | string; into: string; at: 'start' | 'end' }
    }
  | { event: 'remove'; data: { id: string } }
  | { event: 'reset' | 'end'; data: Record<string, never> }
  | { event: 'output'; data: { text: string } }

/** What happened, reduced to what pages care about. */
export type LiveEvent = { kind: 'run'; run: Run; created: boolean } | { kind: 'task'; name: string }

type Listener = (event: LiveEvent) => void

/** The dashboard's one subscription to a Tasse instance, shared by every open stream. */
export class LiveHub {
  private readonly listeners = new Set<Listener>()
  private unsubscribe: (() => void) | null = null

  constructor(
    private readonly tasse: Tasse,
    private readonly logger: TasseLogger,
  ) {}

  get size(): number {
    return this.listeners.size
  }

  /** Adds a listener; the returned function removes it. Subscribes to Tasse while any listen. */
  listen(listener: Listener): () => void {
    this.listeners.add(listener)
    if (!this.unsubscribe) this.subscribe()
    return () => {
      this.listeners.delete(listener)
      if (this.listeners.size === 0) {
        this.unsubscribe?.()
        this.unsubscribe = null
      }
    }
  }

  private subscribe(): void {
    const dispatch = (event: LiveEvent) => {
      // A page's bug must never reach the emitter: that is the executor recording a run.
      for (const listener of this.listeners) {
        try {
          listener(event)
        } catch (cause) {
          this.logger.error('dashboard: a live page failed to take an event', cause)
        }
      }
    }
    const handlers: { [E in keyof TasseEventMap]?: (...args: TasseEventMap[E]) => void } = {
      'run:queued': (run) => dispatch({ kind: 'run', run, created: true }),
      'run:started': (run) => dispatch({ kind: 'run', run, created: false }),
      'run:ended': (run) => dispatch({ kind: 'run', run, created: false }),
      'task:added': (task) => dispatch({ kind: 'task', name: task.name }),
      'task:changed': (task) => dispatch({ kind: 'task', name: task.name }),
      'task:removed': (task) => dispatch({ kind: 'task', name: task.name }),
      'task:invalid': (invalid) => dispatch({ kind: 'task', name: invalid.name }),
      'task:paused': (task) => dispatch({ kind: 'task', name: task.name }),
      // Its health changed (overdue, failing, paused after failures): its state cell shows it.
      'task:alert': (alert) => dispatch({ kind: 'task', name: alert.task }),
    }
    const entries = Object.entries(handlers) as [keyof TasseEventMap, (...args: never[]) => void][]
    for (const [name, handler] of entries) this.tasse.events.on(name, handler as never)
    this.unsubscribe = () => {
      for (const [name, handler] of entries) this.tasse.events.off(name, handler as never)
    }
  }
}

export interface LiveSpec {
  /** The keys an event makes stale for this page (none: the page ignores it). */
  stale(event: LiveEvent): string | readonly string[] | undefined
  /** The fragments for the stale keys. */
  render(keys: ReadonlySet<string>): Promise<LiveMessage[]>
  /**
   * Work of the stream's own (following a run's output) given `send`; when it returns, stale
   * keys are rendered a last time, `end` is sent and the stream closes.
   */
  follow?: (send: (message: LiveMessage) => Promise<void>, signal: AbortSignal) => Promise<void>
}

/** The SSE response for one page. */
export function liveStream(c: Context, hub: LiveHub, spec: LiveSpec, logger: TasseLogger) {
  return streamSSE(
    c,
    async (stream) => {
      const controller = new AbortController()
      stream.onAbort(() => controller.abort())
      const send = async (message: LiveMessage) => {
        if (controller.signal.aborted) return
        await stream.writeSSE({ event: message.event, data: JSON.stringify(message.data) })
      }
      const stale = new Set<string>()
      let timer: NodeJS.Timeout | null = null
      let writes: Promise<void> = Promise.resolve()
      const flush = () => {
        timer = null
        const keys = new Set(stale)
        stale.clear()
        writes = writes
          .then(async () => {
            if (keys.size === 0 || controller.signal.aborted) return
            for (const message of await spec.render(keys)) await send(message)
          })
          .catch((cause) => logger.error('dashboard: a live update failed', cause))
        return writes
      }
      const stop = hub.listen((event) => {
        const keys = spec.stale(event)
        if (keys === undefined) return
        for (const key of typeof keys === 'string' ? [keys] : keys) stale.add(key)
        timer ??= setTimeout(flush, LIVE_FLUSH_MS)
      })
      const keepalive = setInterval(() => void stream.write(': keep-alive\n\n'), SSE_KEEPALIVE_MS)
      try {
        await stream.write(': live\n\n')
        if (spec.follow) {
          await spec.follow(send, controller.signal)
          if (timer) clearTimeout(timer)
          await flush()
          await send({ event: 'end', data: {} })
        } else {
          await new Promise<void>((resolve) => {
            if (controller.signal.aborted) resolve()
            controller.signal.addEventListener('abort', () => resolve(), { once: true })
          })
        }
      } finally {
        stop()
        clearInterval(keepalive)
        if (timer) clearTimeout(timer)
      }
    },
    async (cause) => {
      logger.error('dashboard: a live stream failed', cause)
    },
  )
}
