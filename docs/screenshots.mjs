#!/usr/bin/env node
/**
 * `npm run screenshots`: the README's pictures of the dashboard, taken for real. Starts the
 * built host (`startHost`, as `tasse serve` does, on port 0) on a temporary data folder holding
 * a few demo tasks, makes
 * some runs, and photographs the main pages with Debian's Chromium (playwright-core) into
 * docs/dashboard-*.png (or into TASSE_SCREENSHOTS_DIR): light and dark, desktop and phone.
 * Needs `npm run build` first.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { readConfig, startHost } from '../packages/host/bundle/index.js'

const here = dirname(fileURLToPath(import.meta.url))
const OUT = process.env.TASSE_SCREENSHOTS_DIR ?? here

const TASKS = {
  helloworld: {
    'task.yaml': 'scheduler:\n  trigger: interval\n  seconds: 10\n',
    'task.py': 'print("Hello world")\n',
  },
  backup: {
    'task.yaml':
      'description: nightly backup of the shared folder\nscheduler:\n  trigger: cron\n  hour: 2\n  minute: 30\n  timezone: Europe/Paris\ntimeout: 1h\n',
    'task.sh': 'echo "backing up"\n',
  },
  report: {
    'task.yaml':
      "description: the sales report for one day\nparams:\n  - {name: date, required: true, pattern: '^\\d{4}-\\d\\d-\\d\\d$', description: the day to report on}\n  - {name: format, enum: [pdf, csv], default: pdf}\n",
    'task.sh':
      'echo "generating the $TASSE_PARAM_FORMAT report for $TASSE_PARAM_DATE"\nfor i in 1 2 3; do echo "region $i: done"; done\necho "report written"\n',
  },
  'sync-crm': {
    'task.yaml': 'scheduler:\n  trigger: interval\n  minutes: 15\n',
    'task.sh': 'echo "contacting the CRM"\necho "error: 503 from the CRM" >&2\nexit 1\n',
  },
  invoices: {
    'task.yaml':
      'scheduler:\n  trigger: cron\n  day_of_week: mon-fri\n  hour: 17\noverlap: sometimes\n',
    'task.sh': 'echo never\n',
  },
}

const data = mkdtempSync(join(tmpdir(), 'tasse-screenshots-'))
for (const [name, files] of Object.entries(TASKS)) {
  mkdirSync(join(data, 'tasks', name), { recursive: true })
  for (const [file, text] of Object.entries(files))
    writeFileSync(join(data, 'tasks', name, file), text)
}

const host = await startHost(readConfig({ data, port: '0' }, {}), {
  logger: { info() {}, warn() {}, error: (message) => console.error(message) },
})
const { url } = host
const post = (path, body) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  }).then((response) => response.json())
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const browser = await chromium.launch({
  executablePath: process.env.TASSE_CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
})
try {
  for (const date of ['2026-01-28', '2026-01-29'])
    await post('/api/v1/tasks/report/runs', { params: { date } })
  for (let i = 0; i < 3; i++) {
    await post('/api/v1/tasks/sync-crm/runs')
    await wait(300)
  }
  await post('/api/v1/tasks/backup/runs')
  await wait(12_000) // helloworld runs on its own
  const run = await post('/api/v1/tasks/report/runs', {
    params: { date: '2026-01-30', format: 'csv' },
  })
  await wait(1500)

  const shots = [
    ['tasks', '/', 'light', 1280],
    ['tasks-dark', '/', 'dark', 1280],
    ['task', '/tasks/report', 'light', 1280],
    ['run', `/runs/${run.id}`, 'light', 1280],
    ['runs', '/runs', 'dark', 1280],
    ['host', '/host', 'light', 1280],
    ['tasks-phone', '/', 'light', 390],
  ]
  for (const [name, path, colorScheme, width] of shots) {
    const context = await browser.newContext({
      colorScheme,
      viewport: { width, height: 800 },
      deviceScaleFactor: width < 600 ? 2 : 1,
    })
    const page = await context.newPage()
    await page.goto(`${url}${path}`)
    await page
      .locator('#live-state')
      .filter({ hasText: /\S/ })
      .waitFor({ timeout: 5000 })
      .catch(() => {})
    await wait(300)
    const file = join(OUT, `dashboard-${name}.png`)
    await page.screenshot({ path: file, fullPage: width >= 600 })
    console.log(`[screenshots] ${file}`)
    await context.close()
  }
} finally {
  await browser.close()
  await host.close()
  rmSync(data, { recursive: true, force: true })
}
