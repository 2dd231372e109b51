/**
 * A small client for a running host's `/api/v1`, used by the commands that talk to one
 * (`trigger`, `runs`, `logs`, `cancel`, `pause`, `resume`, `rescan`, `list --url`). Errors
 * carry the host's own code, message and details (`{ error: { code, message, … } }`).
 */
import type { RunView, TaskView } from './api/views.js'

export interface TasseClientOptions {
  /** The host's base URL. @default http://127.0.0.1:5000 */
  url?: string
  /** A bearer token, when the host needs one. */
  token?: string | null
}

export const DEFAULT_URL = 'http://127.0.0.1:5000'

/** The host answered with an error, or could not be reached (`status` 0). */
export class ClientError extends Error {
  override readonly name = 'ClientError'
  readonly status: number
  readonly code: string
  /** What the host added to its error: `known` task names, the `param` at fault, … */
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    status: number,
    code: string,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause })
    this.status = status
    this.code = code
    this.details = options.details ?? {}
  }
}

/** The filters of `GET /api/v1/runs`, as its query parameters. */
export interface RunListFilters {
  task?: string
  /** Comma-separated statuses. */
  status?: string
  /** ISO-8601 time with a zone, or epoch ms. */
  from?: string
  to?: string
  limit?: number
  cursor?: string
}

/** What `POST /api/v1/rescan` answers. */
export interface RescanResult {
  added: string[]
  changed: string[]
  removed: string[]
  invalid: { name: string; error: string }[]
}

/**
 * @example
 * const client = new TasseClient({ url: 'http://127.0.0.1:5000', token: process.env.TASSE_TOKEN })
 * const run = await client.trigger('report', { date: '2026-01-30' })
 * const ended = await client.followLogs(run.id, (text) => process.stdout.write(text))
 */
export class TasseClient {
  readonly url: string
  private readonly token: string | null

  constructor(options: TasseClientOptions = {}) {
    this.url = (options.url ?? DEFAULT_URL).replace(/\/+$/, '')
    this.token = options.token ?? null
  }

  trigger(task: string, params: Record<string, string> = {}): Promise<RunView> {
    return this.json('POST', `/api/v1/tasks/${encodeURIComponent(task)}/runs`, { params })
  }

  getRun(id: string): Promise<RunView> {
    return this.json('GET', `/api/v1/runs/${encodeURIComponent(id)}`)
  }

  cancel(id: string): Promise<RunView> {
    return this.json('POST', `/api/v1/runs/${encodeURIComponent(id)}/cancel`)
  }

  /** One page of the run history, newest first. */
  listRuns(filters: RunListFilters = {}): Promise<{ runs: RunView[]; nextCursor: string | null }> {
    const query = new URLSearchParams()
    for (const [key, value] of Object.entries(filters))
      if (value !== undefined) query.set(key, String(value))
    const search = query.size ? `?${query}` : ''
    return this.json('GET', `/api/v1/runs${search}`)
  }

  async listTasks(options: { next?: number } = {}): Promise<TaskView[]> {
    const search = options.next === undefined ? '' : `?next=${options.next}`
    return (await this.json<{ tasks: TaskView[] }>('GET', `/api/v1/tasks${search}`)).tasks
  }

  pause(task: string): Promise<TaskView> {
    return this.json('POST', `/api/v1/tasks/${encodeURIComponent(task)}/pause`)
  }

  resume(task: string): Promise<TaskView> {
    return this.json('POST', `/api/v1/tasks/${encodeURIComponent(task)}/resume`)
  }

  rescan(): Promise<RescanResult> {
    return this.json('POST', '/api/v1/rescan')
  }

  /** The run's output so far. */
  async logs(id: string): Promise<string> {
    const response = await this.send('GET', `/api/v1/runs/${encodeURIComponent(id)}/logs`)
    return response.text()
  }

  /**
   * Follows the run's output from its start, handing each piece to `onOutput`, and resolves
   * with the run once it has ended.
   */
  async followLogs(
    id: string,
    onOutput: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<RunView> {
    const response = await this.send(
      'GET',
      `/api/v1/runs/${encodeURIComponent(id)}/logs?follow=1`,
      undefined,
      signal,
    )
    if (!response.body) throw new ClientError(0, 'no_body', `${this.url} sent no event stream`)
    for await (const event of serverSentEvents(response.body)) {
      if (event.event === 'output') onOutput((JSON.parse(event.data) as { text: string }).text)
      else if (event.event === 'end') return JSON.parse(event.data) as RunView
      else if (event.event === 'error') {
        const error = JSON.parse(event.data) as { code: string; message: string }
        throw new ClientError(500, error.code, `the host: ${error.message}`)
      }
    }
    throw new ClientError(
      0,
      'stream_ended',
      `the host closed the log of run ${id} before the run ended (is it shutting down?)`,
    )
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.send(method, path, body)).json()) as T
  }

  private async send(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = {}
    if (this.token) headers.authorization = `Bearer ${this.token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    try {
      response = await fetch(this.url + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      })
    } catch (cause) {
      const reason =
        (cause as { cause?: { code?: string } }).cause?.code ?? (cause as Error).message
      throw new ClientError(
        0,
        'unreachable',
        `cannot reach a Tasse host at ${this.url} (${reason}); is \`tasse serve\` running there? Set --url or TASSE_URL`,
        { cause, details: { url: this.url } },
      )
    }
    if (response.ok) return response
    let code = 'http_error'
    let message = `HTTP ${response.status} ${response.statusText}`
    let details: Record<string, unknown> = {}
    try {
      const body = (await response.json()) as {
        error?: { code?: string; message?: string } & Record<string, unknown>
      }
      if (body.error) {
        const { code: given, message: said, ...rest } = body.error
        if (typeof given === 'string') code = given
        if (typeof said === 'string') message = said
        details = rest
      }
    } catch {}
    if (response.status === 401) message += '; pass --token or set TASSE_TOKEN'
    throw new ClientError(response.status, code, message, { details })
  }
}

export interface ServerSentEvent {
  event: string
  data: string
}

/** Parses a `text/event-stream` body into events (comments and `id`/`retry` fields skipped). */
export async function* serverSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder()
  let buffer = ''
  let event = 'message'
  let data: string[] = []
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    let newline = buffer.search(/\r\n|\r|\n/)
    // A `\r` that ends the buffer may be the first half of `\r\n`: wait for the next chunk.
    while (newline >= 0 && !(buffer[newline] === '\r' && newline === buffer.length - 1)) {
      const line = buffer.slice(0, newline)
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1))
      if (line === '') {
        if (data.length) yield { event, data: data.join('\n') }
        event = 'message'
        data = []
      } else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
      else if (line.startsWith('event:')) event = line.slice(6).trim()
      newline = buffer.search(/\r\n|\r|\n/)
    }
  }
}
