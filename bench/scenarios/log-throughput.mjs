/**
 * Scenario 3, log throughput: a shell task prints 2,000,000 numbered lines of 50 bytes
 * (`seq -f`) as fast as it can. Figures: MB/s of task output from the trigger until the run's
 * closing `<<< Task … ended` line is in log.txt; every line checked in the task's logs (rotated
 * files included, oldest first): each number present once, in order; the host's peak RSS
 * (VmHWM) and the CPU seconds it used. The original is stopped after a time cap (about 9,000
 * lines/s would take minutes); its rate is then lines written / time.
 */
import { createReadStream, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { na } from '../lib/common.mjs'
import { startOriginal, startTasse } from '../lib/hosts.mjs'
import { request } from '../lib/http.mjs'
import { cpuSeconds, watchPeak } from '../lib/proc.mjs'
import { makeWorkDir, removeWorkDir, sleep } from '../lib/procs.mjs'
import { schedulerYaml, writeTask } from '../lib/tasks.mjs'

const TASK = 'firehose'
const LINE = /^line (\d{10}) abcdefghijklmnopqrstuvwxyz0123456$/
const LINE_BYTES = 50

export default {
  name: 'log-throughput',
  title: 'Log throughput',
  async run(ctx) {
    const lines = ctx.opt('lines', ctx.quick ? 200_000 : 2_000_000)
    const tasseCap = ctx.opt('tasseCapSeconds', 180)
    const originalCap = ctx.opt('originalCapSeconds', ctx.quick ? 10 : 30)
    const tasse = await measure(ctx, 'tasse', lines, tasseCap)
    const original = ctx.original
      ? await measure(ctx, 'original', lines, originalCap)
      : { na: ctx.originalProblem }
    const value = (r, f) => (r.na ? na(r.na) : r.error ? na(r.error) : f(r))
    const rows = [
      {
        figure: `log throughput, ${lines.toLocaleString('en-US')} lines of 50 B → log.txt`,
        unit: 'MB/s',
        better: 'higher',
        tasse: value(tasse, (r) => r.mbPerSecond),
        tasseText: tasse.mbPerSecond !== undefined ? rateText(tasse) : undefined,
        original: value(original, (r) => r.mbPerSecond),
        originalText: original.mbPerSecond !== undefined ? rateText(original) : undefined,
        target: '≥ 50 MB/s',
        met:
          tasse.mbPerSecond !== undefined ? tasse.mbPerSecond >= 50 && tasse.complete : undefined,
      },
      {
        figure: 'log lines lost / duplicated or out of order',
        better: 'lower',
        tasse: value(tasse, (r) => r.lost + r.disordered),
        tasseText: tasse.lost !== undefined ? lossText(tasse) : undefined,
        original: value(original, (r) => r.lost + r.disordered),
        originalText: original.lost !== undefined ? lossText(original) : undefined,
        target: '0',
        met:
          tasse.lost !== undefined
            ? tasse.lost + tasse.disordered === 0 && tasse.complete
            : undefined,
      },
      {
        figure: 'host peak RSS while logging',
        unit: 'MB',
        better: 'lower',
        tasse: value(tasse, (r) => r.peakRssMB),
        original: value(original, (r) => r.peakRssMB),
        target: '≤ 150 MB',
        met: tasse.peakRssMB !== undefined ? tasse.peakRssMB <= 150 : undefined,
      },
      {
        figure: 'host CPU seconds per 100 MB logged',
        unit: 's',
        better: 'lower',
        tasse: value(tasse, (r) => r.cpuPer100MB),
        original: value(original, (r) => r.cpuPer100MB),
        target: '',
      },
    ]
    return { rows, details: { lines, tasse, original }, notes: [] }
  },
}

function rateText(r) {
  const base = `${r.mbPerSecond.toFixed(r.mbPerSecond >= 10 ? 1 : 2)} MB/s (${Math.round(r.linesPerSecond).toLocaleString('en-US')} lines/s)`
  return r.complete ? base : `${base}, stopped after ${r.seconds.toFixed(0)} s`
}

function lossText(r) {
  const what = `${r.lost} lost, ${r.disordered} dup./out of order`
  return r.complete ? what : `${what} in the ${r.seen.toLocaleString('en-US')} lines written`
}

/** The task's log files, oldest first (rotated `log.<time>.txt`, then `log.txt`). */
function logFiles(dir) {
  let names = []
  try {
    names = readdirSync(dir).filter((n) => /^log(\..+)?\.txt$/.test(n))
  } catch {
    return []
  }
  const rotated = names.filter((n) => n !== 'log.txt').sort()
  return [...rotated, ...(names.includes('log.txt') ? ['log.txt'] : [])].map((n) => join(dir, n))
}

function tail(path, bytes = 4096) {
  try {
    const size = statSync(path).size
    const start = Math.max(0, size - bytes)
    return new Promise((resolve) => {
      const chunks = []
      createReadStream(path, { start })
        .on('data', (c) => chunks.push(c))
        .on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
        .on('error', () => resolve(''))
    })
  } catch {
    return Promise.resolve('')
  }
}

async function verify(files, expected) {
  let next = 1
  let lost = 0
  let disordered = 0
  let seen = 0
  let malformed = 0
  for (const file of files) {
    const rl = createInterface({
      input: createReadStream(file),
      crlfDelay: Number.POSITIVE_INFINITY,
    })
    for await (const line of rl) {
      const bar = line.indexOf(' | ')
      if (bar < 0) continue
      const text = line.slice(bar + 3)
      // `+ seq …` is the original's `bash -x` trace of the command, not output.
      if (!text.includes('abcdefghij') || text.startsWith('+ ')) continue
      const m = LINE.exec(text)
      if (!m) {
        malformed++
        continue
      }
      seen++
      const number = Number(m[1])
      if (number === next) next++
      else if (number > next) {
        lost += number - next
        next = number + 1
      } else disordered++
    }
  }
  return {
    lost,
    disordered,
    malformed,
    seen,
    lastNumber: next - 1,
    missingAtEnd: expected - (next - 1),
  }
}

async function measure(ctx, kind, lines, capSeconds) {
  const work = makeWorkDir(`log-${kind}`)
  let host = null
  try {
    writeTask(join(work, 'data'), TASK, {
      yaml: schedulerYaml({ trigger: 'interval', hours: 1 }),
      script: `seq -f 'line %010.0f abcdefghijklmnopqrstuvwxyz0123456' 1 ${lines}\n`,
    })
    host = kind === 'tasse' ? await startTasse(work) : await startOriginal(work, ctx.original)
    const logDir = join(host.dataDir, 'logs', TASK)
    await sleep(500)
    const cpu0 = cpuSeconds(host.pid)
    const peak = watchPeak(host.pid, 100)
    ctx.log(`  ${kind}: ${lines.toLocaleString('en-US')} lines`)
    const t0 = performance.now()
    const res = await request(new URL(`/trigger/${TASK}`, host.url).href, { headers: host.headers })
    if (res.status !== 200) throw new Error(`GET /trigger answered ${res.status}: ${res.text}`)
    let complete = false
    const deadline = t0 + capSeconds * 1000
    while (performance.now() < deadline) {
      if (/<<< Task \S+ ended with status code/.test(await tail(join(logDir, 'log.txt')))) {
        complete = true
        break
      }
      await sleep(20)
    }
    const seconds = (performance.now() - t0) / 1000
    const cpu = cpuSeconds(host.pid) - cpu0
    const { peakRss } = peak.stop()
    await host.stop()
    host = null
    const check = await verify(logFiles(logDir), lines)
    const bytes = (complete ? lines : check.seen) * LINE_BYTES
    return {
      complete,
      seconds,
      mbPerSecond: bytes / 1e6 / seconds,
      linesPerSecond: bytes / LINE_BYTES / seconds,
      lost: complete ? check.lost + check.missingAtEnd : check.lost,
      disordered: check.disordered + check.malformed,
      seen: check.seen,
      check,
      peakRssMB: peakRss / 1e6,
      cpuSeconds: cpu,
      cpuPer100MB: cpu / (bytes / 1e8),
    }
  } catch (error) {
    ctx.log(`    failed: ${error.message.split('\n')[0]}`)
    return { error: error.message.split('\n')[0] }
  } finally {
    if (host) await host.stop()
    removeWorkDir(work)
  }
}
