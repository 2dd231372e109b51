/**
 * Every process a scenario starts goes through `launch`: it runs in its own process group, its
 * output goes to a file, and it is ended (group and all) when the scenario is done, when the
 * bench is interrupted, or when it crashes. Task processes that left the group (Tasse starts
 * each run in a group of its own) are found by their working directory under the scenario's
 * folder and ended by pid.
 */
import { spawn } from 'node:child_process'
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const live = new Set()
const dirs = new Set()

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal)
  } catch {}
  try {
    process.kill(pid, signal)
  } catch {}
}

/** Processes whose working directory is under `dir` (a run of a task lives in its folder). */
export function processesUnder(dir) {
  const found = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const pid = Number(name)
    if (pid === process.pid) continue
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`)
      if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push(pid)
    } catch {}
  }
  return found
}

function killUnder(dir) {
  for (const pid of processesUnder(dir)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
}

function cleanupAllSync() {
  for (const child of live) killGroup(child.pid, 'SIGKILL')
  live.clear()
  for (const dir of dirs) {
    killUnder(dir)
    if (!process.env.TASSE_BENCH_KEEP) rmSync(dir, { recursive: true, force: true })
  }
  dirs.clear()
}

process.on('exit', cleanupAllSync)
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(signal, () => {
    cleanupAllSync()
    process.exit(130)
  })

/** A fresh folder for a scenario, removed (with what runs in it ended) by `removeWorkDir`. */
export function makeWorkDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `tasse-bench-${label}-`))
  dirs.add(dir)
  return dir
}

export function removeWorkDir(dir) {
  killUnder(dir)
  if (!process.env.TASSE_BENCH_KEEP) rmSync(dir, { recursive: true, force: true })
  dirs.delete(dir)
}

/**
 * Starts `command args` in its own process group with stdout and stderr appended to `logFile`.
 * `stop(graceMs)` sends SIGTERM to the group, then SIGKILL after the grace period.
 */
export function launch(command, args, { env, cwd, logFile }) {
  const fd = openSync(logFile, 'a')
  const child = spawn(command, args, {
    env,
    cwd,
    detached: true,
    stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  live.add(child)
  let exited = false
  const exit = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true
      live.delete(child)
      resolve({ code, signal })
    })
    child.once('error', (error) => {
      exited = true
      live.delete(child)
      resolve({ code: null, signal: null, error })
    })
  })
  return {
    child,
    pid: child.pid,
    exit,
    get exited() {
      return exited
    },
    async stop(graceMs = 5000) {
      if (!exited) {
        killGroup(child.pid, 'SIGTERM')
        const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs)
        await exit
        clearTimeout(timer)
      }
      // Whatever is left of the group (a task that ignored SIGTERM).
      killGroup(child.pid, 'SIGKILL')
      return exit
    },
  }
}

/** Reads what a log file holds from `offset` on. */
export function readFrom(path, offset) {
  try {
    const size = statSync(path).size
    if (size <= offset) return { text: '', offset }
    const buffer = Buffer.alloc(size - offset)
    const fd = openSync(path, 'r')
    try {
      const n = readSync(fd, buffer, 0, buffer.length, offset)
      return { text: buffer.subarray(0, n).toString('utf8'), offset: offset + n }
    } finally {
      closeSync(fd)
    }
  } catch {
    return { text: '', offset }
  }
}

/** Follows a log file: `waitFor(regex, timeoutMs)` resolves with the match, or null on timeout. */
export function follow(path, { everyMs = 5 } = {}) {
  let offset = 0
  let pending = ''
  const lines = []
  /** Reads new lines; `flush` also takes an unfinished last line (the process has ended). */
  const poll = (flush = false) => {
    const chunk = readFrom(path, offset)
    offset = chunk.offset
    const parts = (pending + chunk.text).split('\n')
    pending = parts.pop() ?? ''
    for (const line of parts) lines.push(line)
    if (flush && pending) {
      lines.push(pending)
      pending = ''
    }
  }
  return {
    lines,
    poll,
    /** Lines read so far that match `regex`. */
    count(regex) {
      poll()
      let n = 0
      for (const line of lines) if (regex.test(line)) n++
      return n
    },
    async waitFor(regex, timeoutMs, isDead = () => false) {
      const deadline = Date.now() + timeoutMs
      let scanned = 0
      for (;;) {
        poll()
        for (; scanned < lines.length; scanned++) {
          const m = lines[scanned].match(regex)
          if (m) {
            scanned++
            return m
          }
        }
        if (Date.now() > deadline || isDead()) return null
        await sleep(everyMs)
      }
    },
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export function readText(path) {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}
