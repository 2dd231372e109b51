/**
 * What each kind of target receives: a webhook's documented JSON body (signed with HMAC-SHA256
 * when it has a secret), a Slack-compatible message, or a healthchecks.io ping. Secrets are read
 * from the environment here, at the last moment, and go nowhere but into the request.
 */
import { createHmac } from 'node:crypto'
import type { AlertEvent, NotifyTarget } from '@tasse/core'
import { ENV_REFERENCE, expandReferences } from '@tasse/core'
import type { RunView } from '../api/views.js'
import type { OutgoingRequest } from './send.js'

/** The healthchecks.io pings: `<url>/start`, `<url>` (success) and `<url>/fail`. */
export type Ping = 'start' | 'success' | 'fail'

/** One alert, as every target kind is told it. */
export interface AlertMessage {
  /** The delivery's id (also the `X-Tasse-Delivery` header): a receiver can drop repeats. */
  id: string
  event: AlertEvent | Ping
  /** ISO-8601, when it happened. */
  time: string
  reason: string
  task: { name: string; link: string }
  run: (RunView & { link: string }) | null
  /** The last lines of the run's output (at most `OUTPUT_LINES`). */
  output: string[]
}

/** Lines of output an alert carries. */
export const OUTPUT_LINES = 20
/** The header carrying `sha256=<hex HMAC-SHA256 of the body>`, as GitHub's `X-Hub-Signature-256`. */
export const SIGNATURE_HEADER = 'X-Tasse-Signature-256'

/** A request ready to send, and what must never be shown of it. */
export interface PreparedRequest {
  request: OutgoingRequest
  /** The values read from the environment (secrets), to take out of any message. */
  secrets: string[]
}

/**
 * The request telling `target` about `message`. Throws, naming the variable and never a value,
 * when a `${NAME}` or `secret_env` is not set.
 */
export function prepareRequest(
  target: NotifyTarget,
  message: AlertMessage,
  env: NodeJS.ProcessEnv,
): PreparedRequest {
  const secrets = referencedValues(target, env)
  const headers: Record<string, string> = {
    'User-Agent': 'tasse',
    'X-Tasse-Event': message.event,
    'X-Tasse-Delivery': message.id,
  }
  for (const [name, value] of Object.entries(target.headers))
    headers[name] = expandReferences(value, env)
  let url = expandReferences(target.url, env)
  let body: string
  if (target.type === 'healthchecks') {
    url = pingUrl(url, message.event as Ping)
    headers['Content-Type'] = 'text/plain; charset=utf-8'
    body = [message.reason, ...message.output].join('\n')
  } else {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(target.type === 'slack' ? slackMessage(message) : message)
  }
  if (target.secretEnv) {
    const secret = env[target.secretEnv]
    if (secret === undefined || secret === '')
      throw new Error(`the environment variable ${target.secretEnv} (secret_env) is not set`)
    secrets.push(secret)
    headers[SIGNATURE_HEADER] = signature(secret, body)
  }
  return { request: { method: 'POST', url, headers, body }, secrets }
}

/**
 * `sha256=<hex>`: the HMAC-SHA256 of the exact body bytes under `secret`. A receiver computes
 * the same over the body it read and compares in constant time.
 *
 * @example
 * signature('s3cret', '{"event":"failed"}') // 'sha256=…'
 */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`
}

/** healthchecks.io's protocol: `/start` when a run starts, the URL itself on success, `/fail`. */
export function pingUrl(base: string, ping: Ping): string {
  const url = new URL(base)
  const path = url.pathname.replace(/\/+$/, '')
  url.pathname = ping === 'success' ? path : `${path}/${ping}`
  return url.toString()
}

const SLACK_ICONS: Record<string, string> = {
  failed: ':red_circle:',
  fail: ':red_circle:',
  overdue: ':hourglass:',
  missed: ':warning:',
  paused: ':double_vertical_bar:',
  recovered: ':large_green_circle:',
  succeeded: ':white_check_mark:',
}

/** A Slack incoming-webhook message (also what Mattermost and Rocket.Chat accept). */
export function slackMessage(message: AlertMessage): { text: string } {
  const icon = SLACK_ICONS[message.event] ?? ':information_source:'
  const run = message.run ? ` · <${message.run.link}|run ${message.run.id}>` : ''
  const lines = [
    `${icon} *${slackEscape(message.task.name)}* ${message.event}: ${slackEscape(message.reason)}`,
    `<${message.task.link}|task>${run}`,
  ]
  if (message.output.length) lines.push(`\`\`\`${slackEscape(message.output.join('\n'))}\`\`\``)
  return { text: lines.join('\n') }
}

/** Slack's three reserved characters. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function referencedValues(target: NotifyTarget, env: NodeJS.ProcessEnv): string[] {
  const values: string[] = []
  for (const text of [target.url, ...Object.values(target.headers)])
    for (const [, name] of text.matchAll(ENV_REFERENCE)) {
      const value = env[name as string]
      if (value) values.push(value)
    }
  return values
}
