// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is task.yaml's own syntax here
import { createHmac } from 'node:crypto'
import type { NotifyTarget } from '@tasse/core'
import { describe, expect, it } from 'vitest'
import {
  type AlertMessage,
  pingUrl,
  prepareRequest,
  SIGNATURE_HEADER,
  slackMessage,
} from './payloads.js'

const message: AlertMessage = {
  id: '01delivery',
  event: 'failed',
  time: '2026-01-30T12:00:00.000+00:00',
  reason: 'run 01r failed: exit code 3',
  task: { name: 'backup', link: 'http://tasse.test/tasks/backup' },
  run: null,
  output: ['<b>disk full</b>'],
}

const target = (overrides: Partial<NotifyTarget>): NotifyTarget => ({
  type: 'webhook',
  url: 'https://hooks.test/tasse',
  events: ['failed'],
  headers: {},
  secretEnv: null,
  rateLimitMs: 0,
  ...overrides,
})

describe('prepareRequest', () => {
  it('signs the exact body with HMAC-SHA256 and reads header values from the environment', () => {
    const env = { SECRET: 's3cret', TOKEN: 'tok' }
    const { request, secrets } = prepareRequest(
      target({ secretEnv: 'SECRET', headers: { Authorization: 'Bearer ${TOKEN}' } }),
      message,
      env,
    )
    expect(JSON.parse(request.body)).toEqual(message)
    const expected = createHmac('sha256', 's3cret').update(request.body).digest('hex')
    expect(request.headers[SIGNATURE_HEADER]).toBe(`sha256=${expected}`)
    expect(request.headers).toMatchObject({
      Authorization: 'Bearer tok',
      'Content-Type': 'application/json',
      'X-Tasse-Event': 'failed',
      'X-Tasse-Delivery': '01delivery',
    })
    expect(secrets.sort()).toEqual(['s3cret', 'tok'])
  })

  it('names a missing variable, never a value', () => {
    expect(() => prepareRequest(target({ secretEnv: 'NOPE' }), message, {})).toThrow(
      'the environment variable NOPE (secret_env) is not set',
    )
    expect(() => prepareRequest(target({ url: '${HOOK_URL}' }), message, {})).toThrow(
      'the environment variable HOOK_URL is not set',
    )
  })

  it('pings healthchecks with the reason and output as the body', () => {
    const { request } = prepareRequest(
      target({ type: 'healthchecks', url: 'https://hc-ping.com/${CHECK}' }),
      { ...message, event: 'fail' },
      { CHECK: 'uuid' },
    )
    expect(request.url).toBe('https://hc-ping.com/uuid/fail')
    expect(request.body).toBe('run 01r failed: exit code 3\n<b>disk full</b>')
  })
})

describe('pingUrl', () => {
  it.each([
    ['start', 'https://hc-ping.com/abc/start'],
    ['success', 'https://hc-ping.com/abc'],
    ['fail', 'https://hc-ping.com/abc/fail'],
  ] as const)('%s → %s', (ping, url) => {
    expect(pingUrl('https://hc-ping.com/abc/', ping)).toBe(url)
  })
})

describe('slackMessage', () => {
  it('is one text with the task, the reason, links and escaped output', () => {
    expect(slackMessage(message).text).toBe(
      [
        ':red_circle: *backup* failed: run 01r failed: exit code 3',
        '<http://tasse.test/tasks/backup|task>',
        '```&lt;b&gt;disk full&lt;/b&gt;```',
      ].join('\n'),
    )
  })
})
