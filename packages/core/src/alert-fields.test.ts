// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is task.yaml's own syntax here
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_ALERT_EVENTS,
  DEFAULT_RATE_LIMIT_MS,
  expandReferences,
  readExpect,
  readNotify,
  readNotifyFile,
  readOnFailure,
} from './alert-fields.js'
import { loadTask } from './task-loader.js'

const at = (field: string) => ({ file: 'tasks/x/task.yaml', field })

describe('readNotify', () => {
  it("reads the issue's example as written", () => {
    const targets = readNotify(
      [
        {
          type: 'webhook',
          url: 'https://example.com/hooks/tasse',
          events: ['failed', 'recovered', 'overdue', 'paused'],
          secret_env: 'TASSE_HOOK_SECRET',
        },
        { type: 'healthchecks', url: 'https://hc-ping.com/0f4c' },
      ],
      at('notify'),
    )
    expect(targets).toEqual([
      {
        type: 'webhook',
        url: 'https://example.com/hooks/tasse',
        events: ['failed', 'recovered', 'overdue', 'paused'],
        headers: {},
        secretEnv: 'TASSE_HOOK_SECRET',
        rateLimitMs: DEFAULT_RATE_LIMIT_MS,
      },
      {
        type: 'healthchecks',
        url: 'https://hc-ping.com/0f4c',
        events: [],
        headers: {},
        secretEnv: null,
        rateLimitMs: 0,
      },
    ])
  })

  it('defaults the events, reads headers, a rate limit, and a URL from the environment', () => {
    const [slack, hook] = readNotify(
      [
        { type: 'slack', url: '${TASSE_SLACK_URL}', rate_limit: '1h' },
        {
          type: 'webhook',
          url: 'https://x.test/',
          headers: { Authorization: 'Bearer ${TASSE_T}' },
          rate_limit: 0,
        },
      ],
      at('notify'),
    ) as NonNullable<ReturnType<typeof readNotify>>
    expect(slack).toMatchObject({ events: DEFAULT_ALERT_EVENTS, rateLimitMs: 3_600_000 })
    expect(hook).toMatchObject({ headers: { Authorization: 'Bearer ${TASSE_T}' }, rateLimitMs: 0 })
    expect(readNotify(undefined, at('notify'))).toBeNull()
    expect(readNotify([], at('notify'))).toEqual([])
  })

  it.each([
    ['a mapping', { type: 'webhook' }, 'notify must be a list of targets'],
    [
      'an unknown type',
      [{ type: 'email', url: 'x' }],
      'notify[0].type must be one of webhook, slack, healthchecks, got "email"',
    ],
    ['no url', [{ type: 'slack' }], 'notify[0].url must be an http:// or https:// URL'],
    [
      'another scheme',
      [{ type: 'slack', url: 'ftp://x' }],
      'notify[0].url must be an http:// or https:// URL',
    ],
    [
      'a bad reference',
      [{ type: 'slack', url: 'https://x/${A-B}' }],
      'notify[0].url refers to ${A-B}',
    ],
    [
      'a typo in an event',
      [{ type: 'slack', url: 'https://x', events: ['faild'] }],
      'notify[0].events[0] is not a known event (did you mean "failed"?)',
    ],
    [
      'events on healthchecks',
      [{ type: 'healthchecks', url: 'https://x', events: ['failed'] }],
      'notify[0].events is not a known option of a healthchecks target; expected one of: type, url, headers',
    ],
    [
      'a variable tasks would get',
      [{ type: 'webhook', url: 'https://x', secret_env: 'HOOK_SECRET' }],
      'notify[0].secret_env names the environment variable HOOK_SECRET: use one whose name starts with TASSE_ (e.g. TASSE_HOOK_SECRET)',
    ],
    [
      'a header from a variable tasks would get',
      [{ type: 'slack', url: 'https://x/${SLACK_PATH}' }],
      'notify[0].url names the environment variable SLACK_PATH: use one whose name starts with TASSE_',
    ],
    [
      'a secret in secret_env',
      [{ type: 'webhook', url: 'https://x', secret_env: 'hunter2 is my secret' }],
      'notify[0].secret_env must be the name of an environment variable',
    ],
    [
      'a bad header name',
      [{ type: 'webhook', url: 'https://x', headers: { 'a b': 'c' } }],
      'notify[0].headers.a b is not a valid HTTP header name',
    ],
    [
      'a bad rate limit',
      [{ type: 'webhook', url: 'https://x', rate_limit: 'often' }],
      'notify[0].rate_limit must be a duration',
    ],
  ])('refuses %s, naming the key', (_, value, message) => {
    expect(() => readNotify(value, at('notify'))).toThrow(`tasks/x/task.yaml: ${message}`)
  })
})

