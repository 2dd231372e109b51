import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_SECRET_BYTES, readRunFiles, secretMask } from './run-secrets.js'

let dir = ''
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = ''
})
const folder = (files: Record<string, string>) => {
  dir = mkdtempSync(join(tmpdir(), 'tasse-secrets-'))
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

describe('readRunFiles', () => {
  it('reads env files in order (later wins) and secrets without their trailing newline', async () => {
    const d = folder({
      '.env': 'A=1\nB="two words"\n# comment\nexport C=3\n',
      'more.env': 'B=override\n',
      db: 'hunter2\n',
      key: 'line one\nline two\n\n',
    })
    const files = await readRunFiles({
      dir: d,
      envFiles: ['.env', join(d, 'more.env')],
      secrets: { DB: 'db', KEY: join(d, 'key') },
    })
    expect(files.env).toEqual({ A: '1', B: 'override', C: '3' })
    expect(files.secrets).toEqual({ DB: 'hunter2', KEY: 'line one\nline two\n' })
  })

  it('a missing, oversized or special file fails with the file and the key, never a value', async () => {
    const d = folder({ big: 'x'.repeat(MAX_SECRET_BYTES + 1), ok: 'hunter2' })
    execFileSync('mkfifo', [join(d, 'fifo')])
    const problem = (secrets: Record<string, string>) =>
      readRunFiles({ dir: d, secrets }).then(
        () => null,
        (cause: Error) => cause.message,
      )
    expect(await problem({ OK: 'ok', DB: 'missing' })).toBe(
      `secrets.DB: cannot read ${join(d, 'missing')}: no such file`,
    )
    expect(await problem({ BIG: 'big' })).toBe(
      `secrets.BIG: ${join(d, 'big')} is larger than ${MAX_SECRET_BYTES} bytes`,
    )
    // A FIFO would block the read until a writer came: refused at once.
    expect(await problem({ F: 'fifo' })).toBe(`secrets.F: ${join(d, 'fifo')} is not a regular file`)
    expect(await problem({ D: '.' })).toMatch(/^secrets\.D: .* is not a regular file$/)
    await expect(readRunFiles({ dir: d, envFiles: ['nope.env'] })).rejects.toThrow(
      `env_files: nope.env: cannot read ${join(d, 'nope.env')}: no such file`,
    )
  })
})

describe('secretMask', () => {
  it('replaces every occurrence of each value, the longest first', () => {
    const mask = secretMask(['hunter2', 'hunter2-and-more', ''])
    expect(mask('a hunter2 b hunter2')).toBe('a *** b ***')
    expect(mask('x hunter2-and-more y')).toBe('x *** y')
    expect(mask('nothing here')).toBe('nothing here')
  })

  it('masks a value of several lines line by line, since output is read by lines', () => {
    const mask = secretMask(['-----BEGIN KEY-----\nAAAAsecretBBBB\n-----END KEY-----\n'])
    expect(mask('AAAAsecretBBBB')).toBe('***')
    expect(mask('-----BEGIN KEY-----')).toBe('***')
  })

  it('without values, lines are left as they are', () => {
    expect(secretMask([])('hunter2')).toBe('hunter2')
  })
})
