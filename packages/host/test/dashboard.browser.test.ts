/**
 * The dashboard in a real browser: Debian's Chromium, driven by playwright-core, against the
 * real host (`tasse serve` on port 0, a temporary data folder). Every wait is Playwright's
 * auto-waiting (`waitFor`) or a poll with a generous limit: a loaded CI machine is slow.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Chromium, hasChromium, launchChromium } from './browser.js'
import { dataWith, type HostProcess, startHostProcess, until } from './host-process.js'

const WAIT = { timeout: 30_000 }
const TOKEN = 'dashboard-test-token-9f3b27'

const TASKS = {
  hourly: {
    'task.yaml': 'description: says tick every hour\nscheduler:\n  trigger: interval\n  hours: 1\n',
    'task.sh': 'echo tick\n',
  },
  report: {
    'task.yaml': "params:\n  - {name: date, required: true, pattern: '^\\d{4}-\\d\\d-\\d\\d$'}\n",
    'task.sh': 'echo "report for $TASSE_PARAM_DATE"\n',
  },
  // Five lines a third of a second apart: output that arrives while the page watches.
  slow: {
    'task.yaml': '',
    'task.sh': 'for i in 1 2 3 4 5; do echo "line $i"; sleep 0.3; done\necho done\n',
  },
  long: { 'task.yaml': '', 'task.sh': 'echo started\nsleep 60\necho never\n' },
  broken: { 'task.yaml': 'overlap: sometimes\n', 'task.sh': 'echo never\n' },
}

/** Where Chromium is absent the tests are skipped, and their names say why. */
const absent = hasChromium ? '' : ' (skipped: /usr/bin/chromium absent)'