describe('readExpect and readOnFailure', () => {
  it('read durations and counts', () => {
    expect(readExpect({ start_within: '5m', finish_within: '2h' }, at('expect'))).toEqual({
      startWithinMs: 300_000,
      finishWithinMs: 7_200_000,
    })
    expect(readExpect({ start_within: 3 }, at('expect'))).toEqual({
      startWithinMs: 3000,
      finishWithinMs: null,
    })
    expect(readOnFailure({ pause_after: 5, resume_after: '1h' }, at('on_failure'))).toEqual({
      pauseAfter: 5,
      resumeAfterMs: 3_600_000,
    })
    expect(readOnFailure({ pause_after: 3 }, at('on_failure'))).toEqual({
      pauseAfter: 3,
      resumeAfterMs: null,
    })
  })

  it.each([
    [() => readExpect({}, at('expect')), 'expect must set start_within, finish_within or both'],
    [
      () => readExpect({ start_whithin: '5m' }, at('expect')),
      'expect.start_whithin is not a known option (did you mean "start_within"?)',
    ],
    [() => readExpect('5m', at('expect')), 'expect must be a mapping such as'],
    [
      () => readOnFailure({ pause_after: 0 }, at('on_failure')),
      'on_failure.pause_after must be a whole number of consecutive failed runs, 1 or more, got 0',
    ],
    [
      () => readOnFailure({ pause_after: 2, resume_after: 'soon' }, at('on_failure')),
      'on_failure.resume_after must be a duration',
    ],
  ])('refuse mistakes, naming the key (%#)', (read, message) => {
    expect(read).toThrow(`tasks/x/task.yaml: ${message}`)
  })
})

describe('expandReferences', () => {
  it('reads ${NAME} from the environment, and names a missing variable without a value', () => {
    expect(expandReferences('Bearer ${T}', { T: 'abc' })).toBe('Bearer abc')
    expect(() => expandReferences('${NOPE}', {})).toThrow(
      'the environment variable NOPE is not set',
    )
  })
})

describe('readNotifyFile', () => {
  it('reads the host default from a YAML file, and names the file and key of a mistake', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tasse-notify-'))
    try {
      const file = join(dir, 'notify.yaml')
      writeFileSync(file, 'notify:\n  - {type: slack, url: "${TASSE_SLACK_URL}"}\n')
      expect(readNotifyFile(file, 'notify.yaml')).toMatchObject([{ type: 'slack' }])
      writeFileSync(file, 'notfy: []\n')
      expect(() => readNotifyFile(file, 'notify.yaml')).toThrow(
        'notify.yaml: notfy is not a known option (did you mean "notify"?)',
      )
      expect(() => readNotifyFile(join(dir, 'nope.yaml'), 'nope.yaml')).toThrow(
        'nope.yaml does not exist',
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe("the issue's task.yaml", () => {
  it('loads as written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tasse-alerts-'))
    try {
      writeFileSync(join(dir, 'task.sh'), 'echo hi\n')
      writeFileSync(
        join(dir, 'task.yaml'),
        [
          'notify:',
          '  - type: webhook',
          '    url: https://example.com/hooks/tasse',
          '    events: [failed, recovered, overdue, paused]',
          '    secret_env: TASSE_HOOK_SECRET      # HMAC-SHA256 signature header',
          '  - type: healthchecks',
          '    url: https://hc-ping.com/0f4c…     # start / success / fail pings',
          'expect: {start_within: 5m, finish_within: 2h}',
          'on_failure: {pause_after: 5, resume_after: 1h}',
          '',
        ].join('\n'),
      )
      const task = loadTask(dir, { factories: new Map(), defaultTimezone: 'UTC' })
      expect(task.notify?.map((target) => target.type)).toEqual(['webhook', 'healthchecks'])
      expect(task.expect).toEqual({ startWithinMs: 300_000, finishWithinMs: 7_200_000 })
      expect(task.onFailure).toEqual({ pauseAfter: 5, resumeAfterMs: 3_600_000 })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
