/**
 * The page shell every dashboard page shares: one stylesheet, one script, the navigation, and
 * the `data-live` URL of the page's one event stream. Light and dark follow the system setting
 * (Pico reads `prefers-color-scheme`; `color-scheme` tells the browser's own controls too).
 */
import type { DashboardAssets } from './assets.js'
import { type Html, html } from './html.js'

export type Section = 'tasks' | 'runs' | 'host' | 'none'

export interface PageOptions {
  title: string
  section: Section
  body: Html
  assets: DashboardAssets
  /** The page's event stream (`/live/…`); none: a page that does not change on its own. */
  live?: string
  /** Whether a sign-out button shows (the host needs a token). */
  signOut?: boolean
}

const SECTIONS = [
  ['tasks', '/', 'Tasks'],
  ['runs', '/runs', 'Runs'],
  ['host', '/host', 'Host'],
] as const

export function page(options: PageOptions): Html {
  const { assets } = options
  const nav = SECTIONS.map(
    ([section, href, label]) =>
      html`<li><a href="${href}"${section === options.section ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="data:,">
<title>${options.title} · Tasse</title>
<link rel="stylesheet" href="${assets.styleUrl}">
<script type="module" src="${assets.scriptUrl}"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="container">
<nav aria-label="Sections">
<ul><li><a href="/" class="brand"><strong>Tasse</strong></a></li></ul>
<ul>${nav}${
    options.signOut
      ? html`<li><form method="post" action="/sign-out" class="inline"><button type="submit" class="secondary outline">Sign out</button></form></li>`
      : ''
  }</ul>
</nav>
</header>
<main class="container" id="main"${options.live ? html` data-live="${options.live}"` : ''}>
${options.body}
</main>
<footer class="container"><small id="live-state" role="status" class="muted"></small></footer>
</body>
</html>`
}

/** A page's heading row: a title and, on the right, its actions. */
export function heading(title: Html | string, actions: Html | string = ''): Html {
  return html`<div class="heading"><h1>${title}</h1><div class="actions">${actions}</div></div>`
}

/** An alert box (`role="alert"`: read out as it appears). */
export function alertBox(message: string): Html {
  return html`<p class="alert" role="alert">${message}</p>`
}
