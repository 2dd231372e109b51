import type { OutputBatch } from '@tasse/core'
import { describe, expect, it } from 'vitest'
import { ProgressLine, type StatusStream } from './progress-line.js'

function sink(tty: boolean): StatusStream & { text: string } {
  return {
    text: '',
    isTTY: tty,
    columns: 60,
    write(chunk: string) {
      this.text += chunk
    },
  }
}
const batch = (stream: OutputBatch['stream'], ...lines: string[]): OutputBatch => ({
  stream,
  time: 0,
  lines,
})

describe('ProgressLine', () => {
  it('elsewhere than a terminal, prints Tasse’s lines one by one and the task’s output apart', () => {
    const status = sink(false)
    const stdout = sink(false)
    const progress = new ProgressLine({ status, stdout, stderr: status })
    progress.show(batch('tasse', 'creating the environment', '$ pip install -r requirements.txt'))
    progress.show(batch('stdout', 'Hello world'))
    progress.end(false)
    expect(status.text).toBe(
      '[tasse] creating the environment\n[tasse] $ pip install -r requirements.txt\n',
    )
    expect(stdout.text).toBe('Hello world\n')
  })

  it('on a terminal, keeps one status line updated in place, cleared before the task prints', () => {
    const status = sink(true)
    const stdout = sink(false)
    const progress = new ProgressLine({ status, stdout })
    progress.show(batch('tasse', 'creating the environment'))
    progress.show(batch('tasse', `$ pip install ${'x'.repeat(100)}`))
    progress.show(batch('stdout', 'Hello world'))
    progress.end(false)
    expect(status.text).toBe(
      '\r\x1b[K[tasse] creating the environment (0s)' +
        `\r\x1b[K[tasse] $ pip install ${'x'.repeat(29)}… (0s)` +
        '\r\x1b[K',
    )
    expect(stdout.text).toBe('Hello world\n')
  })

  it('on a terminal, prints the lines in full when the run fails while preparing', () => {
    const status = sink(true)
    const progress = new ProgressLine({ status, keep: 2 })
    progress.show(batch('tasse', 'one', 'two', 'three'))
    progress.end(true)
    expect(status.text).toBe('\r\x1b[K[tasse] three (0s)\r\x1b[K[tasse] two\n[tasse] three\n')
  })
})
