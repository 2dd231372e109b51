/**
 * Small pieces every page shows the same way: a run's status (a symbol and the word, never
 * colour alone), durations, and times (`<time>` elements that the page's script turns into the
 * reader's local time and "in 4 min"; without the script they read as UTC).
 */
import type { Run, RunStatus } from '@tasse/core'
import { type Html, html, raw } from './html.js'

/** A symbol per status, so the strip of past runs reads without colour. */
export const STATUS_SYMBOL: Readonly<Record<RunStatus, string>> = {
  queued: '…',
  running: '▶',
  succeeded: '✓',
  failed: '✗',
  timed_out: '⏱',
  cancelled: '⊘',
  interrupted: '!',
  skipped: '↷',
  missed: '–',
}

export function statusBadge(status: RunStatus): Html {
  return html`<span class="status status-${status}">${STATUS_SYMBOL[status]} ${status.replace('_', ' ')}</span>`
}

/**
 * A duration for people: `0.4 s`, `12 s`, `3 min 2 s`, `1 h 5 min`.
 *
 * @example
 * formatDuration(185_000) // '3 min 5 s'
 */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`
  const seconds = Math.round(ms / 1000)
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`
  return `${Math.floor(hours / 24)} d${hours % 24 ? ` ${hours % 24} h` : ''}`
}

/** How long a run took (or has been running), or an empty string before it started. */
export function runDuration(run: Run, now = Date.now()): string {
  if (run.startedAt === null) return ''
  return formatDuration((run.endedAt ?? now) - run.startedAt)
}

/**
 * An instant the reader sees in their own zone (the script rewrites it), with a relative
 * "3 min ago" beside it. Server-side text: UTC.
 */
export function localTime(ms: number | null): Html {
  if (ms === null) return html``
  const iso = new Date(ms).toISOString()
  return html`<time datetime="${iso}" data-local>${iso.slice(0, 19).replace('T', ' ')}Z</time> <small class="rel" data-rel="${iso}"></small>`
}

/**
 * A fire time as the trigger's zone reads it (ISO with its real offset, e.g.
 * `2026-03-29T03:00:00+02:00`), left as it is, with the relative time beside it.
 */
export function zonedTime(iso: string, zone: string): Html {
  // Fractions of a second (an interval's start) are noise on a page; the attribute keeps them.
  const text = iso.replace('T', ' ').replace(/\.\d+/, '')
  return html`<time datetime="${iso}" title="${zone}">${text}</time> <small class="rel" data-rel="${iso}"></small>`
}

/**
 * The strip of a task's last runs (newest on the right): a symbol per run, coloured by status,
 * with a summary in words for screen readers and as a tooltip. Built as plain text: with 1,000
 * tasks it is most of the task list, and statuses are core's fixed words (nothing to escape).
 */
export function runStrip(runs: readonly Run[]): Html {
  if (runs.length === 0) return html`<span class="muted">no runs yet</span>`
  const counts = new Map<RunStatus, number>()
  let cells = ''
  for (let i = runs.length - 1; i >= 0; i--) {
    const status = (runs[i] as Run).status
    counts.set(status, (counts.get(status) ?? 0) + 1)
    cells += `<i class="status-${status}">${STATUS_SYMBOL[status]}</i>`
  }
  const summary = [...counts].map(([status, n]) => `${n} ${status.replace('_', ' ')}`).join(', ')
  const label = `last ${runs.length} runs: ${summary}`
  return html`<span class="strip" role="img" aria-label="${label}" title="${label}">${raw(cells)}</span>`
}
