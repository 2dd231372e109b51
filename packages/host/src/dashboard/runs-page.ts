/**
 * `/runs`: the history across tasks with the API's filters (task, status, a time range), in
 * pages. Times in the form are UTC (`datetime-local` carries no zone); a bad one is shown next
 * to its field.
 */
import { RUN_STATUSES, type RunQuery, type RunStatus } from '@tasse/core'
import type { Board } from './board.js'
import { type Html, html } from './html.js'
import { heading, page } from './layout.js'
import type { LiveMessage, LiveSpec } from './live.js'
import { runRow, runTable } from './run-table.js'

export const RUNS_PAGE = 50

/** The filters as the query string carries them. */
export interface RunsFilter {
  task?: string | undefined
  status?: string | undefined
  from?: string | undefined
  to?: string | undefined
  cursor?: string | undefined
}

/** The filters checked: the store's query, or the errors by field. */
export function readRunsFilter(filter: RunsFilter): {
  query: RunQuery
  errors: Record<string, string>
} {
  const query: RunQuery = { limit: RUNS_PAGE }
  const errors: Record<string, string> = {}
  if (filter.task) query.task = filter.task
  if (filter.status) {
    if ((RUN_STATUSES as readonly string[]).includes(filter.status))
      query.status = [filter.status as RunStatus]
    else errors.status = `must be one of ${RUN_STATUSES.join(', ')}, got "${filter.status}"`
  }
  for (const key of ['from', 'to'] as const) {
    const text = filter[key]
    if (!text) continue
    const ms = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(text)
      ? Date.parse(`${text}Z`)
      : Number.NaN
    if (Number.isNaN(ms))
      errors[key] = `must be a date and time like 2026-01-30T17:00 (UTC), got "${text}"`
    else query[key] = ms
  }
  if (filter.cursor) query.cursor = filter.cursor
  return { query, errors }
}

export async function runsPage(
  board: Board,
  filter: RunsFilter,
): Promise<{ html: Html; status: 200 | 400 }> {
  const { tasse } = board
  const { query, errors } = readRunsFilter(filter)
  let page_ = {
    runs: [] as Awaited<ReturnType<typeof tasse.listRuns>>['runs'],
    nextCursor: null as string | null,
  }
  if (Object.keys(errors).length === 0) {
    try {
      page_ = await tasse.listRuns(query)
    } catch (cause) {
      // A cursor this store did not make: the only input a store refuses.
      if (!query.cursor) throw cause
      errors.cursor = `this page link is no longer valid (${(cause as Error).message.replace(/^\[[^\]]+\] /, '')}); start from the newest`
    }
  }
  const names = tasse.listTasks().map((info) => info.name)
  const field = (key: string) =>
    errors[key]
      ? html`<small class="field-error" id="filter-${key}-error">${errors[key]}</small>`
      : ''
  const invalid = (key: string) =>
    errors[key] ? html` aria-invalid="true" aria-describedby="filter-${key}-error"` : ''
  const keep = new URLSearchParams()
  for (const key of ['task', 'status', 'from', 'to'] as const) {
    const value = filter[key]
    if (value) keep.set(key, value)
  }
  const newest = !filter.cursor
  const body = html`${heading('Runs')}
<form method="get" action="/runs" class="filters">
<label for="filter-task">Task <select id="filter-task" name="task"><option value="">every task</option>${names.map((name) => html`<option${name === filter.task ? html` selected` : ''}>${name}</option>`)}</select></label>
<label for="filter-status">Status <select id="filter-status" name="status"${invalid('status')}><option value="">every status</option>${RUN_STATUSES.map((s) => html`<option value="${s}"${s === filter.status ? html` selected` : ''}>${s.replace('_', ' ')}</option>`)}</select>${field('status')}</label>
<label for="filter-from">From (UTC) <input id="filter-from" type="datetime-local" name="from" value="${filter.from ?? ''}"${invalid('from')}>${field('from')}</label>
<label for="filter-to">To (UTC) <input id="filter-to" type="datetime-local" name="to" value="${filter.to ?? ''}"${invalid('to')}>${field('to')}</label>
<button type="submit" class="secondary">Filter</button>
</form>
${errors.cursor ? html`<p class="alert" role="alert">${errors.cursor}</p>` : ''}
${runTable(page_.runs, { bodyId: 'runs-body', showTask: true })}
<nav aria-label="Pages" class="pager">${newest ? '' : html`<a href="/runs?${keep.toString()}">Newest</a>`}${
    page_.nextCursor
      ? html`<a href="/runs?${withCursor(keep, page_.nextCursor)}">Older runs →</a>`
      : ''
  }</nav>`
  const live =
    newest && Object.keys(errors).length === 0 ? `/live/runs?${keep.toString()}` : undefined
  return {
    html: page({
      title: 'Runs',
      section: 'runs',
      body,
      assets: board.assets,
      ...(live ? { live } : {}),
      signOut: board.secured,
    }),
    status: Object.keys(errors).length ? 400 : 200,
  }
}

function withCursor(params: URLSearchParams, cursor: string): string {
  const next = new URLSearchParams(params)
  next.set('cursor', cursor)
  return next.toString()
}

/** New runs that match the filter go on top; the rows shown follow their runs. */
export function runsLive(board: Board, filter: RunsFilter): LiveSpec {
  const { query } = readRunsFilter(filter)
  return {
    stale(event) {
      if (event.kind !== 'run') return undefined
      const run = event.run
      if (query.task && run.task !== query.task) return undefined
      if (query.status && !query.status.includes(run.status)) return undefined
      if (query.to !== undefined && run.queuedAt > query.to) return undefined
      return run.id
    },
    async render(ids) {
      const messages: LiveMessage[] = []
      for (const id of ids) {
        const run = await board.tasse.getRun(id)
        if (!run) continue
        messages.push({
          event: 'upsert',
          data: {
            id: `run-${id}`,
            html: runRow(run, { showTask: true }),
            into: 'runs-body',
            at: 'start',
          },
        })
      }
      return messages
    },
  }
}
