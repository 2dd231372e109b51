import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type CgroupChoice, runCgroups } from './run-cgroup.js'

let dir = ''
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = ''
})

/** Kernel files as a fake /proc gives them, for the detection without a cgroup file system. */
function sources(mountinfo: string, cgroup: string) {
  dir = mkdtempSync(join(tmpdir(), 'tasse-cgroup-'))
  writeFileSync(join(dir, 'mountinfo'), mountinfo)
  writeFileSync(join(dir, 'cgroup'), cgroup)
  return { mountinfo: join(dir, 'mountinfo'), cgroup: join(dir, 'cgroup') }
}

const isRoot = process.getuid?.() === 0
const available = (choice: CgroupChoice) => isRoot && runCgroups(choice) !== null

describe('runCgroups', () => {
  it('finds none where no cgroup file system is mounted, or where it is told off', () => {
    const none = sources('22 1 0:21 / /proc rw - proc proc rw\n', '0::/\n')
    expect(runCgroups('auto', none)).toBeNull()
    expect(runCgroups('off')).toBeNull()
  })

  it('finds none where the hierarchy is mounted but its folder cannot be written', () => {
    const unwritable = sources(
      `40 30 0:37 / ${join(tmpdir(), 'tasse-no-such-cgroup-mount')} rw - cgroup2 cgroup2 rw\n`,
      '0::/\n',
    )
    expect(runCgroups('v2', unwritable)).toBeNull()
  })

  it("keeps the runs' groups beside the host's leaf group after the host moved into it (fake cgroup v2 tree)", () => {
    const mount = mkdtempSync(join(tmpdir(), 'tasse-fake-cgroup2-mount-'))
    try {
      mkdirSync(join(mount, 'svc', 'tasse'), { recursive: true })
      for (const file of ['cgroup.procs', 'cgroup.kill'])
        writeFileSync(join(mount, 'svc', 'tasse', file), '')
      const fake = sources(
        `40 30 0:37 / ${mount} rw - cgroup2 cgroup2 rw\n`,
        '0::/svc/tasse-host\n',
      )
      expect(runCgroups('v2', fake)?.root).toBe(join(mount, 'svc', 'tasse'))
    } finally {
      rmSync(mount, { recursive: true, force: true })
    }
  })

  it('refuses a run id that is not one (never a path)', () => {
    const cgroups = runCgroups()
    if (!cgroups) return
    expect(() => cgroups.create('../x')).toThrow('not a run id: "../x"')
  })

  for (const choice of ['v2', 'v1'] as const)
    it.skipIf(!available(choice))(
      `${choice}: a process that joined, and the setsid daemon it forks, are killed at once and the group removed${available(choice) ? '' : ' (skipped: not writable here, or not root)'}`,
      async () => {
        const cgroups = runCgroups(choice)
        if (!cgroups) throw new Error('unreachable')
        expect(cgroups.kind).toBe(choice === 'v2' ? 'v2' : 'v1-freezer')
        const id = `test${process.pid}${choice}`
        const group = cgroups.create(id)
        expect(cgroups.open(id)?.path).toBe(group.path)
        const child = spawn(
          '/bin/sh',
          [
            '-c',
            'echo $$ > "$0"; setsid sh -c "trap \'\' TERM; sleep 300" & exec sleep 300',
            group.procsPath,
          ],
          { stdio: 'ignore', detached: true },
        )
        const deadline = Date.now() + 20_000
        while (group.pids().length < 3 && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 25))
        expect(group.pids()).toContain(child.pid)
        expect(readFileSync(`/proc/${child.pid}/cgroup`, 'utf8')).toContain(`/tasse/${id}`)
        expect(group.remove()).toBe(false) // not while a process is in it
        await group.kill()
        while (group.pids().length && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 25))
        expect(group.pids()).toEqual([])
        expect(group.remove()).toBe(true)
        expect(cgroups.open(id)).toBeNull()
      },
    )
})
