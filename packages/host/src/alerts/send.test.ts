import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { sendWithRetries } from './send.js'

let server: Server | undefined
afterEach(
  () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
)

/** A server on 127.0.0.1 answering with `statuses` in turn (then 200), or never when 0. */
async function serve(...statuses: number[]): Promise<string> {
  server = createServer((_, response) => {
    const status = statuses.shift() ?? 200
    if (status !== 0) response.writeHead(status).end()
  })
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
}

const post = (url: string) => ({ method: 'POST' as const, url, headers: {}, body: '{}' })
const quick = { retryDelaysMs: [10, 10, 10] }

describe('sendWithRetries', () => {
  it('retries a 5xx, a 429 and no answer, up to its bound', async () => {
    const url = await serve(503, 429, 500, 500, 500)
    const attempts = await sendWithRetries(post(url), quick)
    expect(attempts.map((a) => a.status)).toEqual([503, 429, 500, 500])
    expect(attempts.at(-1)?.error).toBe('answered 500 Internal Server Error')
  })

  it('stops at the first 2xx, and does not retry another 4xx', async () => {
    expect(
      (await sendWithRetries(post(await serve(500, 204)), quick)).map((a) => a.status),
    ).toEqual([500, 204])
    server?.close()
    expect((await sendWithRetries(post(await serve(404)), quick)).map((a) => a.status)).toEqual([
      404,
    ])
  })

  it('gives each attempt a timeout, and says so', async () => {
    server?.closeAllConnections()
    const url = await serve(0, 0)
    const attempts = await sendWithRetries(post(url), { timeoutMs: 200, retryDelaysMs: [10] })
    expect(attempts.map((a) => [a.status, a.error])).toEqual([
      [null, 'no answer within 0.2 s'],
      [null, 'no answer within 0.2 s'],
    ])
    server?.closeAllConnections()
  })

  it('says why a connection failed, and stops waiting when told to', async () => {
    const url = await serve()
    await new Promise<void>((resolve) => server?.close(() => resolve()))
    server = undefined
    const stop = new AbortController()
    const sent = sendWithRetries(post(url), { retryDelaysMs: [60_000], signal: stop.signal })
    setTimeout(() => stop.abort(), 100)
    const attempts = await sent
    expect(attempts).toHaveLength(1)
    expect(attempts[0]?.error).toMatch(/^fetch failed: .*ECONNREFUSED/)
  })
})
