import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TasseEvents } from './events.js'
import { openRunLog, RunLogFollowers } from './run-log.js'
import type { Run } from './types.js'

describe('RunLogFollowers', () => {
  // Issue #12: more than ten followers printed MaxListenersExceededWarning.
  it('serves any number of followers with one listener per event, waking only those of the run', () => {
    const events = new TasseEvents()
    const followers = new RunLogFollowers(events)
    const woken: string[] = []
    const unsubscribe = Array.from({ length: 25 }, (_, i) =>
      followers.subscribe(i % 5 === 0 ? 'b' : 'a', () => woken.push(`${i}`)),
    )
    expect(events.listenerCount('run:output')).toBe(1)
    expect(events.listenerCount('run:ended')).toBe(1)
    events.emit('run:ended', { id: 'b' } as Run)
    expect(woken).toEqual(['0', '5', '10', '15', '20'])
    for (const stop of unsubscribe) stop()
    expect(events.listenerCount('run:output')).toBe(0)
    expect(events.listenerCount('run:ended')).toBe(0)
  })
})

describe('openRunLog', () => {
  let dir = ''
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  const text = async (stream: ReadableStream<Uint8Array>) => new Response(stream).text()

  it('streams the whole file or a range of it, in chunks', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-run-log-'))
    const content = 'x'.repeat(200_000) + 'end\n'
    writeFileSync(join(dir, 'a.log'), content)
    const log = await openRunLog(join(dir, 'a.log'))
    expect(log.size).toBe(content.length)
    expect(await text(log.stream())).toBe(content)
    const again = await openRunLog(join(dir, 'a.log'))
    expect(await text(again.stream({ start: 199_998, end: 200_001 }))).toBe('xxen')
  })

  it('reads a log not yet written as empty', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-run-log-'))
    const log = await openRunLog(join(dir, 'none.log'))
    expect(log.size).toBe(0)
    expect(await text(log.stream())).toBe('')
  })
})
