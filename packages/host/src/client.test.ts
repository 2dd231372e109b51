import { describe, expect, it } from 'vitest'
import { serverSentEvents } from './client.js'

/** A body that delivers `chunks` one by one, as a network would. */
function body(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk))
      controller.close()
    },
  })
}

async function events(stream: ReadableStream<Uint8Array>) {
  const all = []
  for await (const event of serverSentEvents(stream)) all.push(event)
  return all
}

describe('serverSentEvents', () => {
  it('parses events, joining multi-line data and skipping comments', async () => {
    expect(
      await events(
        body(': keep-alive\n\nevent: output\ndata: a\ndata: b\n\nevent: end\ndata: {}\n\n'),
      ),
    ).toEqual([
      { event: 'output', data: 'a\nb' },
      { event: 'end', data: '{}' },
    ])
  })

  it('reassembles events and characters split across chunks, and CRLF split between them', async () => {
    const text = 'event: output\r\ndata: {"text":"héllo"}\r\n\r\n'
    const bytes = new TextEncoder().encode(text)
    const chunks: Uint8Array[] = []
    for (let i = 0; i < bytes.length; i += 3) chunks.push(bytes.slice(i, i + 3))
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk)
        controller.close()
      },
    })
    expect(await events(stream)).toEqual([{ event: 'output', data: '{"text":"héllo"}' }])
  })

  it('defaults the event name to "message" and drops an unfinished event', async () => {
    expect(await events(body('data: x\n\n', 'data: cut off'))).toEqual([
      { event: 'message', data: 'x' },
    ])
  })
})
