/**
 * `/sign-in`: where the API needs a token, the dashboard asks for one once and keeps a session
 * instead (`session.ts`). The token is posted in a form body, compared in constant time, and
 * never written back: not in the page, a URL, the cookie or the log.
 */
import type { Board } from './board.js'
import { type Html, html } from './html.js'
import { page } from './layout.js'

export function signInPage(board: Board, options: { next: string; error?: string }): Html {
  const body = html`<article class="sign-in">
<h1>Sign in</h1>
<p>This host needs a token: one from <code>TASSE_TOKEN</code>, the tokens file, or <code>data/.tasse/token</code>.</p>
${options.error ? html`<p class="alert" role="alert" id="sign-in-error">${options.error}</p>` : ''}
<form method="post" action="/sign-in">
<input type="hidden" name="next" value="${options.next}">
<label for="token">Token
<input id="token" name="token" type="password" required autocomplete="current-password" autofocus${options.error ? html` aria-invalid="true" aria-describedby="sign-in-error"` : ''}>
</label>
<button type="submit">Sign in</button>
</form>
</article>`
  return page({ title: 'Sign in', section: 'none', body, assets: board.assets })
}

/** Where to go after signing in: a path on this host only (never `//elsewhere`). */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !/^\/(?![/\\])[^\s]*$/.test(next)) return '/'
  return next
}
