/**
 * The dashboard's HTTP behaviour in-process (`app.request`): pages, forms that post and
 * redirect, errors next to fields, sessions and CSRF where a token is needed, HTML escaping of
 * what users wrote, and the assets' cache headers. The browser tests cover what a person sees.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type InProcessHost, inProcessHost, TASKS, type TaskFiles, until } from './api-fixtures.js'

const TOKEN = 'dash-tok-81c4e0f2a7'
let host: InProcessHost | undefined
afterEach(async () => {
  await host?.close()
  host = undefined
})

/** A same-origin form post, as a browser sends it. */
function post(form: Record<string, string> = {}, headers: Record<string, string> = {}) {
  return {
    method: 'POST',
    headers: {
      // What a browser sends from the dashboard's own page.
      host: 'localhost',
      origin: 'http://localhost',
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body: new URLSearchParams(form).toString(),
  }
}

const EVIL: TaskFiles = {
  ...TASKS,
  // Not a valid task name: listed as invalid, with its name escaped.
  'x<b>': { 'task.yaml': '', 'task.sh': 'true\n' },
  shout: {
    'task.yaml': 'description: <img src=x onerror=alert(1)>\n',
    'task.sh': 'echo "<script>alert(1)</script>"\n',
  },
  dated: {
    'task.yaml':
      "params:\n  - {name: date, required: true, pattern: '^\\d{4}-\\d\\d-\\d\\d$'}\n  - {name: mode, enum: [fast, slow], default: fast}\n",
    'task.sh': 'echo "$TASSE_PARAM_DATE $TASSE_PARAM_MODE"\n',
  },
}

describe('the dashboard on an open host (loopback, no token)', () => {
  it('lists every task folder at / with its state; pages answer as HTML with a CSP', async () => {
    host = await inProcessHost()
    const response = await host.app.request('/')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'")
    const page = await response.text()
    for (const name of Object.keys(TASKS)) expect(page).toContain(`id="task-${name}"`)
    expect(page).toMatch(/id="task-broken"[\s\S]*state-invalid[\s\S]*overlap/)
    // The API is not touched: JSON as before, no dashboard headers.
    const api = await host.app.request('/api/v1/tasks')
    expect(api.headers.get('content-security-policy')).toBeNull()
  })

  it('filters by state and name', async () => {
    host = await inProcessHost()
    const invalid = await (await host.app.request('/?state=invalid')).text()
    expect(invalid).toContain('id="task-broken"')
    expect(invalid).not.toContain('id="task-hello"')
    const named = await (await host.app.request('/?q=HOUR')).text()
    expect(named).toContain('id="task-hourly"')
    expect(named).not.toContain('id="task-hello"')
  })

  it('escapes what users wrote: folder names, files and output', async () => {
    host = await inProcessHost({ tasks: EVIL })
    const list = await (await host.app.request('/')).text()
    expect(list).toContain('x&lt;b&gt;')
    expect(list).not.toContain('x<b>')
    expect(list).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(list).not.toContain('<img')
    const run = await host.tasse.trigger('shout')
    await host.tasse.waitForRun(run.id)
    const page = await (await host.app.request(`/runs/${run.id}`)).text()
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(page).not.toContain('<script>alert')
  })

  it('runs a task from its form: a refused parameter is shown next to its field, nothing runs', async () => {
    host = await inProcessHost({ tasks: EVIL })
    const refused = await host.app.request('/tasks/dated/runs', post({ date: '30/01/2026' }))
    expect(refused.status).toBe(400)
    const page = await refused.text()
    expect(page).toMatch(
      /id="param-date-error"[^>]*>parameter &quot;date&quot; of task &quot;dated&quot; must match/,
    )
    expect(page).toContain('value="30/01/2026"')
    expect((await host.tasse.listRuns({ task: 'dated' })).runs).toEqual([])

    const missing = await host.app.request('/tasks/dated/runs', post({}))
    expect(missing.status).toBe(400)
    expect(await missing.text()).toMatch(
      /id="param-date-error"[^>]*>parameter &quot;date&quot;[^<]*is required/,
    )

    const started = await host.app.request(
      '/tasks/dated/runs',
      post({ date: '2026-01-30', mode: '' }),
    )
    expect(started.status).toBe(303)
    const id = started.headers.get('location')?.replace('/runs/', '') as string
    const run = await host.tasse.waitForRun(id)
    expect(run.params).toEqual({ date: '2026-01-30', mode: 'fast' })
    expect(await host.tasse.readRunLog(id)).toBe('2026-01-30 fast\n')
  })

  it('renders an enum as a select and a pattern the browser cannot compile not at all', async () => {
    host = await inProcessHost({
      tasks: {
        ...EVIL,
        // Valid for core (`u` flag), not for a browser's `pattern` (`v` flag).
        dashed: {
          'task.yaml': "params:\n  - {name: slug, pattern: '[a-z-]+'}\n",
          'task.sh': 'true\n',
        },
      },
    })
    const dated = await (await host.app.request('/tasks/dated')).text()
    expect(dated).toMatch(
      /<select id="param-mode" name="mode"[^>]*>[\s\S]*<option selected>fast<\/option><option>slow<\/option>/,
    )
    expect(dated).toContain('pattern="^\\d{4}-\\d\\d-\\d\\d$"')
    const dashed = await (await host.app.request('/tasks/dashed')).text()
    expect(dashed).toContain('id="param-slug"')
    expect(dashed).not.toContain('pattern="[a-z-]+"')
  })

  it('pauses, resumes and cancels with forms that redirect back', async () => {
    host = await inProcessHost()
    const paused = await host.app.request('/tasks/hourly/pause', post())
    expect([paused.status, paused.headers.get('location')]).toEqual([303, '/tasks/hourly'])
    expect(host.tasse.taskInfo('hourly')?.state).toBe('paused')
    await host.app.request('/tasks/hourly/resume', post())
    expect(host.tasse.taskInfo('hourly')?.state).toBe('ok')
    expect((await host.app.request('/tasks/hello/pause', post())).status).toBe(409)

    const run = await host.tasse.trigger('gate')
    await until(async () => (await host?.tasse.getRun(run.id))?.status === 'running')
    const cancelled = await host.app.request(`/runs/${run.id}/cancel`, post())
    expect(cancelled.status).toBe(303)
    expect((await host.tasse.waitForRun(run.id)).status).toBe('cancelled')
  })

  it('shows a task failing, and why on_failure paused it, on the list and on its page', async () => {
    host = await inProcessHost({
      tasks: {
        ...TASKS,
        flaky: {
          'task.yaml':
            'scheduler:\n  trigger: interval\n  hours: 1\non_failure: {pause_after: 2}\n',
          'task.sh': 'exit 3\n',
        },
      },
    })
    for (let i = 0; i < 2; i++) {
      const run = await host.tasse.trigger('flaky')
      await host.tasse.waitForRun(run.id)
    }
    await until(() => host?.tasse.taskInfo('flaky')?.state === 'paused')
    const list = await (await host.app.request('/')).text()
    const row = /<tr id="task-flaky"[\s\S]*?<\/tr>/.exec(list)?.[0] ?? ''
    expect(row).toContain('state-failing')
    expect(row).toContain('2 failed runs in a row')
    expect(row).toContain('paused after 2 consecutive failed runs (on_failure.pause_after: 2)')
    expect(/<tr id="task-hello"[\s\S]*?<\/tr>/.exec(list)?.[0]).not.toContain('state-failing')
    const page = await (await host.app.request('/tasks/flaky')).text()
    expect(page).toContain('state-failing')
    expect(page).toContain('paused after 2 consecutive failed runs')
  })

  it('refuses a state-changing form from another origin, even without a token to steal', async () => {
    host = await inProcessHost()
    for (const headers of <Record<string, string>[]>[
      { origin: 'http://evil.example' },
      // Another port of the same machine: the same site, but not this origin.
      { origin: 'http://localhost:8080', 'sec-fetch-site': 'same-site' },
    ]) {
      const response = await host.app.request('/tasks/hello/runs', post({}, headers))
      expect(response.status).toBe(403)
    }
    // A browser always sends Origin on a form post; a request with neither header is refused.
    const bare = await host.app.request('/tasks/hello/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    })
    expect(bare.status).toBe(403)
    expect((await host.tasse.listRuns({ task: 'hello' })).runs).toEqual([])
  })

  it('offers the output as a text download, and answers 404 pages for what does not exist', async () => {
    host = await inProcessHost()
    const run = await host.tasse.trigger('hello', { params: { who: 'ada' } })
    await host.tasse.waitForRun(run.id)
    const download = await host.app.request(`/runs/${run.id}/output.txt`)
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="hello-${run.id}.txt"`,
    )
    expect(await download.text()).toBe('Hello ada\n')
    expect((await host.app.request('/tasks/nope')).status).toBe(404)
    expect((await host.app.request('/tasks/..%2f..%2fetc')).status).toBe(404)
    expect((await host.app.request('/runs/0000000000000000')).status).toBe(404)
    expect((await host.app.request('/runs/..%2fx')).status).toBe(404)
  })

  it('shows bad run filters next to their field', async () => {
    host = await inProcessHost()
    const response = await host.app.request('/runs?from=yesterday&status=done')
    expect(response.status).toBe(400)
    const page = await response.text()
    expect(page).toMatch(
      /id="filter-from-error">must be a date and time like 2026-01-30T17:00 \(UTC\), got &quot;yesterday&quot;/,
    )
    expect(page).toMatch(/id="filter-status-error">must be one of queued, running/)
  })

  it('serves its one stylesheet and script under content hashes, cached for good', async () => {
    host = await inProcessHost()
    const page = await (await host.app.request('/host')).text()
    const css = /href="(\/assets\/tasse\.[0-9a-f]{12}\.css)"/.exec(page)?.[1] as string
    const js = /src="(\/assets\/live\.[0-9a-f]{12}\.js)"/.exec(page)?.[1] as string
    for (const [path, type] of [
      [css, 'text/css'],
      [js, 'text/javascript'],
    ] as const) {
      const response = await host.app.request(path)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toContain(type)
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    }
    expect(await (await host.app.request(css)).text()).toContain('Pico CSS')
    expect((await host.app.request('/assets/tasse.000000000000.css')).status).toBe(404)
  })

  it('shows the host: version, data folder, concurrency in use, queued, invalid tasks', async () => {
    host = await inProcessHost()
    const page = await (await host.app.request('/host')).text()
    expect(page).toMatch(/Tasse \d+\.\d+\.\d+ on Node\.js v\d+/)
    expect(page).toContain(host.tasse.dataDir)
    expect(page).toContain(`0 of ${host.tasse.concurrency} at once`)
    expect(page).toMatch(/Queued<\/dt><dd>0</)
    expect(page).toMatch(
      /href="\/tasks\/broken">broken<\/a>: <span class="error-text">[^<]*overlap/,
    )
  })
})

describe('the dashboard of a host that needs a token', () => {
  const signIn = async () => {
    const response = await host?.app.request('/sign-in', post({ token: TOKEN, next: '/host' }))
    const cookie = response?.headers.get('set-cookie') ?? ''
    return { response, cookie, session: cookie.split(';')[0] as string }
  }

  it('sends every page to sign-in, and live streams and forms get 401', async () => {
    host = await inProcessHost({ tokens: [TOKEN] })
    for (const path of ['/', '/tasks/hello', '/runs', '/host', '/runs/0000000000000000']) {
      const response = await host.app.request(path)
      expect(response.status).toBe(303)
      expect(response.headers.get('location')).toBe(`/sign-in?next=${encodeURIComponent(path)}`)
    }
    expect((await host.app.request('/live/tasks')).status).toBe(401)
    expect((await host.app.request('/tasks/hello/runs', post())).status).toBe(401)
    expect((await host.tasse.listRuns()).runs).toEqual([])
    // The sign-in page and the assets need no session.
    expect((await host.app.request('/sign-in')).status).toBe(200)
  })

  it('signs in with the token: an HttpOnly, SameSite=Strict session cookie that is not the token', async () => {
    host = await inProcessHost({ tokens: [TOKEN] })
    const wrong = await host.app.request('/sign-in', post({ token: 'guess', next: '/' }))
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('set-cookie')).toBeNull()
    expect(await wrong.text()).not.toContain('guess')

    const { response, cookie, session } = await signIn()
    expect(response?.status).toBe(303)
    expect(response?.headers.get('location')).toBe('/host')
    expect(cookie).toMatch(
      /^tasse_session=[\w-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/,
    )
    expect(cookie).not.toContain(TOKEN)
    const page = await host.app.request('/host', { headers: { cookie: session } })
    expect(page.status).toBe(200)
    expect(await page.text()).not.toContain(TOKEN)
    // The session opens the dashboard, not the API: its bearer auth is unchanged.
    expect((await host.app.request('/api/v1/tasks', { headers: { cookie: session } })).status).toBe(
      401,
    )
    expect(host.logger.lines.join('\n')).not.toContain(TOKEN)

    await host.app.request('/sign-out', post({}, { cookie: session }))
    expect((await host.app.request('/host', { headers: { cookie: session } })).status).toBe(303)
  })

  it('refuses a cross-site form even with the session cookie', async () => {
    host = await inProcessHost({ tokens: [TOKEN] })
    const { session } = await signIn()
    const forged = await host.app.request(
      '/tasks/hello/runs',
      post({}, { cookie: session, origin: 'http://evil.example' }),
    )
    expect(forged.status).toBe(403)
    const sameOrigin = await host.app.request('/tasks/hello/runs', post({}, { cookie: session }))
    expect(sameOrigin.status).toBe(303)
  })

  it('goes back only to a path on this host after signing in', async () => {
    host = await inProcessHost({ tokens: [TOKEN] })
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'x'])
      expect(
        (await host.app.request('/sign-in', post({ token: TOKEN, next }))).headers.get('location'),
      ).toBe('/')
  })

  it('keeps the API and the original routes behind the bearer token', async () => {
    host = await inProcessHost({ tokens: [TOKEN] })
    for (const path of ['/api/v1/tasks', '/trigger/hello', '/rescan', '/metrics', '/nowhere'])
      expect((await host.app.request(path)).status).toBe(401)
  })
})
