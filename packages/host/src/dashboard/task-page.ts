/**
 * `/tasks/:name`: one task. Its state and schedule, the next 10 fire times with the
 * daylight-saving notes `tasse next` prints, the form that runs it, pause/resume, its task.yaml
 * and entrypoint, and its history in pages.
 */
import { join } from 'node:path'
import type { TaskInfo } from '@tasse/core'
import { taskFireTimes } from '../fire-times.js'
import type { Board } from './board.js'
import { runDuration, statusBadge, zonedTime } from './format.js'
import { type Html, html } from './html.js'
import { heading, page } from './layout.js'
import type { LiveMessage, LiveSpec } from './live.js'
import { type ParamsFormState, paramsForm } from './params-form.js'
import { runRow, runTable } from './run-table.js'
import { scheduleInWords } from './schedule-words.js'
import { showFile } from './task-files.js'
import { stateCell } from './tasks-page.js'

/** Fire times the page lists. */
export const FIRE_TIMES_SHOWN = 10
/** Runs per page of history. */
export const HISTORY_PAGE = 20

export interface TaskPageOptions {
  /** The history page to show (a cursor from the page before); none: the newest. */
  cursor?: string | undefined
  form?: ParamsFormState
}

export async function taskPage(
  board: Board,
  info: TaskInfo,
  options: TaskPageOptions = {},
): Promise<Html> {
  const { tasse } = board
  const history = await tasse.listRuns({
    task: info.name,
    limit: HISTORY_PAGE,
    ...(options.cursor ? { cursor: options.cursor } : {}),
  })
  const dir = join(tasse.tasksDir, info.name)
  const files = [showFile(dir, 'task.yaml')]
  if (info.task && info.task.entrypoint !== 'task.yaml')
    files.push(showFile(dir, info.task.entrypoint))
  const first = !options.cursor
  const body = html`${heading(info.name, actions(info))}
<div class="grid">
${await summary(board, info)}
${
  info.task
    ? html`<article aria-labelledby="run-heading" class="run-now"><h2 id="run-heading">Run it now</h2>${paramsForm(info.task, options.form)}</article>`
    : ''
}
</div>
${fireTimes(info)}
<section aria-labelledby="history-heading">
<h2 id="history-heading">History</h2>
${runTable(history.runs, { bodyId: 'history-body', showTask: false })}
<nav aria-label="History pages" class="pager">${first ? '' : html`<a href="/tasks/${info.name}">Newest</a>`}${
    history.nextCursor
      ? html`<a href="/tasks/${info.name}?cursor=${encodeURIComponent(history.nextCursor)}">Older runs →</a>`
      : ''
  }</nav>
</section>
<section aria-labelledby="files-heading">
<h2 id="files-heading">Files</h2>
${files.map(
  (file) =>
    html`<details open><summary><code>${file.name}</code>${file.note ? html` <small class="muted">(${file.note})</small>` : ''}</summary>${
      file.text !== null ? html`<pre class="file"><code>${file.text}</code></pre>` : ''
    }</details>`,
)}
</section>`
  return page({
    title: info.name,
    section: 'tasks',
    body,
    assets: board.assets,
    // Only the newest page of history takes new rows.
    live: `/live/tasks/${info.name}${first ? '' : '?older=1'}`,
    signOut: board.secured,
  })
}

/** Pause or resume: only a valid task with a schedule has one to pause. */
function actions(info: TaskInfo): Html | string {
  if (!info.task?.trigger) return ''
  const paused = info.state === 'paused'
  return html`<form method="post" action="/tasks/${info.name}/${paused ? 'resume' : 'pause'}" class="inline" id="pause-form"><button type="submit" class="secondary">${paused ? 'Resume schedule' : 'Pause schedule'}</button></form>`
}

