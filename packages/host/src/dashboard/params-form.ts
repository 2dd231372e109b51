/**
 * The form that starts a run, built from the task's `params:`: a select for an `enum`, a text
 * field otherwise, `required` and `pattern` for the browser to check first. The server checks
 * again (core's `validateParams`, the same rules as the API) and shows its refusal next to the
 * field at fault, with what was typed kept.
 */
import type { ParamDefinition, TaskDefinition } from '@tasse/core'
import { type Html, html } from './html.js'

export interface ParamsFormState {
  /** What was typed, by parameter name. */
  values?: Readonly<Record<string, string>>
  /** The server's refusal, by parameter name. */
  errors?: Readonly<Record<string, string>>
  /** A refusal that is about no one field. */
  error?: string | undefined
}

export function paramsForm(task: TaskDefinition, state: ParamsFormState = {}): Html {
  const fields = task.params.map((param) =>
    field(param, state.values?.[param.name], state.errors?.[param.name]),
  )
  return html`<form method="post" action="/tasks/${task.name}/runs" class="params" id="run-form" data-check-fields>
${state.error ? html`<p class="alert" role="alert">${state.error}</p>` : ''}
${fields}
<button type="submit">Run now</button>
</form>`
}

function field(param: ParamDefinition, value: string | undefined, error: string | undefined): Html {
  const id = `param-${param.name}`
  const errorId = `${id}-error`
  const hint = [
    param.description,
    param.default !== undefined ? `default: ${param.default}` : undefined,
    param.pattern ? `pattern: ${param.pattern}` : undefined,
  ]
    .filter(Boolean)
    .join(' · ')
  const common = html` id="${id}" name="${param.name}" aria-describedby="${id}-hint ${errorId}"${param.required ? html` required` : ''}${error ? html` aria-invalid="true"` : ''}`
  let control: Html
  if (param.enum) {
    const selected = value ?? param.default ?? ''
    const empty =
      param.required && param.default === undefined
        ? html`<option value="">choose…</option>`
        : param.required
          ? ''
          : html`<option value="">(default${param.default !== undefined ? `: ${param.default}` : ''})</option>`
    control = html`<select${common}>${empty}${param.enum.map(
      (option) => html`<option${option === selected ? html` selected` : ''}>${option}</option>`,
    )}</select>`
  } else {
    const pattern = browserPattern(param.pattern)
    control = html`<input type="text"${common} value="${value ?? ''}"${param.default !== undefined ? html` placeholder="${param.default}"` : ''}${pattern !== undefined ? html` pattern="${pattern}"` : ''} autocomplete="off">`
  }
  return html`<label for="${id}">${param.name}${param.required ? html` <span class="muted">(required)</span>` : ''}
${control}
<small id="${id}-hint" class="muted">${hint}</small>
<small id="${errorId}" class="field-error" aria-live="polite">${error ?? ''}</small>
</label>`
}

/**
 * The pattern as the browser's `pattern` attribute, or `undefined` when the browser cannot read
 * it: browsers compile it with the `v` flag, stricter than core's `u` (e.g. `[a-z-]`), and
 * ignore a pattern that fails. The server still checks it either way.
 */
export function browserPattern(pattern: string | undefined): string | undefined {
  if (pattern === undefined) return undefined
  try {
    new RegExp(`^(?:${pattern})$`, 'v')
    return pattern
  } catch {
    return undefined
  }
}

/**
 * The parameters a submitted form asks for: the declared ones only, empty fields left out (so
 * the task's default applies, as when the API is sent no value).
 */
export function readParams(
  task: TaskDefinition,
  form: Readonly<Record<string, unknown>>,
): Record<string, string> {
  // Own fields only, as entries: `constructor` and `__proto__` are parameter names too.
  const params: [string, string][] = []
  for (const param of task.params) {
    const value = Object.hasOwn(form, param.name) ? form[param.name] : undefined
    if (typeof value === 'string' && value !== '') params.push([param.name, value])
  }
  return Object.fromEntries(params)
}
