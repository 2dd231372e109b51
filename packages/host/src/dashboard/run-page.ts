/**
 * `/runs/:id`: one run. Its status, reason, parameters, times, exit code or signal, attempt and
 * the retries linked; its output, followed live while it runs (and kept on the page when it
 * ends), cancel while it is active, and the output as a text download.
 */
import { formatBytes, type Run } from '@tasse/core'
import type { Board } from './board.js'
import { localTime, runDuration, statusBadge } from './format.js'
import { type Html, html } from './html.js'
import { heading, page } from './layout.js'
import type { LiveSpec } from './live.js'
import { exitText } from './run-table.js'

/** How far back the page looks for the retries of a run (they follow it closely). */
const RETRY_LOOKUP = 100

export function isActive(run: Run): boolean {
  return run.status === 'queued' || run.status === 'running'
}

export async function runPage(board: Board, run: Run): Promise<Html> {
  const active = isActive(run)
  // While it runs, the live stream sends the output from its start; once it has ended, the
  // page holds all of it.
  const output = active ? '' : await board.tasse.readRunLog(run.id)
  const body = html`${heading(html`Run <code>${run.id}</code>`, html`<a href="/runs/${run.id}/output.txt" download role="button" class="secondary outline">Download output</a>`)}
${await facts(board, run)}
<section aria-labelledby="output-heading">
<h2 id="output-heading">Output</h2>
<pre id="output" class="output" tabindex="0" aria-live="off">${output}</pre>
${!active && output === '' ? html`<p class="muted" id="output-empty">No output.</p>` : ''}
</section>`
  return page({
    title: `Run ${run.id} of ${run.task}`,
    section: 'runs',
    body,
    assets: board.assets,
    ...(active ? { live: `/live/runs/${run.id}` } : {}),
    signOut: board.secured,
  })
}

/** Everything recorded about the run (`id="run-facts"`), and cancel while it is active. */
export async function facts(board: Board, run: Run): Promise<Html> {
  const first = run.retryOf ?? run.id
  const { runs } = await board.tasse.listRuns({ task: run.task, limit: RETRY_LOOKUP })
  const attempts = runs.filter((other) => other.id === first || other.retryOf === first).reverse()
  const params = Object.entries(run.params)
  return html`<div id="run-facts">
<dl class="facts">
<dt>Task</dt><dd><a href="/tasks/${run.task}">${run.task}</a></dd>
<dt>Status</dt><dd id="run-status">${statusBadge(run.status)}${run.error ? html`<br><small class="error-text">${run.error}</small>` : ''}</dd>
<dt>Reason</dt><dd>${run.reason}${run.scheduledAt !== null ? html` for ${localTime(Math.floor(run.scheduledAt / 1000))}` : ''}</dd>
<dt>Parameters</dt><dd>${params.length ? html`<ul class="params-list">${params.map(([name, value]) => html`<li><code>${name}</code> = <code>${value}</code></li>`)}</ul>` : 'none'}</dd>
<dt>Queued</dt><dd>${localTime(run.queuedAt)}</dd>
<dt>Started</dt><dd>${run.startedAt === null ? '–' : localTime(run.startedAt)}</dd>
<dt>Ended</dt><dd>${run.endedAt === null ? '–' : localTime(run.endedAt)}</dd>
<dt>Duration</dt><dd>${runDuration(run) || '–'}</dd>
<dt>Exit</dt><dd>${run.signal ? html`signal ${run.signal}` : run.exitCode !== null ? html`code ${exitText(run)}` : '–'}</dd>
<dt>Used</dt><dd id="run-usage">${usageText(run)}</dd>
<dt>Host</dt><dd>${run.hostId === null ? '–' : run.hostId === board.tasse.membership.hostId ? html`<code>${run.hostId}</code> (this host)` : html`<code>${run.hostId}</code>`}</dd>
<dt>Attempt</dt><dd>${run.attempt}${
    attempts.length > 1
      ? html` <small>(attempts: ${attempts.map((a) => (a.id === run.id ? html`<strong>#${a.attempt}</strong> ` : html`<a href="/runs/${a.id}">#${a.attempt} ${a.status}</a> `))})</small>`
      : ''
  }${run.retryOf ? html`<br><small>a retry of <a href="/runs/${run.retryOf}"><code>${run.retryOf}</code></a></small>` : ''}</dd>
</dl>
${
  isActive(run)
    ? html`<form method="post" action="/runs/${run.id}/cancel" class="inline" id="cancel-form"><button type="submit" class="contrast">Cancel run</button></form>`
    : ''
}
</div>`
}

/** The output from the start, then to the end; the facts follow the run and its retries. */
export function runLive(board: Board, run: Run): LiveSpec {
  const first = run.retryOf ?? run.id
  return {
    stale(event) {
      if (event.kind !== 'run') return undefined
      const other = event.run
      return other.id === run.id || other.retryOf === first ? 'facts' : undefined
    },
    async render() {
      const current = (await board.tasse.getRun(run.id)) ?? run
      return [{ event: 'swap', data: { id: 'run-facts', html: await facts(board, current) } }]
    },
    async follow(send, signal) {
      await send({ event: 'reset', data: {} })
      for await (const text of await board.tasse.followRunLog(run.id, signal))
        await send({ event: 'output', data: { text } })
      const ended = (await board.tasse.getRun(run.id)) ?? run
      await send({ event: 'swap', data: { id: 'run-facts', html: await facts(board, ended) } })
    },
  }
}

/** `peak memory 64 MiB · CPU 1.20 s user, 0.05 s system · output 3 KiB`, or `–`. */
function usageText(run: Run): string {
  const parts: string[] = []
  if (run.peakMemoryBytes !== null) parts.push(`peak memory ${formatBytes(run.peakMemoryBytes)}`)
  if (run.cpuUserSeconds !== null || run.cpuSystemSeconds !== null)
    parts.push(
      `CPU ${(run.cpuUserSeconds ?? 0).toFixed(2)} s user, ${(run.cpuSystemSeconds ?? 0).toFixed(2)} s system`,
    )
  if (run.outputBytes !== null) parts.push(`output ${formatBytes(run.outputBytes)}`)
  return parts.length ? parts.join(' · ') : '–'
}
