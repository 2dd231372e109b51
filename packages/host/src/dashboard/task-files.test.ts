import { execFileSync } from 'node:child_process'
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SHOWN_BYTES, showFile } from './task-files.js'

describe('showFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tasse-show-'))
  writeFileSync(join(dir, 'task.sh'), 'echo hi\n')
  writeFileSync(join(dir, 'big.txt'), 'x'.repeat(SHOWN_BYTES + 10))
  writeFileSync(join(dir, 'bin'), Buffer.from([1, 0, 2]))

  it('reads a file of the task', () => {
    expect(showFile(dir, 'task.sh')).toEqual({ name: 'task.sh', text: 'echo hi\n', note: null })
  })

  it('cuts a large file and says so', () => {
    const shown = showFile(dir, 'big.txt')
    expect(shown.text).toHaveLength(SHOWN_BYTES)
    expect(shown.note).toBe('only the first 256 KiB are shown')
  })

  it('says why it shows nothing: missing, binary, outside the folder', () => {
    expect(showFile(dir, 'nope.py').note).toBe('missing')
    expect(showFile(dir, 'bin').note).toBe('a binary file: not shown')
    symlinkSync('/etc/hostname', join(dir, 'elsewhere'))
    expect(showFile(dir, 'elsewhere')).toMatchObject({ text: null, note: /outside/ })
  })

  it('never opens a FIFO for reading, which would block the host', () => {
    execFileSync('mkfifo', [join(dir, 'task.py')])
    expect(showFile(dir, 'task.py')).toEqual({
      name: 'task.py',
      text: null,
      note: 'is a FIFO (named pipe), not a regular file',
    })
  })
})
