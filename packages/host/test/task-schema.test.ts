// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is task.yaml's own syntax here
/**
 * task.yaml's JSON Schema against the readers it is composed from (issue #18, item 4): the
 * committed schema/task.json is what the code makes; every example task.yaml of the repository
 * (data/, the tests' fixtures, the READMEs' snippets) gets the same verdict from the schema as
 * from `inspectTask`, or a looser one; and on a generated set of good and bad documents, the
 * schema (through ajv, an implementation of its own) and the readers agree exactly. The host
 * serves it without a token, with a plugin's trigger schema composed in.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import {
  inspectTask,
  parseTaskYaml,
  registerPlugins,
  type TriggerFactory,
  taskYamlSchema,
} from '@tasse/core'
import { optionError, triggerPlugin } from '@tasse/core/plugin-kit'
import { type RunningHost, readConfig, startHost } from '@tasse/host'
import { seededRandom } from '@tasse/test-support'
import { Ajv } from 'ajv'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { DEFAULT_URL } from '../src/client.js'
import { builtinTaskSchema } from '../src/commands/schema.js'
import { builtinPlugins } from '../src/plugins.js'
import { memoryLogger } from './api-fixtures.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const folders: string[] = []
let host: RunningHost | undefined
afterEach(async () => {
  await host?.close()
  host = undefined
})
afterAll(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A plugin trigger without a schema, as core's fixtures use: `trigger: every` with `ms`. */
const everyFactory: TriggerFactory = {
  type: 'every',
  options: ['ms'],
  create(options, context) {
    if (typeof options.ms !== 'number' || !(options.ms > 0))
      optionError({ context, tag: 'test-every' }, 'ms', 'must be a positive number')
    return { type: 'every', timezone: 'UTC', describe: () => 'every', nextFireTime: () => null }
  },
}

const builtin = registerPlugins(builtinPlugins('.')).triggerFactories()
const withEvery = new Map([...builtin, ['every', everyFactory]])

/** ajv in strict mode: a keyword it does not know, or a mistyped one, is an error. */
function compile(schema: unknown) {
  return new Ajv({ strict: true, allowUnionTypes: true, allErrors: true }).compile(schema as object)
}

function taskFolder(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tasse-schema-'))
  folders.push(dir)
  const task = join(dir, 'probe')
  mkdirSync(task)
  writeFileSync(join(task, 'task.sh'), 'echo hi\n')
  writeFileSync(join(task, 'task.py'), 'print("hi")\n')
  writeFileSync(join(task, 'task.yaml'), yaml)
  return task
}

