/**
 * The web dashboard: server-rendered pages over the same `Tasse` the API serves, mounted at `/`
 * by `createApp`. Pages: tasks (`/`), a task, runs, a run, the host. Each page that changes on
 * its own opens one event stream (`/live/…`, see `live.ts`); forms post and redirect, so every
 * action works without the script.
 *
 * Security: where the API needs a token, pages need a session (`sign-in.ts`, `session.ts`);
 * every state-changing form is refused unless it comes from this origin (hono's `csrf`, which
 * checks `Sec-Fetch-Site` and `Origin`: this also protects a token-less host on loopback from
 * other sites in the same browser); pages carry a Content-Security-Policy that allows only this
 * host's own stylesheet and script.
 */
import {
  InvalidParamError,
  isValidTaskName,
  RunRefusedError,
  type Tasse,
  type TasseLogger,
} from '@tasse/core'
import { type Context, Hono, type MiddlewareHandler } from 'hono'
import { compress } from 'hono/compress'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { csrf } from 'hono/csrf'
import { HTTPException } from 'hono/http-exception'
import { RUN_ID_PATTERN } from '../api/schemas.js'
import { tokenMatcher } from '../auth.js'
import { hostVersion } from '../package-root.js'
import { dashboardAssets, IMMUTABLE } from './assets.js'
import type { Board } from './board.js'
import { hostLive, hostPage } from './host-page.js'
import { type Html, html } from './html.js'
import { alertBox, heading, page } from './layout.js'
import { LiveHub, liveStream } from './live.js'
import { readParams } from './params-form.js'
import { dashboardOwns } from './paths.js'
import { RecentRuns } from './recent-runs.js'
import { runLive, runPage } from './run-page.js'
import { runsLive, runsPage } from './runs-page.js'
import { createSessions, SESSION_COOKIE, type Sessions } from './session.js'
import { safeNext, signInPage } from './sign-in.js'
import { taskLive, taskPage } from './task-page.js'
import { STRIP_RUNS, tasksLive, tasksPage } from './tasks-page.js'

export interface DashboardOptions {
  tasse: Tasse
  /** The tokens the API accepts; `null`: an open host (loopback without a token). */
  tokens: readonly string[] | null
  /** @default tasse.logger */
  logger?: TasseLogger
  /** @default sessions of 12 hours, kept in memory */
  sessions?: Sessions
  /** When the host started (the host page shows it). @default now */
  startedAt?: number
}

export interface Dashboard {
  app: Hono
  /** Whether a path is the dashboard's (the API's bearer check leaves those to it). */
  owns(path: string): boolean
}

/**
 * @example
 * const board = dashboard({ tasse, tokens: ['s3cret'] })
 * app.route('/', board.app)
 */
