import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  groupAlive,
  killOrphanedGroup,
  processStartTime,
  signalGroup,
  startChild,
} from './child-process.js'
import { commandFile, fastSpawn, spawnAddon, spawnPath } from './fast-spawn.js'
import { runCgroups } from './run-cgroup.js'

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' }
const IS_ROOT = process.geteuid?.() === 0
const NOBODY = { uid: 65534, gid: 65534 }
let dir = ''
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = ''
})

const text = (stream: NodeJS.ReadableStream) =>
  new Promise<string>((resolve) => {
    let out = ''
    stream.on('data', (chunk) => {
      out += chunk
    })
    stream.on('close', () => resolve(out))
  })

/** Whether `path` holds a whole line yet (a pid the task writes). */
function hasLine(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').endsWith('\n')
  } catch {
    return false
  }
}

/** Polls `check` for up to 20 s (a loaded machine is slow to reap). */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const ADDON_BUILT = existsSync(
  join(import.meta.dirname, '..', 'build', 'Release', 'tasse_spawn.node'),
)

describe('how runs start', () => {
  it.skipIf(!ADDON_BUILT && process.env.CI !== 'true')(
    'through posix_spawn, the addon being built (CI requires it) (skipped: addon not built)',
    () => {
      expect(spawnPath()).toBe('posix_spawn')
    },
  )
})

