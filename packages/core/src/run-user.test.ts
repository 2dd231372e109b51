import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { reachProblem, resolveUser, switchUserProblem } from './run-user.js'

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'app:x:1000:1001:App:/home/app:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  '',
].join('\n')

describe('resolveUser', () => {
  it('looks a name up, and a uid when it has an entry', () => {
    expect(resolveUser({ name: 'app' }, () => PASSWD)).toEqual({
      uid: 1000,
      gid: 1001,
      name: 'app',
      home: '/home/app',
    })
    expect(resolveUser({ uid: 1000 }, () => PASSWD)).toMatchObject({ gid: 1001, name: 'app' })
    expect(resolveUser({ uid: 1000, gid: 5 }, () => PASSWD)).toMatchObject({ uid: 1000, gid: 5 })
  })

  it('ids without an entry run as they are, the uid as group', () => {
    expect(resolveUser({ uid: 4242 }, () => PASSWD)).toEqual({
      uid: 4242,
      gid: 4242,
      name: '4242',
      home: null,
    })
  })

  it('an unknown name says what to do', () => {
    expect(() => resolveUser({ name: 'ghost' }, () => PASSWD)).toThrow(
      'user "ghost" is not in /etc/passwd: create it, or give "uid:gid" in user:',
    )
  })
})

describe('switchUserProblem', () => {
  const status = (capEff: string) => () => `Name:\tnode\nCapEff:\t${capEff}\n`
  const euid = process.geteuid?.() ?? -1

  it('root with CAP_SETUID and CAP_SETGID can', () => {
    expect(switchUserProblem(status('000001ffffffffff'), 0)).toBeNull()
    expect(switchUserProblem(status('00000000000000c0'), 0)).toBeNull()
  })

  it('root without them cannot, and says why', () => {
    expect(switchUserProblem(status('0000000000000040'), 0)).toMatch(
      /runs as root without CAP_SETUID and CAP_SETGID/,
    )
  })

  it('a host that is not root cannot, whatever its capabilities', () => {
    expect(switchUserProblem(status('000001ffffffffff'), 1000)).toBe(
      'the host runs as uid 1000, not root: only root can start a task as another user',
    )
  })

  it('reads this process’s own capabilities', () => {
    expect(switchUserProblem() === null).toBe(euid === 0)
  })
})

describe('reachProblem', () => {
  let dir = ''
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })
  const nobody = { uid: 65534, gid: 65534, name: 'nobody', home: '/' }

  it('follows every folder above, by the mode bits for the user and their group', () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-reach-'))
    const task = join(dir, 'tasks', 'x')
    mkdirSync(task, { recursive: true })
    writeFileSync(join(task, 'task.sh'), 'echo\n')
    chmodSync(join(task, 'task.sh'), 0o644)
    chmodSync(dir, 0o700)
    expect(reachProblem(task, 'x', nobody)).toBe(
      `user nobody (uid 65534) cannot enter ${dir} (mode 700, owner ${process.getuid?.()}:${process.getgid?.()})`,
    )
    chmodSync(dir, 0o711)
    expect(reachProblem(task, 'x', nobody)).toBeNull()
    expect(reachProblem(join(task, 'task.sh'), 'r', nobody)).toBeNull()
    chmodSync(join(task, 'task.sh'), 0o600)
    expect(reachProblem(join(task, 'task.sh'), 'r', nobody)).toMatch(
      /^user nobody \(uid 65534\) cannot read .*task\.sh \(mode 600/,
    )
    expect(reachProblem(join(task, 'task.sh'), 'x', nobody)).toMatch(/cannot execute/)
    expect(reachProblem(join(task, 'gone'), 'r', nobody)).toMatch(/^cannot look at .*gone: ENOENT/)
  })
})
