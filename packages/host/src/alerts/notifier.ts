/**
 * The notifier: a listener of one instance's `task:alert` events (and of run starts and ends, for
 * healthchecks.io pings) that tells each task's targets (its `notify:`, else the host's
 * default). Delivery happens beside the runs, never in their way: a listener only queues, and
 * every send is bounded (timeout, retries) and recorded (`deliveries()`).
 */
import {
  type AlertEvent,
  formatMillis,
  type NotifyTarget,
  type NotifyTargetType,
  type Run,
  type TaskAlert,
  type Tasse,
  timeZone,
} from '@tasse/core'
import { newRunId, redactUrl } from '@tasse/core/plugin-kit'
import { runView } from '../api/views.js'
import { type AlertMessage, type Ping, prepareRequest } from './payloads.js'
import { type Attempt, type SendOptions, sendWithRetries, succeeded } from './send.js'
import { tailLines } from './tail-lines.js'

export type DeliveryStatus = 'sending' | 'delivered' | 'failed' | 'suppressed' | 'dropped'

/** One notification and every attempt to send it. */
export interface DeliveryRecord {
  id: string
  task: string
  event: AlertEvent | Ping
  runId: string | null
  /** The target as task.yaml wrote it: `${NAME}` parts unexpanded, a password hidden. */
  target: { type: NotifyTargetType; url: string }
  status: DeliveryStatus
  /** Why it failed, was suppressed or dropped. */
  error: string | null
  attempts: Attempt[]
  /** Epoch ms. */
  createdAt: number
}

export interface NotifierOptions {
  tasse: Tasse
  /** Targets of the tasks without `notify:`. @default none */
  defaults?: readonly NotifyTarget[]
  /** The base of links to the dashboard, e.g. `https://tasse.example.com`. */
  baseUrl: () => string
  /** Where `${NAME}` and `secret_env` are read. @default process.env */
  env?: NodeJS.ProcessEnv
  /** Timeouts and retry delays. @default 10 s; 1 s, 4 s, 16 s */
  send?: Pick<SendOptions, 'timeoutMs' | 'retryDelaysMs'>
  /** Told of each notification's result (metrics). */
  onResult?: (target: NotifyTargetType, result: DeliveryStatus) => void
  /** Deliveries kept for `deliveries()`. @default 1000 */
  keep?: number
}

/** Notifications waiting for one target of one task; more are dropped (a dead target). */
const MAX_PENDING = 50
const UTC = timeZone('UTC')

export class Notifier {
  private readonly records: DeliveryRecord[] = []
  private readonly chains = new Map<string, { tail: Promise<void>; pending: number }>()
  private readonly lastSent = new Map<string, number>()
  private readonly stopping = new AbortController()
  private readonly listeners = {
    alert: (alert: TaskAlert) => this.guard(() => this.alerted(alert)),
    started: (run: Run) => this.guard(() => this.ping(run, 'start')),
    ended: (run: Run) =>
      this.guard(() => {
        if (run.startedAt !== null) this.ping(run, run.status === 'succeeded' ? 'success' : 'fail')
      }),
  }

  constructor(private readonly options: NotifierOptions) {
    const { events } = options.tasse
    events.on('task:alert', this.listeners.alert)
    events.on('run:started', this.listeners.started)
    events.on('run:ended', this.listeners.ended)
  }

  /** Stops listening and abandons what is queued or being retried. */
  async close(): Promise<void> {
    const { events } = this.options.tasse
    events.off('task:alert', this.listeners.alert)
    events.off('run:started', this.listeners.started)
    events.off('run:ended', this.listeners.ended)
    this.stopping.abort()
    await Promise.all([...this.chains.values()].map((chain) => chain.tail))
  }

  /** The deliveries kept, newest first; of one task with `task`. */
  deliveries(query: { task?: string; limit?: number } = {}): DeliveryRecord[] {
    const found: DeliveryRecord[] = []
    for (let i = this.records.length - 1; i >= 0 && found.length < (query.limit ?? 100); i--) {
      const record = this.records[i] as DeliveryRecord
      if (!query.task || record.task === query.task) found.push(structuredClone(record))
    }
    return found
  }

  private targets(task: string): readonly NotifyTarget[] {
    const definition = this.options.tasse.taskInfo(task)?.task
    return definition?.notify ?? this.options.defaults ?? []
  }

  private alerted(alert: TaskAlert): void {
    for (const target of this.targets(alert.task))
      if (target.type !== 'healthchecks' && target.events.includes(alert.event))
        this.queue(target, alert.task, alert.event, alert.run, alert.reason, alert.time)
  }

