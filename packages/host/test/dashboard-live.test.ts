/**
 * The dashboard's live streams in-process: a page's stream sends the fragments that changed,
 * and a closed page leaves no listener behind on the Tasse instance.
 */
import { serverSentEvents } from '@tasse/host'
import { afterEach, describe, expect, it } from 'vitest'
import { type InProcessHost, inProcessHost, openGate, until } from './api-fixtures.js'

let host: InProcessHost | undefined
afterEach(async () => {
  await host?.close()
  host = undefined
})

async function open(path: string) {
  const response = await host?.app.request(path)
  expect(response?.headers.get('content-type')).toMatch(/^text\/event-stream/)
  const events = serverSentEvents(response?.body as ReadableStream<Uint8Array>)[
    Symbol.asyncIterator
  ]()
  // Ending the iteration cancels the body, as a browser closing the page does.
  return { events, close: () => events.return?.(undefined) }
}

describe('live pages', () => {
  it("the task list's stream sends a task's new row when it runs, and nothing is left after it closes", async () => {
    host = await inProcessHost()
    // The dashboard loads on its first request (lazy-app.ts), with listeners of its own that stay
    // (the strips' cache): load it first, so that only the stream's are counted.
    expect((await host.app.request('/')).status).toBe(200)
    const listeners = () => host?.tasse.events.listenerCount('run:ended') ?? -1
    const before = listeners()
    const { events, close } = await open('/live/tasks')
    await until(() => listeners() === before + 1)
    const run = await host.tasse.trigger('hello')
    let upsert: { id: string; html: string } | undefined
    while (!upsert) {
      const { value } = await events.next()
      if (value?.event === 'upsert') upsert = JSON.parse(value.data)
    }
    expect(upsert.id).toBe('task-hello')
    expect(upsert.html).toContain(`/runs/${run.id}`)
    await close()
    await until(() => listeners() === before)
  })

  it("a run's stream sends its output from the start, its facts, then end", async () => {
    host = await inProcessHost()
    const run = await host.tasse.trigger('gate')
    const { events } = await open(`/live/runs/${run.id}`)
    const seen: string[] = []
    let output = ''
    for (;;) {
      const { value, done } = await events.next()
      if (done) break
      seen.push(value.event)
      if (value.event === 'output') {
        output += JSON.parse(value.data).text
        if (output.includes('waiting for')) openGate(host.data)
      }
      if (value.event === 'end') break
    }
    expect(seen[0]).toBe('reset')
    expect(output).toBe(`waiting for ${run.id}\ngate opened\n`)
    expect(seen.at(-2)).toBe('swap')
    expect(seen.at(-1)).toBe('end')
  })
})
