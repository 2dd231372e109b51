/**
 * `/`: every task folder with its state, schedule in words, next fire time, last run and a
 * strip of its last 20 runs; filtered by state and searched by name (in the query, so a
 * filtered list can be bookmarked; the script also filters as you type).
 */
import type { Run, TaskHealthView, TaskInfo } from '@tasse/core'
import { taskFireTimes } from '../fire-times.js'
import type { Board } from './board.js'
import { runDuration, runStrip, statusBadge, zonedTime } from './format.js'
import { type Html, html } from './html.js'
import { heading, page } from './layout.js'
import type { LiveMessage, LiveSpec } from './live.js'
import { scheduleInWords } from './schedule-words.js'

/** Runs in a task's strip. */
export const STRIP_RUNS = 20

export const TASK_STATES = ['ok', 'paused', 'invalid'] as const

export interface TaskListQuery {
  state?: string | undefined
  q?: string | undefined
}

export async function tasksPage(board: Board, query: TaskListQuery): Promise<Html> {
  const { tasse } = board
  const all = tasse.listTasks()
  const state = TASK_STATES.find((s) => s === query.state)
  const q = (query.q ?? '').trim().toLowerCase()
  const shown = all.filter(
    (info) => (!state || info.state === state) && (!q || info.name.toLowerCase().includes(q)),
  )
  const now = Date.now() * 1000
  const recent = await board.recent.of(shown.map((info) => info.name))
  const rows = shown.map((info) =>
    taskRow(info, recent.get(info.name) ?? [], tasse.health(info.name), now),
  )
  const counts = TASK_STATES.map(
    (s) => `${all.filter((info) => info.state === s).length} ${s}`,
  ).join(', ')
  const options = [html`<option value="">every state</option>`].concat(
    TASK_STATES.map(
      (s) => html`<option value="${s}"${s === state ? html` selected` : ''}>${s}</option>`,
    ),
  )
  const body = html`${heading('Tasks', html`<small class="muted">${all.length} task${all.length === 1 ? '' : 's'}: ${counts}</small>`)}
<form method="get" action="/" class="filters" role="search">
<label for="task-state">State <select id="task-state" name="state">${options}</select></label>
<label for="task-search">Name <input id="task-search" type="search" name="q" value="${query.q ?? ''}" placeholder="search by name" data-filter-rows="tasks-body" autocomplete="off"></label>
<button type="submit" class="secondary">Filter</button>
</form>
${
  all.length === 0
    ? html`<p>No task folders in <code>${tasse.tasksDir}</code> yet. Add one: a folder with a <code>task.yaml</code> and a <code>task.py</code> or <code>task.sh</code>.</p>`
    : ''
}
<div class="overflow-auto"><table class="striped tasks stack">
<thead><tr><th scope="col">Task</th><th scope="col">State</th><th scope="col">Schedule</th><th scope="col">Next fire</th><th scope="col">Last run</th><th scope="col">Last ${STRIP_RUNS} runs</th></tr></thead>
<tbody id="tasks-body">${rows}</tbody>
</table></div>
${shown.length === 0 && all.length > 0 ? html`<p class="muted">No task matches.</p>` : ''}`
  return page({
    title: 'Tasks',
    section: 'tasks',
    body,
    assets: board.assets,
    live: '/live/tasks',
    signOut: board.secured,
  })
}

/** One task's row (`id="task-<name>"`), also sent alone by the live stream. */
export function taskRow(
  info: TaskInfo,
  runs: readonly Run[],
  health: TaskHealthView | null,
  now = Date.now() * 1000,
): Html {
  const last = runs[0]
  const trigger = info.task?.trigger ?? null
  const [next] = taskFireTimes(info, { count: 1, now })
  return html`<tr id="task-${info.name}" data-name="${info.name.toLowerCase()}" data-state="${info.state}">
<th scope="row"><a href="/tasks/${info.name}">${info.name}</a>${description(info)}</th>
<td data-label="State">${stateCell(info, health)}</td>
<td data-label="Schedule">${info.task ? scheduleInWords(trigger, info.task.raw.scheduler) : ''}</td>
<td data-label="Next fire">${next && trigger ? zonedTime(next.iso, trigger.timezone) : info.state === 'paused' ? html`<span class="muted">paused</span>` : ''}</td>
<td data-label="Last run">${last ? html`<a href="/runs/${last.id}">${statusBadge(last.status)}</a> <small>${runDuration(last)}</small>` : ''}</td>
<td data-label="Last ${STRIP_RUNS}">${runStrip(runs)}</td>
</tr>`
}

/**
 * The state as a word, and the error of an invalid task (or of a broken edit being ignored);
 * then its health, as the API's: overdue (and why), failing (failed runs in a row), and why
 * `on_failure` paused it.
 */
export function stateCell(info: TaskInfo, health: TaskHealthView | null = null): Html {
  const error = info.error?.replace(/^\[tasse\] /, '')
  if (info.state === 'invalid')
    return html`<span class="state state-invalid">✗ invalid</span><br><small class="error-text">${error}</small>`
  const word = html`<span class="state state-${info.state}">${info.state === 'paused' ? '⏸ paused' : '● ok'}</span>`
  const broken = error
    ? html`<br><small class="error-text">a broken edit is ignored, the last good definition runs: ${error}</small>`
    : ''
  return html`${word}${healthNote(health)}${broken}`
}

function healthNote(health: TaskHealthView | null): Html | string {
  if (!health) return ''
  const failures = health.consecutiveFailures
  return html`${health.overdue ? html`<br><span class="state state-overdue">⚠ overdue</span> <small class="error-text">${health.overdue.reason}</small>` : ''}${failures > 0 ? html`<br><span class="state state-failing">✗ failing</span> <small class="muted">${failures} failed run${failures === 1 ? '' : 's'} in a row</small>` : ''}${health.pausedReason ? html`<br><small class="muted">${health.pausedReason}</small>` : ''}`
}

function description(info: TaskInfo): Html | string {
  const text = info.task?.raw.description
  return typeof text === 'string' ? html`<br><small class="muted">${text}</small>` : ''
}

/** Rows change when their task or its runs do. */
export function tasksLive(board: Board): LiveSpec {
  const { tasse } = board
  return {
    stale: (event) => (event.kind === 'run' ? event.run.task : event.name),
    async render(names) {
      const messages: LiveMessage[] = []
      const recent = await board.recent.of([...names].filter((name) => tasse.taskInfo(name)))
      for (const name of names) {
        const info = tasse.taskInfo(name)
        if (!info) messages.push({ event: 'remove', data: { id: `task-${name}` } })
        else {
          const html = taskRow(info, recent.get(name) ?? [], tasse.health(name))
          messages.push({
            event: 'upsert',
            data: { id: `task-${name}`, html, into: 'tasks-body', at: 'end' },
          })
        }
      }
      return messages
    },
  }
}