describe.skipIf(!hasChromium)(`the dashboard in Chromium${absent}`, () => {
  let host: HostProcess
  let browser: Chromium
  let page: Page

  beforeAll(async () => {
    host = await startHostProcess(dataWith(TASKS))
    browser = await launchChromium()
    page = browser.context.pages()[0] ?? (await browser.context.newPage())
    page.setDefaultTimeout(WAIT.timeout)
  })
  afterAll(async () => {
    await browser?.close()
    host?.child.kill('SIGTERM')
    await host?.exited
  })

  const runsOf = async (task: string) =>
    (
      (await (await fetch(`${host.url}/api/v1/runs?task=${task}`)).json()) as {
        runs: { id: string; status: string; params: Record<string, string> }[]
      }
    ).runs

  it('lists the tasks with their state, schedule in words and next fire time', async () => {
    await page.goto(`${host.url}/`)
    const hourly = page.locator('#task-hourly')
    await hourly.getByRole('cell', { name: 'every hour', exact: true }).waitFor()
    await hourly.locator('.state-ok').getByText('ok').waitFor()
    // The next fire time, relative too (filled in by the page's script).
    await hourly.getByText(/\(in (59|60) min\)|\(in 1 h\)/).waitFor()
    await page.locator('#task-report').getByText('when triggered').waitFor()
    expect(await page.locator('#tasks-body tr').count()).toBe(5)
    // Searching by name filters the rows as you type.
    await page.getByLabel('Name').fill('rep')
    await page.locator('#task-hourly').waitFor({ state: 'hidden' })
    expect(await page.locator('#task-report').isVisible()).toBe(true)
    await page.getByLabel('Name').fill('')
  })

  it('shows an invalid task with its error, in the list and on its page', async () => {
    await page.goto(`${host.url}/?state=invalid`)
    const row = page.locator('#task-broken')
    await row.locator('.state-invalid').waitFor()
    await row.getByText(/overlap.*sometimes/).waitFor()
    expect(await page.locator('#tasks-body tr').count()).toBe(1)
    await row.getByRole('link', { name: 'broken' }).click()
    await page
      .locator('#task-summary')
      .getByText(/overlap.*sometimes/)
      .waitFor()
  })

  it('opens a task: its files, next 10 fire times and history', async () => {
    await page.goto(`${host.url}/`)
    await page.getByRole('link', { name: 'hourly', exact: true }).click()
    await page.getByRole('heading', { name: 'hourly', level: 1 }).waitFor()
    await page.getByText('says tick every hour').first().waitFor()
    expect(await page.locator('#fire-times li').count()).toBe(10)
    await page.locator('pre.file').getByText('echo tick').waitFor()
    await page.getByRole('heading', { name: 'History' }).waitFor()
  })

  it('refuses a bad parameter next to its field (in the browser, then on the server), then runs a good one', async () => {
    await page.goto(`${host.url}/tasks/report`)
    const field = page.getByLabel('date')
    await field.fill('30/01/2026')
    await page.getByRole('button', { name: 'Run now' }).click()
    await page.locator('#param-date-error').getByText('must match').waitFor()
    expect(await field.getAttribute('aria-invalid')).toBe('true')
    expect(await runsOf('report')).toEqual([])

    // The server checks too: without the browser's check, it answers with the error in place.
    await page.evaluate("document.getElementById('param-date').removeAttribute('pattern')")
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/tasks/report/runs')),
      page.getByRole('button', { name: 'Run now' }).click(),
    ])
    expect(answer.status()).toBe(400)
    await page.locator('#param-date-error').getByText('of task "report" must match').waitFor()
    expect(await page.getByLabel('date').inputValue()).toBe('30/01/2026')
    expect(await runsOf('report')).toEqual([])

    await page.getByLabel('date').fill('2026-01-30')
    await page.getByRole('button', { name: 'Run now' }).click()
    await page.waitForURL(/\/runs\/\w+$/)
    await page.locator('#run-facts').getByText('2026-01-30').waitFor()
    await page.locator('#output').getByText('report for 2026-01-30').waitFor()
    const [run] = await runsOf('report')
    expect(run?.params).toEqual({ date: '2026-01-30' })
  })

  it("follows a run's output live, to its end, without a reload", async () => {
    await page.goto(`${host.url}/tasks/slow`)
    await page.getByRole('button', { name: 'Run now' }).click()
    await page.waitForURL(/\/runs\/\w+$/)
    // A marker that a reload would wipe.
    await page.evaluate('window.stayed = true')
    await page.locator('#output').getByText('line 1').waitFor()
    await page.locator('#run-status .status-running').waitFor()
    await page.locator('#output').getByText('done').waitFor()
    await page.locator('#run-status .status-succeeded').waitFor()
    await page.getByText('Finished: this page no longer changes.').waitFor()
    expect(await page.locator('#output').textContent()).toBe(
      'line 1\nline 2\nline 3\nline 4\nline 5\ndone\n',
    )
    expect(await page.evaluate('window.stayed')).toBe(true)
  })

  it('cancels a long run', async () => {
    await page.goto(`${host.url}/tasks/long`)
    await page.getByRole('button', { name: 'Run now' }).click()
    await page.waitForURL(/\/runs\/\w+$/)
    await page.locator('#output').getByText('started').waitFor()
    await page.getByRole('button', { name: 'Cancel run' }).click()
    await page.locator('#run-status .status-cancelled').getByText('cancelled').waitFor()
    await page.getByRole('button', { name: 'Cancel run' }).waitFor({ state: 'detached' })
    const [run] = await runsOf('long')
    expect(run?.status).toBe('cancelled')
  })

  it('pauses and resumes a schedule', async () => {
    await page.goto(`${host.url}/tasks/hourly`)
    await page.getByRole('button', { name: 'Pause schedule' }).click()
    await page.locator('#task-summary .state-paused').waitFor()
    await page.locator('#fire-times').getByText('None while the schedule is paused.').waitFor()
    const paused = await (await fetch(`${host.url}/api/v1/tasks/hourly`)).json()
    expect(paused).toMatchObject({ state: 'paused' })
    await page.getByRole('button', { name: 'Resume schedule' }).click()
    await page.getByRole('button', { name: 'Pause schedule' }).waitFor()
    expect(await page.locator('#fire-times li').count()).toBe(10)
  })

  it('updates the task list on its own: new runs and states', async () => {
    await page.goto(`${host.url}/`)
    await page.getByText('Live: this page updates on its own.').waitFor()
    // A marker that a reload would wipe.
    await page.evaluate('window.stayed = true')
    const row = page.locator('#task-hourly')
    const before = await row.locator('.strip i').count()
    await fetch(`${host.url}/api/v1/tasks/hourly/runs`, { method: 'POST' })
    await until(
      async () => (await row.locator('.strip i').count()) === before + 1,
      30_000,
      'the new run in the strip',
    )
    await row.locator('.status-succeeded').first().waitFor()
    await fetch(`${host.url}/api/v1/tasks/hourly/pause`, { method: 'POST' })
    await row.locator('.state-paused').waitFor()
    await fetch(`${host.url}/api/v1/tasks/hourly/resume`, { method: 'POST' })
    await row.locator('.state-ok').waitFor()
    expect(await page.evaluate('window.stayed')).toBe(true)
  })
})