// The same guarantees on both ways of starting a process.
describe.each(['posix_spawn', 'child_process'] as const)('startChild through %s', (way) => {
  const before = process.env.TASSE_SPAWN
  beforeAll(() => {
    if (way === 'child_process') process.env.TASSE_SPAWN = 'child_process'
  })
  afterAll(() => {
    if (before === undefined) delete process.env.TASSE_SPAWN
    else process.env.TASSE_SPAWN = before
  })
  it.skipIf(way === 'posix_spawn' && !ADDON_BUILT && process.env.CI !== 'true')(
    `starts through ${way} (skipped: addon not built)`,
    () => {
      expect(spawnPath()).toBe(way)
    },
  )

  it('runs a command without a shell, in its folder, with exactly the environment given', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-child-'))
    const child = await startChild(
      {
        command: 'bash',
        args: ['-c', 'pwd; echo "[$ONLY] [$HOME] [$1]"; echo oops >&2; exit 3', '-', '$(touch x)'],
      },
      { cwd: dir, env: { ...env, ONLY: 'given' } },
    )
    const [stdout, stderr] = [text(child.stdout), text(child.stderr)]
    expect(await child.exited).toEqual({ code: 3, signal: null })
    expect(await stdout).toBe(`${dir}\n[given] [] [$(touch x)]\n`)
    expect(await stderr).toBe('oops\n')
  })

  it('reads no input (stdin is /dev/null) and reports the signal that ended it by name', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-child-'))
    const child = await startChild(
      { command: 'bash', args: ['-c', 'readlink /proc/self/fd/0; kill -TERM $$'] },
      { cwd: dir, env },
    )
    const stdout = text(child.stdout)
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' })
    expect(await stdout).toBe('/dev/null\n')
  })

  it.skipIf(!IS_ROOT)(
    `runs as another user: ids switched, supplementary groups and capabilities dropped, in the run's control group${IS_ROOT ? '' : ' (skipped: not root)'}`,
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'tasse-child-'))
      chmodSync(dir, 0o755)
      const cgroups = runCgroups()
      const cgroup = cgroups?.create(`asuser${process.pid}${way.length}`) ?? null
      const child = await startChild(
        {
          command: 'sh',
          args: [
            '-c',
            'echo "$(id -u) $(id -g) [$(id -G)] $(pwd)"; grep CapEff /proc/self/status; exec sleep 60',
          ],
        },
        { cwd: dir, env, cgroup, user: NOBODY },
      )
      const stdout = text(child.stdout)
      // In its cgroup: joined as root before the switch (posix_spawn), or moved in by the host
      // right after the spawn (child_process).
      if (cgroup) await until(() => cgroup.pids().includes(child.pid), 'the child in its cgroup')
      // Its lines written once it became `sleep`.
      await until(
        () => readFileSync(`/proc/${child.pid}/comm`, 'utf8') === 'sleep\n',
        'the child to print its ids',
      )
      await child.terminate(1000)
      expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM' })
      const out = await stdout
      expect(out).toBe(`65534 65534 [65534] ${dir}\nCapEff:\t0000000000000000\n`)
    },
  )

  it.skipIf(!IS_ROOT)(
    `a command the user may not execute fails as it runs, with the reason${IS_ROOT ? '' : ' (skipped: not root)'}`,
    async () => {
      dir = mkdtempSync(join(tmpdir(), 'tasse-child-'))
      const script = join(dir, 'private.sh')
      writeFileSync(script, '#!/bin/sh\necho ran\n', { mode: 0o700 })
      const run = startChild({ command: script, args: [] }, { cwd: '/', env, user: NOBODY })
      // Through the helper the switch happens after the spawn: the run ends with 126; Node's
      // spawn switches before exec and reports EACCES at once.
      const outcome = await run.then(
        async (child) => ({ exit: await child.exited, err: await text(child.stderr) }),
        (cause: Error) => ({ exit: null, err: cause.message }),
      )
      expect(outcome.err).toMatch(/EACCES|Permission denied/)
      if (outcome.exit) expect(outcome.exit).toEqual({ code: 126, signal: null })
    },
  )

  it('starts with every signal at its default and none blocked (the host ignores SIGPIPE)', async () => {
    const child = await startChild(
      { command: 'grep', args: ['-E', '^Sig(Blk|Ign)', '/proc/self/status'] },
      { cwd: '/', env },
    )
    const stdout = text(child.stdout)
    expect(await child.exited).toEqual({ code: 0, signal: null })
    expect(await stdout).toBe('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n')
  })

  const cgroups = IS_ROOT ? runCgroups() : null
  it.skipIf(!cgroups)(
    `is in the run's control groups from its first instruction${cgroups ? '' : ' (skipped: no control groups Tasse may make here)'}`,
    async () => {
      const cgroup = cgroups?.create(`join${process.pid}${way.length}`) ?? null
      if (!cgroup) throw new Error('no control group')
      try {
        // `cat` itself reads where it is: no process of the run runs outside the groups.
        const child = await startChild(
          { command: 'cat', args: ['/proc/self/cgroup'] },
          { cwd: '/', env, cgroup },
        )
        const stdout = text(child.stdout)
        expect(await child.exited).toEqual({ code: 0, signal: null })
        const lines = (await stdout)
          .split('\n')
          .filter((line) => line.includes(`/join${process.pid}`))
        expect(lines).toHaveLength(cgroup.procsPaths.length)
        expect(child.startTime).toBeGreaterThan(0)
        await child.terminate(1000)
      } finally {
        cgroup.remove()
      }
    },
  )

  it('rejects with ENOENT when its working directory is gone', async () => {
    await expect(
      startChild({ command: 'bash', args: ['-c', 'true'] }, { cwd: '/nonexistent/tasse', env }),
    ).rejects.toThrow(/^could not start bash: .*ENOENT/)
  })

  it('leads its own process group, with its start time on record', async () => {
    const child = await startChild({ command: 'sleep', args: ['30'] }, { cwd: '/', env })
    expect(child.pid).toBeGreaterThan(0)
    expect(child.startTime).toBe(processStartTime(child.pid))
    expect(groupAlive(child.pid)).toBe(true)
    expect(child.kill('SIGKILL')).toBe(true)
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' })
  })

  it('rejects with the reason when the command cannot start', async () => {
    await expect(
      startChild({ command: 'tasse-no-such-command', args: [] }, { cwd: '/', env }),
    ).rejects.toThrow(/^could not start tasse-no-such-command: .*ENOENT/)
  })

  it('terminate ends the whole group, grandchildren included, with SIGTERM', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-child-'))
    const child = await startChild(
      { command: 'bash', args: ['-c', 'sleep 30 & echo $! > grandchild.pid; wait'] },
      { cwd: dir, env },
    )
    await until(() => hasLine(join(dir, 'grandchild.pid')), 'the grandchild')
    const grandchild = Number(readFileSync(join(dir, 'grandchild.pid'), 'utf8'))
    child.terminate(5000)
    expect((await child.exited).signal).toBe('SIGTERM')
    await until(() => !groupAlive(child.pid), 'the group to be gone')
    expect(() => process.kill(grandchild, 0)).toThrow()
  })

  it('terminate escalates to SIGKILL after the grace when SIGTERM is ignored', async () => {
    const child = await startChild(
      { command: 'bash', args: ['-c', "trap '' TERM; echo ready; while :; do sleep 0.05; done"] },
      { cwd: '/', env },
    )
    await new Promise((resolve) => child.stdout.once('data', resolve))
    child.terminate(300)
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' })
  })

  // Issue #12, item 5: the SIGKILL was dropped once the leader had exited.
  it('terminate goes on to SIGKILL the group after its leader exited, and sweeps a leader that exited on its own', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-child-'))
    const child = await startChild(
      {
        command: 'bash',
        args: ['-c', "trap '' TERM; sleep 300 & echo $! > left.pid; exit 0"],
      },
      { cwd: dir, env },
    )
    expect(await child.exited).toEqual({ code: 0, signal: null })
    await until(() => hasLine(join(dir, 'left.pid')), 'the child left behind')
    expect(groupAlive(child.pid)).toBe(true)
    const ending = child.terminate(300)
    expect(child.terminate(300)).toBe(ending) // one sequence, however often asked
    await ending
    expect(groupAlive(child.pid)).toBe(false)
  })

  it('closeOutput lets go of pipes a grandchild keeps open', async () => {
    const child = await startChild(
      { command: 'bash', args: ['-c', 'sleep 30 & echo started'] },
      { cwd: '/', env },
    )
    const closed = new Promise((resolve) => child.stdout.once('close', resolve))
    expect(await child.exited).toEqual({ code: 0, signal: null })
    child.closeOutput()
    await closed
    expect(signalGroup(child.pid, 'SIGKILL')).toBe(true)
  })
})

