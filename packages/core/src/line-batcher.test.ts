import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { BATCH_CHARS, readLines, splitLines } from './line-batcher.js'

describe('splitLines', () => {
  it.each([
    // text, closed, max line, lines, rest
    ['', false, 10, [], ''],
    ['', true, 10, [], ''],
    ['a', false, 10, [], 'a'],
    ['a', true, 10, ['a'], ''],
    ['a\n', false, 10, ['a'], ''],
    ['a\n', true, 10, ['a'], ''],
    ['a\nb\nc', false, 10, ['a', 'b'], 'c'],
    ['a\nb\nc', true, 10, ['a', 'b', 'c'], ''],
    ['\n\n', false, 10, ['', ''], ''],
    ['a\n\nb\n', true, 10, ['a', '', 'b'], ''],
    ['a\r\nb', false, 10, ['a\r'], 'b'],
    ['x'.repeat(11), false, 10, ['x'.repeat(11)], ''],
    [`a\n${'x'.repeat(10)}`, false, 10, ['a'], 'x'.repeat(10)],
  ] as const)('%j (closed: %s, max %i) → %j + %j', (text, closed, max, lines, rest) => {
    expect(splitLines(text, closed, max)).toStrictEqual({ lines, rest })
  })
})

describe('readLines', () => {
  const collect = (stream: PassThrough) => {
    const batches: string[][] = []
    const done = readLines(stream, (lines) => {
      batches.push(lines)
      return undefined
    })
    return { batches, done }
  }

  it('delivers what arrives within one loop turn as one batch, and a last line without newline', async () => {
    const stream = new PassThrough()
    const { batches, done } = collect(stream)
    stream.write('one\n')
    stream.write('two\nthr')
    stream.write('ee\n')
    await new Promise((resolve) => setImmediate(resolve))
    await new Promise((resolve) => setImmediate(resolve))
    stream.end('last')
    await done
    expect(batches).toEqual([['one', 'two', 'three'], ['last']])
  })

  it('keeps a character whose bytes arrive in two chunks whole', async () => {
    const stream = new PassThrough()
    const { batches, done } = collect(stream)
    const bytes = Buffer.from('é€\n')
    stream.write(bytes.subarray(0, 1))
    stream.write(bytes.subarray(1, 3))
    stream.end(bytes.subarray(3))
    await done
    expect(batches.flat()).toEqual(['é€'])
  })

  it('hands a batch on at once past BATCH_CHARS, without waiting for the loop turn', async () => {
    const stream = new PassThrough()
    const { batches, done } = collect(stream)
    const line = 'y'.repeat(1023)
    stream.write(`${line}\n`.repeat(BATCH_CHARS / 1024))
    expect(batches).toHaveLength(1)
    stream.end()
    await done
  })

  it('pauses the stream while a sink asks to wait, then resumes', async () => {
    const stream = new PassThrough()
    let release: () => void = () => {}
    const seen: string[] = []
    const done = readLines(stream, (lines) => {
      seen.push(...lines)
      return seen.length === 1
        ? new Promise<void>((resolve) => {
            release = resolve
          })
        : undefined
    })
    stream.write('first\n')
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(stream.isPaused()).toBe(true)
    stream.write('second\n')
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(seen).toEqual(['first'])
    release()
    stream.end()
    await done
    expect(seen).toEqual(['first', 'second'])
  })
})