/** The facts that change: state, schedule, next fire, last run (`id="task-summary"`). */
export async function summary(board: Board, info: TaskInfo): Promise<Html> {
  const { tasse } = board
  const task = info.task
  const trigger = task?.trigger ?? null
  const [next] = taskFireTimes(info, { count: 1 })
  const [last] = (await tasse.listRuns({ task: info.name, limit: 1 })).runs
  const running = tasse.activeRuns(info.name)
  return html`<dl class="facts" id="task-summary">
${typeof task?.raw.description === 'string' ? html`<dt>Description</dt><dd>${task.raw.description}</dd>` : ''}
<dt>State</dt><dd>${stateCell(info, tasse.health(info.name))}</dd>
${
  task
    ? html`<dt>Schedule</dt><dd>${scheduleInWords(trigger, task.raw.scheduler)}${trigger ? html` <small class="muted"><code>${trigger.describe()}</code> in ${trigger.timezone}</small>` : ''}</dd>
<dt>Next fire</dt><dd>${next && trigger ? zonedTime(next.iso, trigger.timezone) : info.state === 'paused' ? 'none while paused' : 'none'}</dd>
<dt>Entrypoint</dt><dd><code>${task.entrypoint}</code></dd>
<dt>Overlap</dt><dd>${task.overlap}${task.timeoutMs !== null ? html`; timeout ${task.timeoutMs / 1000} s` : ''}</dd>`
    : ''
}
<dt>Last run</dt><dd>${last ? html`<a href="/runs/${last.id}">${statusBadge(last.status)}</a> <small>${runDuration(last)}</small>` : 'none yet'}</dd>
<dt>Running now</dt><dd>${running.length ? running.map((run) => html`<a href="/runs/${run.id}">${statusBadge(run.status)} <code>${run.id}</code></a> `) : 'nothing'}</dd>
</dl>`
}

/** The next fire times, with the notes `tasse next` prints (`id="fire-times"`). */
function fireTimes(info: TaskInfo): Html | string {
  const trigger = info.task?.trigger
  if (!trigger) return ''
  const times = taskFireTimes(info, { count: FIRE_TIMES_SHOWN })
  return html`<section aria-labelledby="fire-heading" id="fire-times">
<h2 id="fire-heading">Next ${FIRE_TIMES_SHOWN} fire times <small class="muted">in ${trigger.timezone}</small></h2>
${
  times.length === 0
    ? html`<p class="muted">${info.state === 'paused' ? 'None while the schedule is paused.' : 'None: the schedule has ended.'}</p>`
    : html`<ol class="fire-times">${times.map(
        (time) =>
          html`<li>${zonedTime(time.iso, trigger.timezone)}${time.note ? html`<br><small class="note">${time.note}</small>` : ''}</li>`,
      )}</ol>`
}
</section>`
}

/** The summary, the fire times and the history's rows follow the task and its runs. */
export function taskLive(board: Board, name: string, options: { newest: boolean }): LiveSpec {
  const { tasse } = board
  return {
    stale(event) {
      if (event.kind === 'task') return event.name === name ? 'task' : undefined
      if (event.run.task !== name) return undefined
      return ['task', `run:${event.run.id}`]
    },
    async render(keys) {
      const info = tasse.taskInfo(name)
      if (!info) return []
      const messages: LiveMessage[] = []
      if (keys.has('task')) {
        messages.push({
          event: 'swap',
          data: { id: 'task-summary', html: await summary(board, info) },
        })
        messages.push({ event: 'swap', data: { id: 'fire-times', html: fireTimes(info) } })
      }
      for (const key of keys) {
        if (!key.startsWith('run:')) continue
        const run = await tasse.getRun(key.slice(4))
        if (!run) continue
        const row = runRow(run, { showTask: false })
        if (options.newest)
          messages.push({
            event: 'upsert',
            data: { id: `run-${run.id}`, html: row, into: 'history-body', at: 'start' },
          })
        else messages.push({ event: 'swap', data: { id: `run-${run.id}`, html: row } })
      }
      return messages
    },
  }
}
