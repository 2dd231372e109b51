/**
 * Issue #20, items 1 and 2: a run's limits hold (memory, CPU, processes) and a run's usage is
 * recorded. Each test runs the real `tasse serve` on a temporary data folder, its tasks real
 * Python processes; what they use is measured from /proc, not taken from Tasse.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import {
  dataWith,
  type HostProcess,
  killHosts,
  startHostProcess,
  triggerRun,
  until,
  untilEnded as untilEndedIn,
} from './host-process.js'

/** Generous: a run under a CPU limit on a loaded machine. */
const untilEnded = (host: HostProcess, id: string) => untilEndedIn(host, id, 60_000)

const isRoot = process.getuid?.() === 0
/** What this machine offers for the runs' limits (cgroup v2 controllers, or v1 hierarchies). */
const controllers = availableControllers()
const canLimit = isRoot && ['memory', 'cpu', 'pids'].every((c) => controllers.includes(c))
const SKIP = canLimit ? '' : ' (skipped: needs root and writable memory, cpu and pids cgroups)'
/** The kernel's clock ticks a second, in which /proc/<pid>/stat counts CPU time. */
const CLK_TCK = 100
const MIB = 2 ** 20

let data = ''
const hosts: HostProcess[] = []

afterEach(async () => {
  await killHosts(hosts)
  if (data) rmSync(data, { recursive: true, force: true })
  data = ''
})

async function start(env: NodeJS.ProcessEnv = {}): Promise<HostProcess> {
  const host = await startHostProcess(data, env)
  hosts.push(host)
  return host
}