describe('task.yaml JSON Schema', () => {
  it('schema/task.json is what `tasse schema` makes (regenerate with npm run schema)', () => {
    const committed = JSON.parse(readFileSync(join(ROOT, 'schema', 'task.json'), 'utf8'))
    expect(committed).toEqual(builtinTaskSchema())
    expect(compile(committed)).toBeTypeOf('function')
  })

  it('gives every example task.yaml of the repository the readers’ verdict, or a looser one', () => {
    const validate = compile(taskYamlSchema(withEvery))
    const examples = taskYamls(join(ROOT, 'data')).concat(
      ...readdirSync(join(ROOT, 'packages')).map((p) =>
        taskYamls(join(ROOT, 'packages', p, 'test', 'fixtures')),
      ),
    )
    expect(examples.length).toBeGreaterThan(25)
    const verdicts: Record<string, { schema: boolean; readers: boolean }> = {}
    for (const file of examples) {
      const dir = join(file, '..')
      const { problems } = inspectTask(dir, { factories: withEvery, defaultTimezone: 'UTC' })
      // Only task.yaml's own problems: an entrypoint that is missing is the folder's.
      const yamlProblems = problems.filter((p) => p.file.endsWith('task.yaml') && p.field !== '')
      let document: unknown
      try {
        document = parseTaskYaml(readFileSync(file, 'utf8'), file)
      } catch {
        continue // not YAML at all: no schema applies (bad-yaml is the readers' to report)
      }
      verdicts[relative(ROOT, file)] = {
        schema: validate(document),
        readers: yamlProblems.length === 0,
      }
    }
    for (const [file, verdict] of Object.entries(verdicts))
      if (verdict.readers)
        expect(verdict.schema, `${file}: the schema is never stricter`).toBe(true)
    expect(verdicts['data/tasks/helloworld/task.yaml']).toEqual({ schema: true, readers: true })
    // The broken fixtures: a misspelt key and an unknown trigger, refused by both.
    for (const broken of ['typo-key', 'unknown-trigger'])
      expect(verdicts[`packages/core/test/fixtures/discovery/${broken}/task.yaml`]).toEqual({
        schema: false,
        readers: false,
      })
  })

  it('accepts the task.yaml snippets of the READMEs', () => {
    const validate = compile(builtinTaskSchema())
    const snippets = readmes().flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)]
        .map((m) => ({ file: relative(ROOT, file), yaml: m[1] as string }))
        // The host's own configuration file is YAML too, and not a task.
        .filter(({ yaml }) => !yaml.startsWith('# data/tasse.yaml')),
    )
    expect(snippets.length).toBeGreaterThanOrEqual(6)
    for (const { file, yaml } of snippets) {
      const document = parseTaskYaml(yaml, file)
      expect(validate(document), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true)
      const { problems } = inspectTask(taskFolder(yaml), {
        factories: builtin,
        defaultTimezone: 'UTC',
      })
      expect(problems.map((p) => p.message)).toEqual([])
    }
  })

  it('agrees with the readers on a generated set of good and bad documents', () => {
    const validate = compile(builtinTaskSchema())
    const random = seededRandom(18)
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
    const keys = Object.keys(VALUES) as (keyof typeof VALUES)[]
    const disagreements: string[] = []
    let good = 0
    let bad = 0
    for (let i = 0; i < 400; i++) {
      const document: Record<string, unknown> = {}
      // Half the documents hold a mistake or more: with a mistake per key at random, the more
      // keys task.yaml has, the fewer documents would be good.
      const wantBad = random() < 0.5
      let expected = true
      for (const key of keys) {
        if (random() < 0.6) continue
        const isBad = wantBad && random() < 0.3
        document[key] = pick((VALUES[key] as [unknown[], unknown[]])[isBad ? 1 : 0])
        if (isBad) expected = false
      }
      if (wantBad && expected) {
        const key = pick(keys)
        document[key] = pick((VALUES[key] as [unknown[], unknown[]])[1])
        expected = false
      }
      if (random() < 0.05) {
        document[pick(['schedulr', 'entry_point', 'Timeout'])] = 1
        expected = false
      }
      if (expected) good++
      else bad++
      // JSON is YAML: the file holds exactly the values generated.
      const { problems } = inspectTask(taskFolder(JSON.stringify(document)), {
        factories: builtin,
        defaultTimezone: 'UTC',
      })
      const schemaSays = validate(document)
      const readersSay = problems.length === 0
      if (schemaSays !== expected || readersSay !== expected)
        disagreements.push(
          `${JSON.stringify(document).slice(0, 300)}: expected ${expected}, schema ${schemaSays}, readers ${readersSay} ${problems.map((p) => p.message).join('; ')}`,
        )
    }
    expect(disagreements.slice(0, 5)).toEqual([])
    expect(good).toBeGreaterThan(50)
    expect(bad).toBeGreaterThan(50)
  })

  it('is served at /api/v1/schema/task.json without a token, with a plugin trigger’s schema', async () => {
    const data = mkdtempSync(join(tmpdir(), 'tasse-schema-host-'))
    folders.push(data)
    mkdirSync(join(data, 'tasks'))
    const hourly: TriggerFactory = {
      ...everyFactory,
      type: 'hourly',
      options: ['minute'],
      schema: { properties: { minute: { type: 'integer', minimum: 0, maximum: 59 } } },
    }
    host = await startHost(
      readConfig({ data, port: '0' }, { TASSE_TOKEN: 'schema-test-token-1234' }),
      {
        logger: memoryLogger(),
        plugins: [triggerPlugin({ name: 'test-hourly', factory: hourly })],
      },
    )
    // The line the README shows, for a host on the default address: the path it names.
    const modeline = /# yaml-language-server: \$schema=(\S+)/.exec(
      readFileSync(join(ROOT, 'README.md'), 'utf8'),
    )?.[1] as string
    expect(new URL(modeline).origin).toBe(new URL(DEFAULT_URL).origin)
    const response = await fetch(`${host.url}${new URL(modeline).pathname}`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('application/schema+json')
    const validate = compile(await response.json())
    expect(validate({ scheduler: { trigger: 'hourly', minute: 30 } })).toBe(true)
    expect(validate({ scheduler: { trigger: 'hourly', minute: 60 } })).toBe(false)
    expect(validate({ scheduler: { trigger: 'hourly', second: 1 } })).toBe(false)
    expect(validate({ scheduler: { trigger: 'cron', hour: 5 } })).toBe(true)
    expect((await fetch(`${host.url}/api/v1/tasks`)).status).toBe(401)
  })
})

