/**
 * One notification's trip: an HTTP request, each attempt bounded by a timeout, retried with
 * backoff while the answer says it may work later (no answer, 408, 429, 5xx), at most a few
 * times. Every attempt is recorded with its result; nothing here throws.
 */

export interface OutgoingRequest {
  method: 'POST'
  url: string
  headers: Readonly<Record<string, string>>
  body: string
}

export interface Attempt {
  /** Epoch ms. */
  at: number
  /** The HTTP status answered, `null` without an answer. */
  status: number | null
  /** Why it did not work, in words (never a secret: see `redact`). */
  error: string | null
  durationMs: number
}

export interface SendOptions {
  /** Each attempt's limit. @default 10 s */
  timeoutMs?: number
  /** The waits before each retry; their count bounds the retries. @default 1 s, 4 s, 16 s */
  retryDelaysMs?: readonly number[]
  /** Ends the waits and the request in flight (the host stops). */
  signal?: AbortSignal
  /** Takes secrets out of an error message. */
  redact?: (text: string) => string
}

export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1000, 4000, 16_000]
export const SEND_TIMEOUT_MS = 10_000

/**
 * Sends `request` until it is answered with a 2xx, retries are spent, or the answer says that
 * retrying will not help (another 4xx). Resolves to every attempt, the last one deciding.
 *
 * @example
 * const attempts = await sendWithRetries({ method: 'POST', url, headers: {}, body: '{}' })
 * const delivered = attempts.at(-1)?.status === 200
 */
export async function sendWithRetries(
  request: OutgoingRequest,
  options: SendOptions = {},
): Promise<Attempt[]> {
  const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS
  const attempts: Attempt[] = []
  for (let index = 0; ; index++) {
    const attempt = await sendOnce(request, options)
    attempts.push(attempt)
    const delay = delays[index]
    if (succeeded(attempt) || !worthRetrying(attempt) || delay === undefined) return attempts
    if (!(await wait(delay, options.signal))) return attempts
  }
}

export function succeeded(attempt: Attempt | undefined): boolean {
  return attempt?.status !== undefined && attempt.status !== null && attempt.status < 300
}

function worthRetrying(attempt: Attempt): boolean {
  const { status } = attempt
  return status === null || status === 408 || status === 429 || status >= 500
}

async function sendOnce(request: OutgoingRequest, options: SendOptions): Promise<Attempt> {
  const at = Date.now()
  const timeoutMs = options.timeoutMs ?? SEND_TIMEOUT_MS
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout
  const redact = options.redact ?? ((text: string) => text)
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal,
    })
    // The body is not needed, and is never read: a receiver answering without end must not
    // fill the host's memory. Cancelling it frees the connection.
    await response.body?.cancel().catch(() => {})
    const error =
      response.status < 300 ? null : `answered ${response.status} ${response.statusText}`
    return { at, status: response.status, error, durationMs: Date.now() - at }
  } catch (cause) {
    const error = timeout.aborted
      ? `no answer within ${timeoutMs / 1000} s`
      : options.signal?.aborted
        ? 'abandoned: the host stopped'
        : describe(cause)
    return { at, status: null, error: redact(error), durationMs: Date.now() - at }
  }
}

/** `fetch failed: connect ECONNREFUSED 127.0.0.1:9` rather than `fetch failed` alone. */
function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause)
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : ''
  return `${cause.message}${inner}`
}

/** Resolves `true` after `ms`, or `false` at once when `signal` aborts. */
function wait(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort)
      resolve(true)
    }, ms)
    const abort = () => {
      clearTimeout(timer)
      resolve(false)
    }
    signal?.addEventListener('abort', abort, { once: true })
  })
}
