/**
 * Test helpers that run the real `tasse` CLI (the built `bundle/cli.js`) as a child process, the
 * way a user or a container starts it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RunView } from '../src/api/views.js'

export const CLI = join(import.meta.dirname, '..', 'bundle', 'cli.js')

export interface HostProcess {
  child: ChildProcess
  url: string
  /** Everything it printed so far (stdout and stderr). */
  output: () => string
  /** Resolves with the exit code (or signal) once it exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/**
 * Runs `tasse ARGS…` (the built CLI), gathering what it prints; as another user when `as` gives
 * one (the test must run as root to do that).
 */
export function spawnTasse(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  as: { uid: number; gid: number } | null = null,
): Omit<HostProcess, 'url'> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(as ?? {}),
  })
  let output = ''
  child.stdout.on('data', (chunk) => {
    output += chunk
  })
  child.stderr.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  )
  return { child, output: () => output, exited }
}

/** Starts `tasse serve` on `dataDir` on a free port (as `as`) and waits until it listens. */
export async function startHostProcess(
  dataDir: string,
  env: NodeJS.ProcessEnv = {},
  as: { uid: number; gid: number } | null = null,
): Promise<HostProcess> {
  const started = spawnTasse(['serve', '--data', dataDir, '--port', '0'], env, as)
  // Generous: a loaded machine (several test runs on two cores) took more than 15 s.
  const deadline = Date.now() + 60_000
  for (;;) {
    const match = /serving .* on (http:\/\/\S+)/.exec(started.output())
    if (match) return { ...started, url: match[1] as string }
    if (started.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`tasse serve did not start:\n${started.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Ends (SIGKILL) each of `hosts` still running, and forgets them: for a test's `afterEach`. */
export async function killHosts(hosts: HostProcess[]): Promise<void> {
  for (const host of hosts.splice(0)) {
    if (host.child.exitCode === null && host.child.signalCode === null) {
      host.child.kill('SIGKILL')
      await host.exited
    }
  }
}

/** A temporary data folder with the given tasks: name → { file name → content }. */
export function dataWith(tasks: Record<string, Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tasse-host-'))
  for (const [name, files] of Object.entries(tasks)) {
    mkdirSync(join(dir, 'tasks', name), { recursive: true })
    for (const [file, content] of Object.entries(files))
      writeFileSync(join(dir, 'tasks', name, file), content)
  }
  return dir
}

export async function until<T>(
  check: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<Exclude<T, false | 0 | '' | null | undefined>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as Exclude<T, false | 0 | '' | null | undefined>
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Whether `pid` is a live process (a zombie waiting for its parent to reap it is not). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/**
 * A request sent exactly as given: the path byte for byte (fetch would normalise `..` and
 * `%2e`), and any headers, `Host` and `Origin` included (fetch sets those itself).
 */
export function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/`, { method, path, headers }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => {
        body += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** A run as the host's API shows it. */
export async function getRun(host: Pick<HostProcess, 'url'>, id: string): Promise<RunView> {
  return (await (await fetch(`${host.url}/api/v1/runs/${id}`)).json()) as RunView
}

/** Asks for a run of `task` and gives its id; throws with the host's answer unless it is 202. */
export async function triggerRun(host: Pick<HostProcess, 'url'>, task: string): Promise<string> {
  const response = await fetch(`${host.url}/api/v1/tasks/${task}/runs`, { method: 'POST' })
  if (response.status !== 202)
    throw new Error(`POST runs of ${task}: ${response.status} ${await response.text()}`)
  return ((await response.json()) as { id: string }).id
}

const FINAL = ['succeeded', 'failed', 'timed_out', 'cancelled', 'interrupted', 'skipped', 'missed']

/** The run once final (up to `timeoutMs`). */
export function untilEnded(
  host: Pick<HostProcess, 'url'>,
  id: string,
  timeoutMs = 30_000,
): Promise<RunView> {
  return until(
    async () => {
      const run = await getRun(host, id)
      return FINAL.includes(run.status) ? run : null
    },
    timeoutMs,
    `run ${id} to end`,
  )
}
