/** A minimal HTTP client on node:http, timed with the monotonic clock. */
import http from 'node:http'

export const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY })

/**
 * Sends one request; resolves with status, headers, the body (parsed as JSON when it is) and
 * the response time in ms (request sent → body fully received). Never rejects: a network error
 * comes back as `status: 0` with `error`.
 */
export function request(url, { method = 'GET', body, headers = {}, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: payload
          ? {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(payload),
              ...headers,
            }
          : headers,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks = []
        res.on('data', (c) => chunks.push(c))
        res.on('end', () => {
          const ms = performance.now() - t0
          const text = Buffer.concat(chunks).toString('utf8')
          let json = null
          try {
            json = JSON.parse(text)
          } catch {}
          resolve({ status: res.statusCode, headers: res.headers, text, json, ms, sentAt: t0 })
        })
        res.on('error', (error) => resolve({ status: 0, error, ms: performance.now() - t0 }))
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (error) =>
      resolve({ status: 0, error, ms: performance.now() - t0, sentAt: t0 }),
    )
    if (payload) req.write(payload)
    req.end()
  })
}

/**
 * `performance.timeOrigin + performance.now()` is monotonic with µs resolution but its origin
 * can be off the wall clock by a fraction of a millisecond; `Date.now()` is the wall clock in
 * whole ms. The offset between them is measured at the instants Date.now() ticks over.
 */
let offsetMs = 0
export function calibrateWallClock() {
  const samples = []
  for (let i = 0; i < 20; i++) {
    const start = Date.now()
    let now = start
    let perf = 0
    while (now === start) {
      perf = performance.timeOrigin + performance.now()
      now = Date.now()
    }
    samples.push(now - perf)
  }
  samples.sort((a, b) => a - b)
  offsetMs = samples[samples.length >> 1]
  return offsetMs
}
calibrateWallClock()

/** Wall-clock time in seconds with µs resolution, comparable to bash's $EPOCHREALTIME. */
export function wallSeconds() {
  return (performance.timeOrigin + performance.now() + offsetMs) / 1000
}
