/**
 * A real HTTP receiver on 127.0.0.1 (port 0) for the notification tests: it keeps every request
 * (path, headers, exact body, arrival time) and answers each path with the statuses it is told,
 * in order, then 200.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
  /** Epoch ms, when the body was read. */
  at: number
  /** The status it was answered. */
  status: number
}

export interface Receiver {
  url: string
  requests: Received[]
  /** Answers the next requests to `path` with these statuses, in order (then 200). */
  answer(path: string, ...statuses: number[]): void
  /** The requests to `path`. */
  to(path: string): Received[]
  close(): Promise<void>
}

export async function startReceiver(): Promise<Receiver> {
  const requests: Received[] = []
  const planned = new Map<string, number[]>()
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const path = request.url ?? ''
      const status = planned.get(path)?.shift() ?? 200
      requests.push({
        method: request.method ?? '',
        path,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
        status,
      })
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'OK' : 'no')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answer: (path, ...statuses) => planned.set(path, statuses),
    to: (path) => requests.filter((request) => request.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
