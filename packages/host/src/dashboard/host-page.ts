/**
 * `/host`: what this host is and how busy it is: version, uptime, data folder, runs in use of
 * its concurrency, queued runs, and the task folders it cannot use, with their errors.
 */
import type { Board } from './board.js'
import { localTime } from './format.js'
import { type Html, html } from './html.js'
import { heading, page } from './layout.js'
import type { LiveSpec } from './live.js'

export function hostPage(board: Board): Html {
  const { tasse } = board
  const body = html`${heading('Host')}
<dl class="facts">
<dt>Version</dt><dd>Tasse ${board.version} on Node.js ${process.version}</dd>
<dt>Up since</dt><dd>${localTime(board.startedAt)}</dd>
<dt>Data folder</dt><dd><code>${tasse.dataDir}</code></dd>
<dt>Tasks folder</dt><dd><code>${tasse.tasksDir}</code></dd>
</dl>
${stats(board)}
${invalidTasks(board)}`
  return page({
    title: 'Host',
    section: 'host',
    body,
    assets: board.assets,
    live: '/live/host',
    signOut: board.secured,
  })
}

/** Runs and tasks now (`id="host-stats"`). */
function stats(board: Board): Html {
  const { tasse } = board
  const counts = tasse.runCounts()
  const tasks = tasse.listTasks()
  const by = (state: string) => tasks.filter((info) => info.state === state).length
  return html`<section id="host-stats" aria-labelledby="stats-heading">
<h2 id="stats-heading">Now</h2>
<dl class="facts">
<dt>Running</dt><dd>${counts.running} of ${tasse.concurrency} at once <progress value="${counts.running}" max="${tasse.concurrency}" aria-label="concurrency in use"></progress></dd>
<dt>Queued</dt><dd>${counts.queued}</dd>
<dt>Tasks</dt><dd>${tasks.length}: ${by('ok')} ok, ${by('paused')} paused, ${by('invalid')} invalid</dd>
</dl>
${
  counts.running + counts.queued > 0
    ? html`<ul>${tasse.activeRuns().map((run) => html`<li><a href="/runs/${run.id}"><code>${run.id}</code></a> ${run.task} (${run.status})</li>`)}</ul>`
    : ''
}
</section>`
}

/** Task folders that cannot be used (`id="invalid-tasks"`). */
function invalidTasks(board: Board): Html {
  const invalid = board.tasse.invalidTasks()
  return html`<section id="invalid-tasks" aria-labelledby="invalid-heading">
<h2 id="invalid-heading">Invalid tasks</h2>
${
  invalid.length === 0
    ? html`<p>None: every task folder can be used.</p>`
    : html`<ul>${invalid.map(
        (task) =>
          html`<li><a href="/tasks/${task.name}">${task.name}</a>: <span class="error-text">${task.error.message.replace(/^\[tasse\] /, '')}</span>${board.tasse.taskInfo(task.name)?.task ? html` <small>(its last good definition keeps running)</small>` : ''}</li>`,
      )}</ul>`
}
</section>`
}

export function hostLive(board: Board): LiveSpec {
  return {
    stale: (event) => (event.kind === 'run' ? 'stats' : ['stats', 'tasks']),
    async render(keys) {
      const messages = [{ event: 'swap', data: { id: 'host-stats', html: stats(board) } } as const]
      if (keys.has('tasks'))
        return [
          ...messages,
          { event: 'swap', data: { id: 'invalid-tasks', html: invalidTasks(board) } } as const,
        ]
      return messages
    },
  }
}
