import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkTaskFile, readTaskFile } from './task-files.js'

let root = ''
let dir = ''
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tasse-task-files-'))
  dir = join(root, 'task')
  mkdirSync(dir)
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

describe('readTaskFile', () => {
  it('reads a regular file, and a link to one inside the folder', () => {
    writeFileSync(join(dir, 'task.yaml'), 'timeout: 5s\n')
    mkdirSync(join(dir, 'conf'))
    writeFileSync(join(dir, 'conf', 'real.yaml'), 'overlap: queue\n')
    symlinkSync('conf/real.yaml', join(dir, 'linked.yaml'))
    expect(readTaskFile(dir, 'task.yaml', 1024)).toEqual({ ok: true, text: 'timeout: 5s\n' })
    expect(readTaskFile(dir, 'linked.yaml', 1024)).toEqual({ ok: true, text: 'overlap: queue\n' })
  })

  it('says a missing file is missing', () => {
    expect(readTaskFile(dir, 'task.yaml', 1024)).toMatchObject({ ok: false, missing: true })
  })

  it('refuses a FIFO without blocking on it', () => {
    execFileSync('mkfifo', [join(dir, 'task.yaml')])
    const started = Date.now()
    expect(readTaskFile(dir, 'task.yaml', 1024)).toEqual({
      ok: false,
      missing: false,
      problem: 'is a FIFO (named pipe), not a regular file',
    })
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('refuses a folder, a device and a link to a device', () => {
    mkdirSync(join(dir, 'task.yaml'))
    symlinkSync('/dev/zero', join(dir, 'zero.yaml'))
    expect(readTaskFile(dir, 'task.yaml', 1024)).toMatchObject({
      problem: 'is a folder, not a regular file',
    })
    // /dev/zero is outside the folder: refused as such before its kind matters.
    expect(readTaskFile(dir, 'zero.yaml', 1024)).toMatchObject({
      ok: false,
      problem: expect.stringContaining("leads outside the task's folder"),
    })
  })

  it('refuses a link that leads out of the folder, and never shows what it points to', () => {
    writeFileSync(join(root, 'secret.txt'), 'SECRET first line\n')
    symlinkSync('../secret.txt', join(dir, 'task.yaml'))
    symlinkSync(join(root, 'secret.txt'), join(dir, 'absolute.yaml'))
    for (const name of ['task.yaml', 'absolute.yaml']) {
      const result = readTaskFile(dir, name, 1024)
      expect(result.ok).toBe(false)
      expect(JSON.stringify(result)).not.toMatch(/SECRET|secret\.txt/)
    }
  })

  it('follows a task folder that is itself a link', () => {
    writeFileSync(join(dir, 'task.yaml'), 'x: 1\n')
    symlinkSync(dir, join(root, 'alias'))
    expect(readTaskFile(join(root, 'alias'), 'task.yaml', 1024)).toEqual({
      ok: true,
      text: 'x: 1\n',
    })
  })

  it('refuses a file over the size limit, naming the limit', () => {
    writeFileSync(join(dir, 'task.yaml'), 'x'.repeat(2048))
    expect(readTaskFile(dir, 'task.yaml', 1024)).toEqual({
      ok: false,
      missing: false,
      problem: 'is larger than the 1 KiB a task file may be (2048 bytes)',
    })
  })

  it('says why a file cannot be read, without its absolute path', () => {
    symlinkSync('task.yaml', join(dir, 'task.yaml')) // a link to itself: ELOOP, even for root
    const result = readTaskFile(dir, 'task.yaml', 1024)
    expect(result).toMatchObject({ ok: false, problem: expect.stringContaining('(ELOOP)') })
    expect(JSON.stringify(result)).not.toContain(root)
  })
})

describe('checkTaskFile', () => {
  it('checks without opening: a FIFO, a folder, a file too large, a good file', () => {
    execFileSync('mkfifo', [join(dir, 'fifo.sh')])
    mkdirSync(join(dir, 'task.py'))
    writeFileSync(join(dir, 'big.sh'), 'x'.repeat(100))
    writeFileSync(join(dir, 'task.sh'), 'echo hi\n')
    expect(checkTaskFile(dir, 'fifo.sh', 1024)).toMatchObject({
      problem: expect.stringMatching(/FIFO/),
    })
    expect(checkTaskFile(dir, 'task.py', 1024)).toMatchObject({
      problem: 'is a folder, not a regular file',
    })
    expect(checkTaskFile(dir, 'big.sh', 10)).toMatchObject({
      problem: expect.stringMatching(/larger/),
    })
    expect(checkTaskFile(dir, 'task.sh', 1024)).toMatchObject({ ok: true, size: 8 })
    expect(checkTaskFile(dir, 'none.sh', 1024)).toMatchObject({ ok: false, missing: true })
  })
})
