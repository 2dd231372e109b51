/**
 * Scenario 8, the dashboard: 1,000 tasks (`interval, hours: 1`) with 20 runs each in their
 * history (written to the host's SQLite store before it starts), on a host that needs a token.
 * Figures, after signing in through the form as a browser does:
 * - the task list (`GET /`, every task with its last-20-runs strip) and one task's page: server
 *   response time p50 and max on loopback, and the page's size;
 * - the host's CPU over an idle window (default 30 s) while the task list is open in headless
 *   Chromium (its live stream connected), and Chromium's own CPU for that page (every process
 *   of the browser), each as a % of one core. Chromium is Debian's (`/usr/bin/chromium`); without
 *   it the browser figures are n/a and the host's is measured with the page's stream alone.
 *   The same page with scripts off tells what Chromium spends on a page that size by itself.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { na } from '../lib/common.mjs'
import { startTasse } from '../lib/hosts.mjs'
import { request } from '../lib/http.mjs'
import { cpuSeconds } from '../lib/proc.mjs'
import { makeWorkDir, removeWorkDir, sleep } from '../lib/procs.mjs'
import { getRoot, importFromRoot } from '../lib/root.mjs'
import { summary } from '../lib/stats.mjs'
import { schedulerYaml, writeTask } from '../lib/tasks.mjs'

const TARGETS = { listMs: 100, idlePct: 1 }
const CHROMIUM = '/usr/bin/chromium'
const RUNS_PER_TASK = 20
const STATUSES = ['succeeded', 'succeeded', 'succeeded', 'failed', 'succeeded']

export default {
  name: 'dashboard',
  title: 'Dashboard',
  async run(ctx) {
    const n = ctx.opt('tasks', 1000)
    const requests = ctx.opt('requests', ctx.quick ? 5 : 20)
    const idleSeconds = ctx.opt('idleSeconds', ctx.quick ? 5 : 30)
    const work = makeWorkDir('dashboard')
    let host = null
    const details = { tasks: n, runsPerTask: RUNS_PER_TASK, requests, idleSeconds }
    try {
      const dataDir = join(work, 'data')
      const yaml = schedulerYaml({ trigger: 'interval', hours: 1 })
      const names = []
      for (let i = 0; i < n; i++) {
        const name = `t${String(i).padStart(5, '0')}`
        names.push(name)
        writeTask(dataDir, name, { yaml, script: 'true\n' })
      }
      ctx.log(`  writing ${n * RUNS_PER_TASK} runs of history`)
      await writeHistory(dataDir, names)
      host = await startTasse(work)
      const cookie = await signIn(host)
      details.list = await timePage(host, '/', cookie, requests)
      details.task = await timePage(host, `/tasks/${names[0]}`, cookie, requests)
      ctx.log(`  idle for ${idleSeconds} s with the task list open`)
      details.idle = await idleWithPage(host, cookie, idleSeconds)
    } catch (error) {
      ctx.log(`    failed: ${error.message.split('\n')[0]}`)
      details.error = error.message.split('\n')[0]
    } finally {
      if (host) await host.stop(10_000)
      removeWorkDir(work)
    }
    return { rows: rows(details, n), details, notes: notes(details) }
  },
}

function rows(d, n) {
  const label = n.toLocaleString('en-US')
  const bad = d.error ? na(d.error) : null
  const page = (p, figure, target) => [
    {
      figure: `${figure}: server response p50 (p95)`,
      unit: 'ms',
      better: 'lower',
      tasse: bad ?? p.p50,
      tasseText: bad ? undefined : `${p.p50.toFixed(1)} ms (${p.p95.toFixed(1)} ms)`,
      target: target ? `≤ ${target} ms` : '',
      met: target && !bad ? p.p50 <= target : undefined,
    },
    {
      figure: `${figure}: page size`,
      unit: 'KB',
      better: 'lower',
      tasse: bad ?? p.kb,
      tasseText: bad ? undefined : `${p.kb.toFixed(0)} KB (${p.gzipKb.toFixed(0)} KB gzipped)`,
      target: '',
    },
  ]
  const idle = d.idle ?? {}
  return [
    ...page(d.list ?? {}, `task list of ${label} tasks × ${RUNS_PER_TASK} runs`, TARGETS.listMs),
    ...page(d.task ?? {}, 'one task page', null),
    {
      figure: `host idle CPU over ${d.idleSeconds} s with the task list open (% of one core)`,
      unit: '%',
      better: 'lower',
      tasse: bad ?? idle.hostPct,
      target: `< ${TARGETS.idlePct} %`,
      met: bad ? undefined : idle.hostPct < TARGETS.idlePct,
    },
    {
      figure: `Chromium CPU over ${d.idleSeconds} s for that page (% of one core)`,
      unit: '%',
      better: 'lower',
      tasse: bad ?? idle.browserPct ?? na(idle.browserProblem),
      target: `< ${TARGETS.idlePct} %`,
      met: bad || idle.browserPct === undefined ? undefined : idle.browserPct < TARGETS.idlePct,
    },
    {
      figure: `Chromium CPU over ${d.idleSeconds} s for that page with scripts off (% of one core)`,
      unit: '%',
      better: 'lower',
      tasse: bad ?? idle.browserNoScriptPct ?? na(idle.browserProblem),
      target: '',
    },
  ]
}

function notes(d) {
  if (d.error) return []
  return [
    `the task list's first (cold) answer took ${d.list.firstMs.toFixed(0)} ms; the figures are the ${d.requests} answers after it`,
  ]
}

/** Runs in the store, as the host would have recorded them, newest last. */
async function writeHistory(dataDir, names) {
  const store = await importFromRoot('@tasse/store-sqlite')
  const core = await importFromRoot('@tasse/core')
  if (store.missing || core.missing) throw new Error(store.missing ?? core.missing)
  mkdirSync(join(dataDir, '.tasse'), { recursive: true })
  const db = store.createSqliteRunStore({ path: join(dataDir, '.tasse', 'tasse.db') })
  const start = Date.now() - RUNS_PER_TASK * 3600_000
  try {
    for (let r = 0; r < RUNS_PER_TASK; r++) {
      const at = start + r * 3600_000
      for (const [i, task] of names.entries()) {
        const status = STATUSES[(i + r) % STATUSES.length]
        await db.insertRun({
          id: core.newRunId(at),
          task,
          reason: 'schedule',
          params: {},
          scheduledAt: at * 1000,
          queuedAt: at,
          startedAt: at + 5,
          endedAt: at + 40,
          status,
          exitCode: status === 'failed' ? 1 : 0,
          signal: null,
          attempt: 1,
          retryOf: null,
          error: status === 'failed' ? 'exited with code 1' : null,
          pid: null,
          pidStartedAt: null,
          hostId: null,
        })
      }
    }
  } finally {
    await db.close()
  }
}