export function dashboard(options: DashboardOptions): Dashboard {
  const { tasse } = options
  const logger = options.logger ?? tasse.logger
  const sessions = options.sessions ?? createSessions()
  const matches = options.tokens ? tokenMatcher(options.tokens) : null
  const board: Board = {
    tasse,
    logger,
    assets: dashboardAssets(),
    hub: new LiveHub(tasse, logger),
    recent: new RecentRuns(tasse, { perTask: STRIP_RUNS }),
    secured: matches !== null,
    version: hostVersion(),
    startedAt: options.startedAt ?? Date.now(),
  }
  const owns = dashboardOwns
  const app = new Hono()
  // Mounted at `/`, a `*` middleware here would run for the API's paths too: keep to ours.
  const ours = (middleware: MiddlewareHandler): MiddlewareHandler =>
    async function dashboardOnly(c, next) {
      return owns(c.req.path) ? middleware(c, next) : next()
    }

  app.use('*', ours(securityHeaders))
  // The task list of 1,000 tasks is about a megabyte of HTML, a twentieth of that gzipped.
  // (Event streams are left alone: compress skips text/event-stream.)
  app.use('*', ours(compress()))
  app.get('/assets/:file', (c) => {
    const asset = board.assets.get(c.req.path)
    if (!asset)
      return c.text('no such asset (the page that asked for it is older than the host)', 404)
    return c.body(asset.body, 200, { 'Content-Type': asset.type, 'Cache-Control': IMMUTABLE })
  })
  app.use('*', ours(csrf()))

  const signedIn = (c: Context) => !matches || sessions.has(getCookie(c, SESSION_COOKIE))
  app.get('/sign-in', (c) => {
    if (signedIn(c)) return c.redirect(safeNext(c.req.query('next')), 303)
    return c.html(signInPage(board, { next: safeNext(c.req.query('next')) }))
  })
  app.post('/sign-in', async (c) => {
    const form = await c.req.parseBody()
    const next = safeNext(form.next)
    if (!matches) return c.redirect(next, 303)
    if (typeof form.token !== 'string' || !matches(form.token.trim()))
      return c.html(
        signInPage(board, { next, error: 'That token is not one this host accepts.' }),
        401,
      )
    setCookie(c, SESSION_COOKIE, sessions.create(), {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      maxAge: Math.floor(sessions.ttlMs / 1000),
      secure: new URL(c.req.url).protocol === 'https:',
    })
    return c.redirect(next, 303)
  })
  app.post('/sign-out', (c) => {
    sessions.delete(getCookie(c, SESSION_COOKIE))
    deleteCookie(c, SESSION_COOKIE, { path: '/' })
    return c.redirect(matches ? '/sign-in' : '/', 303)
  })
  app.use(
    '*',
    ours(async function signedInOnly(c, next) {
      if (signedIn(c)) return next()
      if (c.req.method === 'GET' && !c.req.path.startsWith('/live/')) {
        const url = new URL(c.req.url)
        return c.redirect(`/sign-in?next=${encodeURIComponent(url.pathname + url.search)}`, 303)
      }
      return c.text('sign in first: this host needs a token', 401)
    }),
  )

  app.get('/', async (c) =>
    c.html(await tasksPage(board, { state: c.req.query('state'), q: c.req.query('q') })),
  )
  app.get('/live/tasks', (c) => liveStream(c, board.hub, tasksLive(board), logger))

  app.get('/tasks/:name', async (c) => {
    const info = taskInfo(c.req.param('name'))
    if (!info) return notFound(c, `no task called "${c.req.param('name')}"`)
    return c.html(await taskPage(board, info, { cursor: c.req.query('cursor') }))
  })
  app.get('/live/tasks/:name', (c) => {
    const name = c.req.param('name')
    if (!taskInfo(name)) return c.text('no such task', 404)
    return liveStream(
      c,
      board.hub,
      taskLive(board, name, { newest: !c.req.query('older') }),
      logger,
    )
  })
  app.post('/tasks/:name/runs', async (c) => {
    const info = taskInfo(c.req.param('name'))
    if (!info) return notFound(c, `no task called "${c.req.param('name')}"`)
    if (!info.task) return problem(c, 409, `task "${info.name}" cannot run: ${info.error}`)
    const form = await c.req.parseBody()
    const values = Object.fromEntries(
      Object.entries(form).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    )
    try {
      const run = await tasse.trigger(info.name, { params: readParams(info.task, form) })
      return c.redirect(`/runs/${run.id}`, 303)
    } catch (cause) {
      // A parameter refused shows next to its field (400); a run refused by admission (an
      // overlapping run, a paused task, a host stopping) above the form (409).
      if (cause instanceof InvalidParamError) {
        const known = info.task.params.some((p) => p.name === cause.param)
        const form = known
          ? { values, errors: { [cause.param]: cause.message } }
          : { values, error: cause.message }
        return c.html(await taskPage(board, info, { form }), 400)
      }
      if (!(cause instanceof RunRefusedError)) throw cause
      return c.html(await taskPage(board, info, { form: { values, error: cause.message } }), 409)
    }
  })
  for (const action of ['pause', 'resume'] as const) {
    app.post(`/tasks/:name/${action}`, (c) => {
      const info = taskInfo(c.req.param('name'))
      if (!info) return notFound(c, `no task called "${c.req.param('name')}"`)
      if (!info.task?.trigger)
        return problem(c, 409, `task "${info.name}" has no schedule to ${action}`)
      if (action === 'pause') tasse.pause(info.name)
      else tasse.resume(info.name)
      return c.redirect(`/tasks/${info.name}`, 303)
    })
  }

  app.get('/runs', async (c) => {
    const result = await runsPage(board, c.req.query())
    return c.html(result.html, result.status)
  })
  app.get('/live/runs', (c) => liveStream(c, board.hub, runsLive(board, c.req.query()), logger))
  app.get('/runs/:id', async (c) => {
    const run = await findRun(c.req.param('id'))
    if (!run) return notFound(c, `no run with id "${c.req.param('id')}" (old runs are pruned)`)
    return c.html(await runPage(board, run))
  })
  app.get('/live/runs/:id', async (c) => {
    const run = await findRun(c.req.param('id'))
    if (!run) return c.text('no such run', 404)
    return liveStream(c, board.hub, runLive(board, run), logger)
  })
  app.get('/runs/:id/output.txt', async (c) => {
    const run = await findRun(c.req.param('id'))
    if (!run) return notFound(c, `no run with id "${c.req.param('id')}"`)
    return c.text(await tasse.readRunLog(run.id), 200, {
      'Content-Disposition': `attachment; filename="${run.task}-${run.id}.txt"`,
    })
  })
  app.post('/runs/:id/cancel', async (c) => {
    const run = await findRun(c.req.param('id'))
    if (!run) return notFound(c, `no run with id "${c.req.param('id')}"`)
    await tasse.cancel(run.id)
    return c.redirect(`/runs/${run.id}`, 303)
  })

  app.get('/host', (c) => c.html(hostPage(board)))
  app.get('/live/host', (c) => liveStream(c, board.hub, hostLive(board), logger))

  app.onError((cause, c) => {
    if (cause instanceof HTTPException) return cause.getResponse()
    logger.error(`dashboard: ${c.req.method} ${c.req.path} failed`, cause)
    return problem(c, 500, 'Something went wrong on the host; its log has the details.')
  })

  function taskInfo(name: string) {
    return isValidTaskName(name) ? tasse.taskInfo(name) : undefined
  }
  async function findRun(id: string) {
    return RUN_ID_PATTERN.test(id) ? tasse.getRun(id) : undefined
  }
  function problem(c: Context, status: 404 | 409 | 500, message: string) {
    const body = html`${heading(status === 404 ? 'Not found' : 'Not done')}${alertBox(message.replace(/^\[tasse\] /, ''))}<p><a href="/">Back to the tasks</a></p>`
    return c.html(
      page({
        title: 'Not found',
        section: 'none',
        body,
        assets: board.assets,
        signOut: board.secured,
      }),
      status,
    )
  }
  function notFound(c: Context, message: string) {
    return problem(c, 404, message)
  }

  return { app, owns }
}

/**
 * Only this host's own files, no inline script or style (what the pages would need if an
 * escaping bug let markup through), no framing, forms only to this host.
 */
const securityHeaders: MiddlewareHandler = async function securityHeaders(c, next) {
  await next()
  c.header(
    'Content-Security-Policy',
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  )
  c.header('X-Content-Type-Options', 'nosniff')
  c.header('Referrer-Policy', 'same-origin')
}

export type { Html }
