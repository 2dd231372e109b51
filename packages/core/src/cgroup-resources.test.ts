import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type CgroupWriter, HOST_LEAF, resourcePlaces, runResources } from './cgroup-resources.js'

const MIB = 2 ** 20
let dir = ''
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = ''
})

/** Whether this machine has a real cgroup v2 with the memory controller (then it is tested for real). */
const realV2 =
  existsSync('/sys/fs/cgroup/cgroup.controllers') &&
  readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').includes('memory')

/**
 * A folder shaped as a cgroup v2 tree (plain files: the kernel's side is what the test writes),
 * `<own>/tasse/<run>`, with `controllers` given to the host's group.
 */
function fakeV2(controllers: string): { root: string; own: string } {
  dir = mkdtempSync(join(tmpdir(), 'tasse-fake-cgroup2-'))
  const own = join(dir, 'own')
  const root = join(own, 'tasse')
  mkdirSync(root, { recursive: true })
  writeFileSync(join(own, 'cgroup.controllers'), `${controllers}\n`)
  writeFileSync(join(own, 'cgroup.subtree_control'), '')
  writeFileSync(join(root, 'cgroup.subtree_control'), '')
  return { root, own }
}

describe.skipIf(realV2)(
  'cgroup v2 limits and accounting (fake cgroup v2 tree: no real v2 with controllers on this machine)',
  () => {
    it('enables the controllers for the runs, writes memory.max, cpu.max and pids.max, and reads memory.peak, cpu.stat and oom_kill', () => {
      const { root, own } = fakeV2('cpuset cpu io memory pids')
      const places = resourcePlaces(root, {})
      expect(places.v2).toEqual(['memory', 'cpu', 'pids'])
      expect(places.missing).toEqual({})
      // A real kernel keeps every word written; the fake file keeps the last one.
      expect(readFileSync(join(own, 'cgroup.subtree_control'), 'utf8')).toBe('+pids')
      expect(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8')).toBe('+pids')

      const run = join(root, 'run1')
      mkdirSync(run)
      const resources = runResources(places, run, 'run1')
      expect(resources.procsPaths).toEqual([])
      resources.apply({ memoryBytes: 64 * MIB, cpu: 0.2, pids: 32 })
      expect(readFileSync(join(run, 'memory.max'), 'utf8')).toBe(String(64 * MIB))
      expect(readFileSync(join(run, 'memory.swap.max'), 'utf8')).toBe('0')
      expect(readFileSync(join(run, 'cpu.max'), 'utf8')).toBe('20000 100000')
      expect(readFileSync(join(run, 'pids.max'), 'utf8')).toBe('32')

      writeFileSync(join(run, 'memory.peak'), `${70 * MIB}\n`)
      writeFileSync(
        join(run, 'cpu.stat'),
        'usage_usec 1500000\nuser_usec 1250000\nsystem_usec 250000\n',
      )
      writeFileSync(join(run, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 0\n')
      expect(resources.usage()).toEqual({
        peakMemoryBytes: 70 * MIB,
        cpuUserSeconds: 1.25,
        cpuSystemSeconds: 0.25,
      })
      expect(resources.oomKilled()).toBe(false)
      writeFileSync(join(run, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n')
      expect(resources.oomKilled()).toBe(true)
    })

    it("moves the host into its leaf group where the kernel refuses controllers to a group with processes (a container's, systemd's Delegate=yes)", () => {
      const { root, own } = fakeV2('memory cpu pids')
      // The kernel's rule, played by the writer: no controller passes down while processes are in `own`.
      let hostInOwn = true
      const writes: string[] = []
      const kernel: CgroupWriter = {
        write(file, text) {
          writes.push(`${file.slice(own.length)} ${text}`)
          if (file === join(own, 'cgroup.subtree_control') && hostInOwn)
            throw Object.assign(new Error('EBUSY: resource busy'), { code: 'EBUSY' })
          if (file === join(own, HOST_LEAF, 'cgroup.procs')) hostInOwn = false
          else writeFileSync(file, text)
        },
      }
      const places = resourcePlaces(root, {}, kernel)
      expect(places.missing).toEqual({})
      expect(places.v2).toEqual(['memory', 'cpu', 'pids'])
      expect(writes.slice(0, 3)).toEqual([
        '/cgroup.subtree_control +memory',
        `/${HOST_LEAF}/cgroup.procs ${process.pid}`,
        '/cgroup.subtree_control +memory',
      ])
    })

    it("says why where other processes keep the host's group busy", () => {
      const { root } = fakeV2('memory cpu pids')
      const busy: CgroupWriter = {
        write(file) {
          if (file.endsWith('cgroup.subtree_control'))
            throw Object.assign(new Error('EBUSY: resource busy'), { code: 'EBUSY' })
        },
      }
      const places = resourcePlaces(root, {}, busy)
      expect(places.v2).toEqual([])
      expect(places.missing.memory).toMatch(
        /while other processes are in it \(the host moved itself into tasse-host\/\)/,
      )
    })

    it('says why a limit cannot be enforced when the controller is not given to the host', () => {
      const { root } = fakeV2('cpu pids')
      const places = resourcePlaces(root, {})
      expect(places.v2).toEqual(['cpu', 'pids'])
      expect(places.missing.memory).toMatch(
        /does not give the memory controller to the host's group/,
      )
      // Accounting of CPU still comes from cpu.stat; memory has no counter to read.
      const run = join(root, 'run2')
      mkdirSync(run)
      writeFileSync(join(run, 'cpu.stat'), 'usage_usec 10\nuser_usec 7\nsystem_usec 3\n')
      const usage = runResources(places, run, 'run2').usage()
      expect(usage.peakMemoryBytes).toBeNull()
      expect(usage.cpuUserSeconds).toBe(0.000007)
    })
  },
)

describe('cgroup v1 limits and accounting (fake v1 hierarchies)', () => {
  it('makes a group per run in each hierarchy (cpu and cpuacct sharing one) and writes v1 files', () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-fake-cgroup1-'))
    const roots = {
      memory: join(dir, 'memory', 'tasse'),
      cpu: join(dir, 'cpu,cpuacct', 'tasse'),
      cpuacct: join(dir, 'cpu,cpuacct', 'tasse'),
      pids: join(dir, 'pids', 'tasse'),
    }
    for (const root of Object.values(roots)) {
      mkdirSync(root, { recursive: true })
      writeFileSync(join(root, 'cgroup.procs'), '')
    }
    const places = resourcePlaces(null, roots)
    expect(places.missing).toEqual({})
    const resources = runResources(places, null, 'run3')
    expect(resources.procsPaths).toEqual([
      join(roots.memory, 'run3', 'cgroup.procs'),
      join(roots.cpu, 'run3', 'cgroup.procs'),
      join(roots.pids, 'run3', 'cgroup.procs'),
    ])
    resources.apply({ memoryBytes: 64 * MIB, cpu: 1.5, pids: 10 })
    const file = (root: string, name: string) => readFileSync(join(root, 'run3', name), 'utf8')
    expect(file(roots.memory, 'memory.limit_in_bytes')).toBe(String(64 * MIB))
    expect(file(roots.memory, 'memory.memsw.limit_in_bytes')).toBe(String(64 * MIB))
    expect(file(roots.cpu, 'cpu.cfs_quota_us')).toBe('150000')
    expect(file(roots.cpu, 'cpu.cfs_period_us')).toBe('100000')
    expect(file(roots.pids, 'pids.max')).toBe('10')

    writeFileSync(join(roots.memory, 'run3', 'memory.max_usage_in_bytes'), `${5 * MIB}\n`)
    writeFileSync(join(roots.cpu, 'run3', 'cpuacct.usage_user'), '2000000000\n')
    writeFileSync(join(roots.cpu, 'run3', 'cpuacct.usage_sys'), '500000000\n')
    writeFileSync(
      join(roots.memory, 'run3', 'memory.oom_control'),
      'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
    )
    expect(resources.usage()).toEqual({
      peakMemoryBytes: 5 * MIB,
      cpuUserSeconds: 2,
      cpuSystemSeconds: 0.5,
    })
    expect(resources.oomKilled()).toBe(true)
  })

  it('says a limit is missing where its hierarchy is not mounted', () => {
    dir = mkdtempSync(join(tmpdir(), 'tasse-fake-cgroup1-'))
    const places = resourcePlaces(null, {})
    expect(places.missing).toEqual({
      memory: 'no memory controller',
      cpu: 'no cpu controller',
      pids: 'no pids controller',
    })
  })
})