describe('killOrphanedGroup', () => {
  it('leaves a process whose start time is not the one recorded (a reused pid)', async () => {
    const child = await startChild({ command: 'sleep', args: ['30'] }, { cwd: '/', env })
    expect(killOrphanedGroup(child.pid, (child.startTime as number) + 1)).toBe(false)
    expect(groupAlive(child.pid)).toBe(true)
    expect(killOrphanedGroup(child.pid, child.startTime)).toBe(true)
    expect((await child.exited).signal).toBe('SIGKILL')
    await until(() => !groupAlive(child.pid), 'the group to be gone')
    expect(killOrphanedGroup(child.pid, child.startTime)).toBe(false)
  })
})

describe('commandFile', () => {
  it('finds a command as execvp does: PATH in order, an empty entry as the folder, a path as it is', () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-child-'))
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\n', { mode: 0o755 })
    writeFileSync(join(dir, 'plain'), 'not executable\n', { mode: 0o644 })
    expect(commandFile('tool', dir, ':/usr/bin')).toBe('./tool')
    expect(commandFile('tool', '/', `/nonexistent:${dir}`)).toBe(join(dir, 'tool'))
    expect(commandFile('plain', dir, ':')).toBeNull()
    expect(commandFile('./tool', dir, '')).toBe('./tool')
    expect(commandFile('./gone', dir, '')).toBeNull()
    expect(commandFile('sh', '/', '/nonexistent:/bin:/usr/bin')).toBe('/bin/sh')
  })
})

describe('fastSpawn', () => {
  const addon = spawnAddon()

  it.skipIf(!addon && process.env.CI !== 'true')(
    'a control group it cannot join is named on its stderr, and the command runs anyway (skipped: addon not built)',
    async () => {
      if (!addon) throw new Error('the addon is not built')
      const missing = '/nonexistent/tasse/cgroup.procs'
      const child = await fastSpawn(addon, 'sh', ['-c', 'echo ran; exec sleep 30'], {
        cwd: '/',
        env,
        cgroupProcs: [missing],
      })
      const [stdout, stderr] = [text(child.stdout), text(child.stderr)]
      // The start time the child read before its exec is the one /proc gives afterwards.
      expect(child.startTime).toBe(processStartTime(child.pid))
      expect(child.startTime).toBeGreaterThan(0)
      await new Promise((resolve) => child.stdout.once('data', resolve))
      process.kill(-child.pid, 'SIGKILL')
      expect((await child.exited).signal).toBe('SIGKILL')
      expect(await stdout).toBe('ran\n')
      expect(await stderr).toBe(
        `tasse: could not join the run's control group(s) ${missing}: its limits may not hold, and processes that leave its process group may outlive it\n`,
      )
    },
  )
})