/**
 * Good and bad values of each key, of the kinds the schema can tell apart (a duplicate param
 * name or a pattern RE2 refuses is only the readers' to find).
 */
const VALUES: Record<string, [good: unknown[], bad: unknown[]]> = {
  scheduler: [
    [
      null,
      { trigger: 'interval', seconds: 10 },
      { trigger: 'interval', minutes: 5, misfire_grace_time: null, coalesce: false },
      { trigger: 'interval', hours: 1.5, max_instances: 2, jitter: 0.5, timezone: 'UTC' },
      { trigger: 'cron', hour: 5, minute: '*/15' },
      { trigger: 'cron', day_of_week: 'mon-fri', end_date: '2030-01-01', year: 2030 },
      { run_date: '2024-06-01 03:00:00', timezone: 'Europe/Paris' },
      { trigger: 'date' },
      { trigger: null, run_date: '2024-06-01T03:00:00Z' },
      { trigger: 'rrule', rrule: 'FREQ=DAILY', dtstart: '2024-01-01 09:00:00' },
    ],
    [
      'every day',
      [1, 2],
      { trigger: 'interval' },
      { trigger: 'interval', seconds: 0 },
      { trigger: 'interval', minutes: 0, hours: 0 },
      { trigger: 'interval', minute: 5 },
      { trigger: 'interval', seconds: '10' },
      { trigger: 'interval', seconds: 10, coalesce: 'yes' },
      { trigger: 'interval', seconds: 10, misfire_grace_time: 0 },
      { trigger: 'interval', seconds: 10, max_instances: 0 },
      { trigger: 'interval', seconds: 10, jitter: -1 },
      { trigger: 'interval', seconds: 10, timezone: '' },
      { trigger: 'cron', hour: 24 },
      { trigger: 'cron', hour: 1.5 },
      { trigger: 'cron', minute: true },
      { trigger: 'cron', hour: 5, start_date: '2024-01-01T10:00' },
      { trigger: 'evry' },
      { trigger: 5 },
      { trigger: 'date', start_date: '2024-01-01' },
      { run_date: 'tomorrow' },
      { trigger: 'rrule', rrule: 'FREQ=DAILY' },
    ],
  ],
  entrypoint: [
    [null, 'task.sh'],
    [5, '', '   ', ['task.sh']],
  ],
  description: [
    ['nightly report', 'x'.repeat(4096)],
    [5, null, 'x'.repeat(4097), ['a']],
  ],
  timeout: [
    [null, '90s', '1h30m', '1h 30m', ' 2h ', '500ms', 90, 0.5],
    ['90 seconds', '1h30', 'soon', '', -1, 0, true],
  ],
  overlap: [
    [null, 'skip', 'queue', 'replace', 'allow'],
    ['sometimes', 'Skip', true, 1],
  ],
  max_instances: [
    [1, 3],
    [0, -1, 1.5, null, '2'],
  ],
  queue_size: [
    [null, 1, 10],
    [0, 2.5, 'x'],
  ],
  params: [
    [
      null,
      [],
      [{ name: 'date', required: true }],
      [
        {
          name: 'a_b',
          default: 5,
          enum: [1, 'x', true],
          arg: false,
          description: 'd',
          pattern: '[a-z0-9]+',
        },
      ],
    ],
    [
      'date',
      { name: 'date' },
      [{}],
      [{ name: 'bad-name' }],
      [{ name: 'x', foo: 1 }],
      [{ name: 'x', required: 'yes' }],
      [{ name: 'x', enum: [] }],
      [{ name: 'x', enum: [null] }],
      [{ name: 'x', default: [1] }],
    ],
  ],
  env: [
    [null, {}, { A: '1', B_2: 3, C: true }],
    [{ '1A': 'x' }, { A: null }, { A: [1] }, ['A=1'], 'A=1'],
  ],
  retries: [
    [null, 0, 2, { max: 3 }, { max: 1, delay: '30s', backoff: 2 }, { max: 1, delay: 0 }],
    [-1, 1.5, 'twice', { delay: '30s' }, { max: 1, delay: 'soon' }, { max: 1, backoff: 0.5 }],
  ],
  notify: [
    [
      null,
      [],
      [{ type: 'webhook', url: 'https://example.com/hook' }],
      [
        {
          type: 'webhook',
          url: 'http://${TASSE_HOOK_HOST}/x',
          events: ['failed', 'recovered', 'succeeded'],
          headers: { Authorization: 'Bearer ${TASSE_HOOK_TOKEN}', 'X-N': 5 },
          secret_env: 'TASSE_HOOK_SECRET',
          rate_limit: 0,
        },
        { type: 'slack', url: '${TASSE_SLACK_URL}', events: null, rate_limit: '1h' },
        { type: 'healthchecks', url: 'https://hc-ping.com/0f4c', headers: null },
      ],
    ],
    [
      { type: 'webhook', url: 'https://example.com' },
      [{ url: 'https://example.com' }],
      [{ type: 'email', url: 'https://example.com' }],
      [{ type: 'webhook' }],
      [{ type: 'webhook', url: 'ftp://example.com' }],
      [{ type: 'webhook', url: '' }],
      [{ type: 'webhook', url: 'https://x', events: [] }],
      [{ type: 'webhook', url: 'https://x', events: ['failing'] }],
      [{ type: 'webhook', url: 'https://x', secret_env: 'MY-SECRET' }],
      [{ type: 'webhook', url: 'https://x', headers: { 'Bad Name': 'x' } }],
      [{ type: 'webhook', url: 'https://x', headers: { A: true } }],
      [{ type: 'webhook', url: 'https://x', rate_limit: 'often' }],
      [{ type: 'slack', url: 'https://x', secret_env: 'S' }],
      [{ type: 'healthchecks', url: 'https://x', events: ['failed'] }],
    ],
  ],
  expect: [
    [
      null,
      { start_within: '5m', finish_within: '2h' },
      { start_within: 3 },
      { finish_within: '1h', start_within: null },
    ],
    [{}, { start_within: null }, { start_within: 'soon' }, { start: '5m' }, '5m', [1]],
  ],
  on_failure: [
    [null, { pause_after: 5, resume_after: '1h' }, { pause_after: 1, resume_after: null }],
    [{}, { pause_after: 0 }, { pause_after: 2.5 }, { pause_after: 3, resume_after: 'later' }, 3],
  ],
  user: [
    [null, 'nobody', 'www-data', 65534, '1000', '1000:1000'],
    ['nobody:', ':1000', 'root; id', -1, 1.5, '', ['nobody'], 'x'.repeat(33)],
  ],
  env_files: [
    [null, '.env', ['.env', '/run/secrets/app.env'], []],
    ['', '  ', [3], ['.env', ''], { a: '.env' }, 5],
  ],
  secrets: [
    [null, {}, { DB_PASSWORD: '/run/secrets/db', KEY: 'key.txt' }],
    [{ TASSE_X: 'x' }, { 'A-B': 'x' }, { A: 5 }, { A: '' }, ['x'], 'x'],
  ],
}

function taskYamls(dir: string): string[] {
  let entries: string[]
  try {
    entries = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  } catch {
    return []
  }
  return entries
    .filter((entry) => entry === 'task.yaml' || entry.endsWith('/task.yaml'))
    .map((entry) => join(dir, entry))
}

function readmes(): string[] {
  return [
    join(ROOT, 'README.md'),
    ...readdirSync(join(ROOT, 'packages')).map((p) => join(ROOT, 'packages', p, 'README.md')),
  ].filter((file) => {
    try {
      return readFileSync(file, 'utf8').length > 0
    } catch {
      return false
    }
  })
}