describe.skipIf(!hasChromium)(
  `the dashboard of a host that needs a token, in Chromium${absent}`,
  () => {
    let host: HostProcess
    let browser: Chromium
    let page: Page
    let attacker: Server

    beforeAll(async () => {
      host = await startHostProcess(dataWith({ report: TASKS.report }), { TASSE_TOKEN: TOKEN })
      browser = await launchChromium()
      page = browser.context.pages()[0] ?? (await browser.context.newPage())
      page.setDefaultTimeout(WAIT.timeout)
      // Another origin (another port on the same machine: the same site, so only the CSRF check
      // stands between it and the host) serving a form that posts to the host on load.
      attacker = createServer((_, response) => {
        response.setHeader('content-type', 'text/html')
        response.end(
          `<form id="f" method="post" action="${host.url}/tasks/report/runs"><input name="date" value="2026-01-30"></form><script>document.getElementById('f').submit()</script>`,
        )
      })
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
    })
    afterAll(async () => {
      attacker?.close()
      await browser?.close()
      host?.child.kill('SIGTERM')
      await host?.exited
    })

    const auth = { authorization: `Bearer ${TOKEN}` }

    it('signs in with the token: a wrong one is refused, the right one opens the pages', async () => {
      await page.goto(`${host.url}/tasks/report`)
      await page.waitForURL(/\/sign-in\?next=%2Ftasks%2Freport$/)
      await page.getByLabel('Token').fill('not-the-token')
      const [refused] = await Promise.all([
        page.waitForResponse(
          (r) => r.url().endsWith('/sign-in') && r.request().method() === 'POST',
        ),
        page.getByRole('button', { name: 'Sign in' }).click(),
      ])
      expect(refused.status()).toBe(401)
      await page.getByText('That token is not one this host accepts.').waitFor()
      expect(await page.content()).not.toContain('not-the-token')

      await page.getByLabel('Token').fill(TOKEN)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.waitForURL(`${host.url}/tasks/report`)
      await page.getByRole('heading', { name: 'report', level: 1 }).waitFor()
      const [cookie] = await browser.context.cookies(host.url)
      expect(cookie).toMatchObject({ name: 'tasse_session', httpOnly: true, sameSite: 'Strict' })
      expect(cookie?.value).not.toContain(TOKEN)
      expect(page.url()).not.toContain(TOKEN)
      expect(await page.content()).not.toContain(TOKEN)
      // The API's bearer auth is unchanged: the cookie opens no API route.
      expect((await page.request.get(`${host.url}/api/v1/tasks`)).status()).toBe(401)
    })

    it('refuses a form posted from another origin, even with the session cookie in the browser', async () => {
      const { port } = attacker.address() as AddressInfo
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/tasks/report/runs')),
        page.goto(`http://127.0.0.1:${port}/`),
      ])
      expect(answer.status()).toBe(403)
      const runs = await (await fetch(`${host.url}/api/v1/runs`, { headers: auth })).json()
      expect(runs).toEqual({ runs: [], nextCursor: null })
    })

    it('signs out: the pages ask for the token again; the token never reached the log', async () => {
      await page.goto(`${host.url}/`)
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.waitForURL(/\/sign-in$/)
      await page.goto(`${host.url}/host`)
      await page.waitForURL(/\/sign-in\?next=%2Fhost$/)
      expect(host.output()).not.toContain(TOKEN)
    })
  },
)

describe.skipIf(!hasChromium)(`npm run screenshots${absent}`, () => {
  it("takes the README's pictures of the dashboard", { timeout: 240_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'tasse-screenshots-test-'))
    try {
      const script = join(import.meta.dirname, '..', '..', '..', 'docs', 'screenshots.mjs')
      // Rejects with the script's output if it exits with an error.
      await promisify(execFile)(process.execPath, [script], {
        env: { ...process.env, TASSE_SCREENSHOTS_DIR: out },
      })
      const pictures = readdirSync(out).sort()
      expect(pictures).toEqual([
        'dashboard-host.png',
        'dashboard-run.png',
        'dashboard-runs.png',
        'dashboard-task.png',
        'dashboard-tasks-dark.png',
        'dashboard-tasks-phone.png',
        'dashboard-tasks.png',
      ])
      for (const picture of pictures)
        expect(readFileSync(join(out, picture)).subarray(1, 4).toString()).toBe('PNG')
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  })
})
