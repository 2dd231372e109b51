import {
  chownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readConfig } from './config.js'
import { readTaskUser, takeBack, taskUserIds } from './task-user.js'

const IS_ROOT = process.geteuid?.() === 0
let dir = ''
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = ''
})

describe('--task-user / TASSE_TASK_USER', () => {
  it('reads a name, a uid or uid:gid, the flag over the variable; none by default', () => {
    expect(readConfig({}, {}).taskUser).toBeNull()
    expect(readConfig({}, { TASSE_TASK_USER: 'nobody' }).taskUser).toEqual({ name: 'nobody' })
    expect(readConfig({ 'task-user': '1234:1234' }, { TASSE_TASK_USER: 'x' }).taskUser).toEqual({
      uid: 1234,
      gid: 1234,
    })
    expect(readTaskUser('1000', '--task-user')).toEqual({ uid: 1000 })
  })

  it('refuses anything else, naming the setting and the value', () => {
    expect(() => readConfig({}, { TASSE_TASK_USER: '12:ab' })).toThrow(
      'TASSE_TASK_USER must be a user name (e.g. "nobody"), a uid or "uid:gid" (e.g. "1000:1000"), got "12:ab"',
    )
    expect(() => readConfig({ 'task-user': '-x' }, {})).toThrow('--task-user must be a user name')
  })

  it.skipIf(IS_ROOT)(
    `a host that is not root is refused at start, with the reason${IS_ROOT ? ' (skipped: root)' : ''}`,
    () => {
      expect(() => taskUserIds({ name: 'nobody' })).toThrow(
        /^--task-user \/ TASSE_TASK_USER: the host runs as uid \d+, not root/,
      )
    },
  )

  it.skipIf(!IS_ROOT)(
    `as root: the user's ids, or the reason they cannot be found${IS_ROOT ? '' : ' (skipped: not root)'}`,
    () => {
      expect(taskUserIds(null)).toBeNull()
      expect(taskUserIds({ uid: 4321, gid: 99 })).toEqual({ uid: 4321, gid: 99 })
      expect(() => taskUserIds({ name: 'no-such-user-20b' })).toThrow(
        '--task-user / TASSE_TASK_USER: user "no-such-user-20b" is not in /etc/passwd',
      )
    },
  )
})

describe('takeBack', () => {
  it.skipIf(!IS_ROOT)(
    `gives what the task user owns below a folder back to the host, links themselves, and leaves others' files${IS_ROOT ? '' : ' (skipped: not root)'}`,
    () => {
      dir = mkdtempSync(join(tmpdir(), 'tasse-take-back-'))
      const state = join(dir, '.tasse')
      mkdirSync(join(state, 'deep'), { recursive: true })
      writeFileSync(join(state, 'token'), 'x')
      writeFileSync(join(state, 'other'), 'y')
      symlinkSync('/etc/hostname', join(state, 'deep', 'link'))
      for (const path of [state, join(state, 'deep'), join(state, 'token')])
        chownSync(path, 4321, 4321)
      chownSync(join(state, 'other'), 5555, 5555)
      const hostname = statSync('/etc/hostname').uid
      takeBack(state, 4321)
      for (const path of [state, join(state, 'deep'), join(state, 'token')])
        expect(statSync(path).uid, path).toBe(0)
      expect(statSync(join(state, 'other')).uid).toBe(5555)
      expect(statSync('/etc/hostname').uid, 'a link is not followed').toBe(hostname)
      takeBack(join(dir, 'missing'), 4321) // nothing there: nothing to do
    },
  )
  it.skipIf(!IS_ROOT)(
    `not deep: takes the folder back and leaves what is in it (venv/<task>, built as the user)${IS_ROOT ? '' : ' (skipped: not root)'}`,
    () => {
      dir = mkdtempSync(join(tmpdir(), 'tasse-take-back-'))
      const venv = join(dir, 'venv')
      mkdirSync(join(venv, 'task'), { recursive: true })
      for (const path of [venv, join(venv, 'task')]) chownSync(path, 4321, 4321)
      takeBack(venv, 4321, false)
      expect(statSync(venv).uid).toBe(0)
      expect(statSync(join(venv, 'task')).uid).toBe(4321)
    },
  )
})