/** Signs in through the form (same origin), as a browser does; returns the session cookie. */
async function signIn(host) {
  const { BENCH_TOKEN } = await import('../lib/hosts.mjs')
  const response = await fetch(`${host.url}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: host.url, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: BENCH_TOKEN, next: '/' }),
  })
  const cookie = response.headers.get('set-cookie')?.split(';')[0]
  if (response.status !== 303 || !cookie)
    throw new Error(`signing in answered ${response.status} without a session cookie`)
  return cookie
}

/**
 * Response times (request sent → body received, on loopback) as a browser asks: gzip accepted,
 * so the server's compression is in the figure. The size is the HTML's, and gzipped.
 */
async function timePage(host, path, cookie, count) {
  const headers = { cookie, 'accept-encoding': 'gzip' }
  const first = await request(`${host.url}${path}`, { headers })
  if (first.status !== 200) throw new Error(`GET ${path} answered ${first.status}`)
  const times = []
  for (let i = 0; i < count; i++) {
    const response = await request(`${host.url}${path}`, { headers })
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`)
    times.push(response.ms)
  }
  const plain = await request(`${host.url}${path}`, { headers: { cookie } })
  const bytes = Buffer.byteLength(plain.text)
  return {
    ...summary(times),
    firstMs: first.ms,
    kb: bytes / 1024,
    gzipKb: gzipSync(plain.text).length / 1024,
  }
}

/**
 * The host's CPU while the task list is open: in Chromium when there is one (the browser's CPU
 * is measured too, then again for the same page with scripts off, to tell our script's share
 * from what Chromium spends on a page that size), else with the page's event stream held open
 * by this process.
 */
async function idleWithPage(host, cookie, seconds) {
  const playwright = existsSync(CHROMIUM) ? loadPlaywright() : null
  if (!playwright) {
    const controller = new AbortController()
    const response = await fetch(`${host.url}/live/tasks`, {
      headers: { cookie },
      signal: controller.signal,
    })
    if (response.status !== 200) throw new Error(`GET /live/tasks answered ${response.status}`)
    const { hostPct } = await cpuOver(host, [], seconds)
    controller.abort()
    return {
      hostPct,
      browserProblem: existsSync(CHROMIUM)
        ? 'playwright-core is not installed'
        : `${CHROMIUM} absent`,
    }
  }
  const live = await openInChromium(playwright, host, cookie, true)
  const withScript = await cpuOver(host, live.pids(), seconds).finally(() => live.close())
  const still = await openInChromium(playwright, host, cookie, false)
  const withoutScript = await cpuOver(host, still.pids(), seconds).finally(() => still.close())
  return {
    hostPct: withScript.hostPct,
    browserPct: withScript.browserPct,
    browserNoScriptPct: withoutScript.browserPct,
    browserProcesses: withScript.processes,
  }
}

/** Headless Chromium with the task list open (signed in with `cookie`), settled. */
async function openInChromium(playwright, host, cookie, script) {
  // A profile folder of its own: the browser's processes are those that name it.
  const profile = mkdtempSync(join(tmpdir(), 'tasse-bench-chromium-'))
  const context = await playwright.chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    javaScriptEnabled: script,
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  const close = async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  }
  try {
    const [name, value] = cookie.split('=')
    await context.addCookies([{ name, value, url: host.url }])
    const page = context.pages()[0] ?? (await context.newPage())
    await page.goto(`${host.url}/`)
    if (script)
      await page.getByText('Live: this page updates on its own.').waitFor({ timeout: 60_000 })
    // Chromium works on a large page for a while after it has loaded (measured: ~10 s).
    await sleep(15_000)
  } catch (error) {
    await close()
    throw error
  }
  return { pids: () => processesNaming(profile), close }
}

/** CPU of the host and of `pids` over `seconds`, as % of one core. */
async function cpuOver(host, pids, seconds) {
  const others = () => pids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0), 0)
  const host0 = cpuSeconds(host.pid)
  const others0 = others()
  await sleep(seconds * 1000)
  return {
    hostPct: ((cpuSeconds(host.pid) - host0) / seconds) * 100,
    browserPct: ((others() - others0) / seconds) * 100,
    processes: pids.length,
  }
}

function loadPlaywright() {
  try {
    return createRequire(join(getRoot(), 'package.json'))('playwright-core')
  } catch {
    return null
  }
}

/** The processes whose command line contains `text`, from /proc. */
function processesNaming(text) {
  const pids = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry))
    } catch {}
  }
  return pids
}