describe('issue #20: limits per run', () => {
  it.skipIf(!canLimit)(
    `a task allocating in a loop under limits.memory 64M fails "out of memory" within seconds; the host's memory stays as it was${SKIP}`,
    async () => {
      data = dataWith({
        hog: {
          'task.yaml': 'limits: {memory: 64M}\n',
          'task.py': [
            'chunks = []',
            'while True:',
            "    chunks.append(b'x' * (8 << 20))  # written, so resident",
            "    print(f'{len(chunks) * 8} MiB', flush=True)",
          ].join('\n'),
        },
      })
      const host = await start()
      expect(host.output()).toMatch(
        /limits enforced: memory \(cgroup v[12]\), cpu \(cgroup v[12]\), pids \(cgroup v[12]\)/,
      )
      const hostRss = rssOf(host.child.pid as number)
      const began = Date.now()
      const id = await triggerRun(host, 'hog')
      const run = await untilEnded(host, id)
      expect(run.status).toBe('failed')
      expect(run.error).toBe('out of memory')
      expect(Date.now() - began, 'recorded within seconds').toBeLessThan(30_000)
      expect(run.peakMemoryBytes).toBeGreaterThan(48 * MIB)
      expect(run.peakMemoryBytes).toBeLessThanOrEqual(64 * MIB)
      // The task's allocation never reached the host: it was not its memory that grew.
      expect(rssOf(host.child.pid as number) - hostRss).toBeLessThan(32 * MIB)
      expect(await (await fetch(`${host.url}/healthz`)).text()).toBeTruthy()
    },
    90_000,
  )

  it.skipIf(!canLimit)(
    `a busy loop under limits.cpu 0.2 keeps at most about 25 % of a core over 5 s, measured in /proc${SKIP}`,
    async () => {
      data = dataWith({
        spin: { 'task.yaml': 'limits: {cpu: 0.2}\n', 'task.py': 'while True:\n    pass\n' },
      })
      const host = await start()
      const id = await triggerRun(host, 'spin')
      const pid = await until(() => runPids(id)[0], 20_000, 'its process')
      const before = cpuTicks(pid)
      const t0 = Date.now()
      await new Promise((resolve) => setTimeout(resolve, 5000))
      const share = (cpuTicks(pid) - before) / CLK_TCK / ((Date.now() - t0) / 1000)
      expect(share, `share of a core: ${share.toFixed(3)}`).toBeLessThanOrEqual(0.25)
      expect(share, 'it did run').toBeGreaterThan(0.05)
      await fetch(`${host.url}/api/v1/runs/${id}/cancel`, { method: 'POST' })
      const run = await untilEnded(host, id)
      expect(run.status).toBe('cancelled')
      expect(run.cpuUserSeconds).toBeGreaterThan(0.3)
    },
    90_000,
  )

  it.skipIf(!canLimit)(
    `a fork loop under limits.pids 32 cannot exceed 32 processes, and the host keeps answering /healthz${SKIP}`,
    async () => {
      data = dataWith({
        forks: {
          'task.yaml': 'limits: {pids: 32}\n',
          'task.py': [
            'import os, time',
            'children = []',
            'for _ in range(200):',
            '    try:',
            '        pid = os.fork()',
            '    except OSError as error:',
            "        print(f'refused after {len(children)}: {error}', flush=True)",
            '        break',
            '    if pid == 0:',
            '        time.sleep(60)',
            '        os._exit(0)',
            '    children.append(pid)',
            "print(f'forked {len(children)}', flush=True)",
            'time.sleep(2)',
          ].join('\n'),
        },
      })
      const host = await start()
      const id = await triggerRun(host, 'forks')
      const slowest = { ms: 0 }
      let ended = false
      const probing = (async () => {
        while (!ended) {
          const t0 = performance.now()
          const response = await fetch(`${host.url}/healthz`)
          expect(response.status).toBe(200)
          slowest.ms = Math.max(slowest.ms, performance.now() - t0)
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
      })()
      const run = await untilEnded(host, id)
      ended = true
      await probing
      const log = await (await fetch(`${host.url}/api/v1/runs/${id}/logs`)).text()
      const forked = Number(/forked (\d+)/.exec(log)?.[1])
      expect(log).toMatch(/refused after \d+/)
      // The task's own process and its children: 32 at most.
      expect(forked + 1).toBeLessThanOrEqual(32)
      expect(forked).toBeGreaterThan(20)
      expect(run.status).toBe('succeeded')
      // Generous for a loaded machine; the 100 ms is what an idle one gives.
      expect(slowest.ms, `slowest /healthz: ${slowest.ms.toFixed(0)} ms`).toBeLessThan(2000)
    },
    90_000,
  )
})

describe('issue #20: accounting per run', () => {
  for (const cgroups of ['auto', 'off'] as const) {
    const skip = cgroups === 'auto' && !canLimit
    it.skipIf(skip)(
      `(--cgroups ${cgroups}) a run's peak memory is within 10 % of what it allocated, with its CPU seconds and output bytes${skip ? SKIP : ''}`,
      async () => {
        data = dataWith({
          alloc: {
            'task.yaml': 'description: allocates 200 MiB and spins 0.5 s\n',
            'task.py': [
              'import time',
              'block = b"x" * (200 << 20)',
              'start = time.process_time()',
              'while time.process_time() - start < 0.5:',
              '    pass',
              "print('allocated 200 MiB', flush=True)",
            ].join('\n'),
          },
        })
        const host = await start({ TASSE_CGROUPS: cgroups })
        if (cgroups === 'off') expect(host.output()).toMatch(/limits: not enforced/)
        const run = await untilEnded(host, await triggerRun(host, 'alloc'))
        expect(run.status, run.error ?? '').toBe('succeeded')
        const peak = run.peakMemoryBytes as number
        expect(Math.abs(peak - 200 * MIB) / (200 * MIB), `peak ${peak}`).toBeLessThanOrEqual(0.1)
        expect(run.cpuUserSeconds).toBeGreaterThanOrEqual(0.4)
        expect(run.cpuSystemSeconds).not.toBeNull()
        expect(run.outputBytes).toBe('allocated 200 MiB\n'.length)
        const metrics = await (await fetch(`${host.url}/metrics`)).text()
        expect(metrics).toMatch(/tasse_run_peak_memory_bytes_count\{task="alloc"\} 1/)
        expect(metrics).toMatch(/tasse_run_cpu_seconds_count\{task="alloc",mode="user"\} 1/)
        expect(metrics).toMatch(/tasse_run_output_bytes_sum\{task="alloc"\} 18/)
      },
      90_000,
    )
  }
})

// ---------------------------------------------------------------------------------------------

/** The processes whose environment carries the run's TASSE_RUN_ID. */
function runPids(id: string): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`TASSE_RUN_ID=${id}`))
        pids.push(Number(name))
    } catch {}
  }
  return pids
}

function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match?.[1]) * 1024
}

/** utime + stime of `pid`, in clock ticks. */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** The controllers a root host could use: v2's enabled ones, else v1 hierarchies mounted. */
function availableControllers(): string[] {
  const found = new Set<string>()
  for (const v2 of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'])
    if (existsSync(`${v2}/cgroup.controllers`))
      for (const c of readFileSync(`${v2}/cgroup.controllers`, 'utf8').trim().split(/\s+/))
        found.add(c)
  for (const c of ['memory', 'cpu', 'pids'])
    if (existsSync(`/sys/fs/cgroup/${c}/cgroup.procs`)) found.add(c)
  return [...found]
}
