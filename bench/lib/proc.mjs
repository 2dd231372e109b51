/**
 * Readings of a process from /proc (Linux): memory, CPU time, threads. Everything returns null
 * when the process is gone, so a reading never throws in the middle of a scenario.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

let clockTicks = 100
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
} catch {}

/** `/proc/<pid>/status` fields in bytes (VmRSS, VmHWM) and the thread count. */
export function memory(pid) {
  let text
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8')
  } catch {
    return null
  }
  const kb = (key) => {
    const m = text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))
    return m ? Number(m[1]) * 1024 : null
  }
  const threads = text.match(/^Threads:\s+(\d+)/m)
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), threads: threads ? Number(threads[1]) : null }
}

/**
 * The fields of `/proc/<pid>/stat` from field 3 (state) on, or null once the process is gone.
 * The command name (field 2) may hold spaces: split after its closing parenthesis.
 */
function statFields(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return text.slice(text.lastIndexOf(')') + 2).split(' ')
  } catch {
    return null
  }
}

/** User + system CPU seconds of the process itself (not its children). */
export function cpuSeconds(pid) {
  const fields = statFields(pid)
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  return fields && (Number(fields[11]) + Number(fields[12])) / clockTicks
}

/** Child + own CPU seconds (cutime, cstime: children already waited for). */
export function cpuSecondsWithChildren(pid) {
  const fields = statFields(pid)
  return (
    fields &&
    (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / clockTicks
  )
}

/**
 * Polls the peak RSS (VmHWM) of `pid` every `everyMs` until stopped; VmHWM is the kernel's own
 * high-water mark, so polling only guards against the process being gone at the end.
 */
export function watchPeak(pid, everyMs = 200) {
  let peak = 0
  let threads = 0
  const read = () => {
    const m = memory(pid)
    if (m) {
      peak = Math.max(peak, m.hwm ?? 0, m.rss ?? 0)
      threads = Math.max(threads, m.threads ?? 0)
    }
  }
  read()
  const timer = setInterval(read, everyMs)
  return {
    stop() {
      read()
      clearInterval(timer)
      return { peakRss: peak, peakThreads: threads }
    },
  }
}

export { clockTicks }