  private ping(run: Run, ping: Ping): void {
    const reason =
      ping === 'start' ? `run ${run.id} started` : `run ${run.id} ${run.status.replace('_', ' ')}`
    for (const target of this.targets(run.task))
      if (target.type === 'healthchecks')
        this.queue(target, run.task, ping, run, run.error ? `${reason}: ${run.error}` : reason)
  }

  private queue(
    target: NotifyTarget,
    task: string,
    event: AlertEvent | Ping,
    run: Run | null,
    reason: string,
    time = Date.now(),
  ): void {
    if (this.stopping.signal.aborted) return
    const record: DeliveryRecord = {
      id: newRunId(),
      task,
      event,
      runId: run?.id ?? null,
      // As written: a secret part is a `${TASSE_…}` reference (parsing it as a URL would mangle
      // it); a literal password, if any, is hidden.
      target: {
        type: target.type,
        url: target.url.includes('${') ? target.url : redactUrl(target.url),
      },
      status: 'sending',
      error: null,
      attempts: [],
      createdAt: time,
    }
    const key = `${target.type} ${target.url}|${task}`
    const repeatKey = `${key}|${event}`
    const last = this.lastSent.get(repeatKey)
    if (target.rateLimitMs > 0 && last !== undefined && time - last < target.rateLimitMs) {
      const rest = Math.ceil((last + target.rateLimitMs - time) / 1000)
      this.keep(
        record,
        'suppressed',
        `an identical alert was sent less than rate_limit ago (next one in ${rest} s)`,
      )
      return
    }
    const chain = this.chains.get(key) ?? { tail: Promise.resolve(), pending: 0 }
    if (chain.pending >= MAX_PENDING) {
      this.keep(
        record,
        'dropped',
        `${MAX_PENDING} notifications are already waiting for this target`,
      )
      return
    }
    if (target.rateLimitMs > 0) this.lastSent.set(repeatKey, time)
    this.keep(record, 'sending', null)
    chain.pending++
    chain.tail = chain.tail
      .then(() => this.deliver(target, record, run, reason))
      .catch(() => {}) // deliver() records its failures; nothing may break the chain
      .finally(() => {
        chain.pending--
        if (chain.pending === 0 && this.chains.get(key) === chain) this.chains.delete(key)
      })
    this.chains.set(key, chain)
  }

  private async deliver(
    target: NotifyTarget,
    record: DeliveryRecord,
    run: Run | null,
    reason: string,
  ): Promise<void> {
    let secrets: string[] = []
    try {
      const message = await this.message(record, run, reason)
      const prepared = prepareRequest(target, message, this.options.env ?? process.env)
      secrets = prepared.secrets
      record.attempts = await sendWithRetries(prepared.request, {
        ...this.options.send,
        signal: this.stopping.signal,
        redact: (text) => secrets.reduce((out, secret) => out.split(secret).join('***'), text),
      })
      const last = record.attempts.at(-1)
      this.finish(record, succeeded(last) ? 'delivered' : 'failed', last?.error ?? null)
    } catch (cause) {
      const text = cause instanceof Error ? cause.message : String(cause)
      this.finish(
        record,
        'failed',
        secrets.reduce((out, s) => out.split(s).join('***'), text),
      )
    }
  }

  private async message(
    record: DeliveryRecord,
    run: Run | null,
    reason: string,
  ): Promise<AlertMessage> {
    const base = this.options.baseUrl().replace(/\/+$/, '')
    const task = encodeURIComponent(record.task)
    return {
      id: record.id,
      event: record.event,
      time: formatMillis(record.createdAt, UTC),
      reason,
      task: { name: record.task, link: `${base}/tasks/${task}` },
      run: run ? { ...runView(run), link: `${base}/runs/${run.id}` } : null,
      output: run && record.event !== 'start' ? await tailLines(this.options.tasse, run.id) : [],
    }
  }

  private keep(record: DeliveryRecord, status: DeliveryStatus, error: string | null): void {
    this.records.push(record)
    if (this.records.length > (this.options.keep ?? 1000)) this.records.shift()
    if (status !== 'sending') this.finish(record, status, error)
  }

  private finish(record: DeliveryRecord, status: DeliveryStatus, error: string | null): void {
    record.status = status
    record.error = error
    if (status === 'failed')
      this.options.tasse.logger.warn(
        `task "${record.task}": the ${record.event} notification to a ${record.target.type} target failed: ${error}`,
      )
    this.options.onResult?.(record.target.type, status)
  }

  /** A listener runs inside the executor's emit: what it throws is logged, never raised there. */
  private guard(work: () => void): void {
    try {
      work()
    } catch (cause) {
      this.options.tasse.logger.error('the notifier could not queue a notification', cause)
    }
  }
}
