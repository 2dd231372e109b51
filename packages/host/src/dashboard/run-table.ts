/** A table of runs, one row each, as the task page's history and the runs page show them. */
import type { Run } from '@tasse/core'
import { localTime, runDuration, statusBadge } from './format.js'
import { type Html, html } from './html.js'

export interface RunTableOptions {
  /** The `<tbody>`'s id, where live rows go. */
  bodyId: string
  /** Show the task column (the runs page; a task page leaves it out). */
  showTask: boolean
}

export function runTable(runs: readonly Run[], options: RunTableOptions): Html {
  return html`<div class="overflow-auto"><table class="striped runs stack">
<thead><tr><th scope="col">Run</th>${options.showTask ? html`<th scope="col">Task</th>` : ''}<th scope="col">Status</th><th scope="col">Reason</th><th scope="col">Queued</th><th scope="col">Duration</th><th scope="col">Exit</th></tr></thead>
<tbody id="${options.bodyId}">${runs.map((run) => runRow(run, options))}</tbody>
</table></div>${runs.length === 0 ? html`<p class="muted" id="${options.bodyId}-empty">No runs.</p>` : ''}`
}

export function runRow(run: Run, options: Pick<RunTableOptions, 'showTask'>): Html {
  return html`<tr id="run-${run.id}">
<td><a href="/runs/${run.id}"><code>${run.id}</code></a>${run.attempt > 1 ? html` <small>attempt ${run.attempt}</small>` : ''}</td>${
    options.showTask
      ? html`<td data-label="Task"><a href="/tasks/${run.task}">${run.task}</a></td>`
      : ''
  }
<td data-label="Status">${statusBadge(run.status)}</td>
<td data-label="Reason">${run.reason}</td>
<td data-label="Queued">${localTime(run.queuedAt)}</td>
<td data-label="Duration">${runDuration(run)}</td>
<td data-label="Exit">${exitText(run)}</td>
</tr>`
}

/** `0`, `3`, `SIGTERM`, or nothing while it runs. */
export function exitText(run: Run): string {
  if (run.signal) return run.signal
  return run.exitCode === null ? '' : String(run.exitCode)
}
