/**
 * The dashboard's one way to write HTML: hono's `html` tagged template, which escapes every
 * interpolated string (task names, output, errors all come from files a user wrote) and leaves
 * nested templates as they are. Views are synchronous, so a Promise reaching a template is a bug.
 */
import { html as honoHtml, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

export type Html = HtmlEscapedString

/**
 * @example
 * html`<td>${task.name}</td>` // `<td>a&lt;b</td>` for a task named `a<b`
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  const out = honoHtml(strings, ...values)
  if (out instanceof Promise)
    throw new TypeError('dashboard views are synchronous: a Promise reached an html`` template')
  return out
}

export { raw }
