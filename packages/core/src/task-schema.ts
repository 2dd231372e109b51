/**
 * task.yaml's JSON Schema, for editors (completion, hover, red underlines through
 * `# yaml-language-server: $schema=…`) and `/api/v1/schema/task.json`. It is composed from the
 * readers' own constants (the keys, the policies, the name and date patterns, the limits), the
 * trigger factories' option lists and their optional `schema`s, so a key added to a reader is
 * one the type checker asks a schema for. A schema may be looser than the readers (a cron
 * expression is text to it) but never stricter: `task-schema.test.ts` and the host's
 * differential test check both directions on generated documents.
 */
import {
  EXPECT_KEYS,
  HEADER_NAME,
  HOST_VARIABLE_PREFIX,
  type ON_FAILURE_KEYS,
  TARGET_KEYS,
} from './alert-fields.js'
import { DURATION_TEXT } from './duration.js'
import { JOB_OPTION_KEYS } from './scheduler-config.js'
import { ACCESS_SCHEMAS } from './task-access-fields.js'
import { OVERLAP_POLICIES, type PARAM_KEYS, type RETRY_KEYS, VARIABLE_NAME } from './task-fields.js'
import { LIMITS_SCHEMA } from './task-limits.js'
import { MAX_DESCRIPTION_CHARS, type TASK_KEYS } from './task-loader.js'
import { ALERT_EVENTS, type JsonSchema, NOTIFY_TARGET_TYPES, type TriggerFactory } from './types.js'

/** The dialect: the newest that every YAML editor plugin reads fully. */
export const JSON_SCHEMA_DIALECT = 'http://json-schema.org/draft-07/schema#'

/** The trigger of a `scheduler:` mapping without `trigger:`, as in APScheduler. */
const DEFAULT_TRIGGER = 'date'

/**
 * The JSON Schema of task.yaml for these trigger factories (those of a host's plugins).
 *
 * @example
 * import { plugin as cron } from '@tasse/trigger-cron'
 * const schema = taskYamlSchema(registerPlugins([cron]).triggerFactories())
 * writeFileSync('task.schema.json', JSON.stringify(schema, null, 2))
 * declare function writeFileSync(path: string, text: string): void
 */
export function taskYamlSchema(factories: ReadonlyMap<string, TriggerFactory>): JsonSchema {
  const properties = {
    scheduler: schedulerSchema([...factories.values()]),
    entrypoint: {
      type: ['string', 'null'],
      pattern: '\\S',
      description: "The file to run, inside the task's folder. Default: task.py, else task.sh.",
      examples: ['task.py', 'task.sh'],
    },
    description: {
      type: 'string',
      maxLength: MAX_DESCRIPTION_CHARS,
      description: 'A line or a paragraph about the task.',
    },
    timeout: {
      ...nullable(DURATION),
      description: "End the run's whole process group after this long. Default: none.",
    },
    overlap: {
      enum: [...OVERLAP_POLICIES, null],
      default: 'skip',
      description:
        'When a run is due while one runs: skip (recorded as skipped), queue, replace (cancels the running one), allow.',
    },
    max_instances: {
      ...MAX_INSTANCES,
      description: 'Runs of this task at once (also accepted in scheduler:). Default: 1.',
    },
    queue_size: {
      type: ['integer', 'null'],
      minimum: 1,
      default: 1,
      description: 'With overlap: queue, runs that may wait.',
    },
    params: {
      type: ['array', 'null'],
      items: PARAM,
      description: 'What a trigger may pass; each reaches the task as TASSE_PARAM_<NAME>.',
    },
    env: {
      type: ['object', 'null'],
      propertyNames: { pattern: VARIABLE_NAME.source },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
      description: "Variables added to the task's environment.",
    },
    retries: {
      anyOf: [{ type: 'null' }, { type: 'integer', minimum: 0 }, RETRIES],
      description: 'Retry failed or timed-out runs: a number of retries, or {max, delay, backoff}.',
    },
    limits: LIMITS_SCHEMA,
    notify: {
      type: ['array', 'null'],
      items: NOTIFY_TARGET,
      description:
        "Where this task's alerts go: webhook, slack and healthchecks targets. Default: the host's notify list; [] for none.",
    },
    expect: EXPECT,
    on_failure: ON_FAILURE,
    ...ACCESS_SCHEMAS,
  } satisfies Record<(typeof TASK_KEYS)[number], JsonSchema>
  return {
    $schema: JSON_SCHEMA_DIALECT,
    title: 'Tasse task.yaml',
    description:
      'A task of Tasse: tasks/<name>/task.yaml. Every key is optional; an empty file makes a task that runs only when triggered.',
    type: ['object', 'null'],
    properties,
    additionalProperties: false,
  }
}

// ---------------------------------------------------------------------------------------------

const DURATION: JsonSchema = {
  anyOf: [
    { type: 'number', exclusiveMinimum: 0 },
    { type: 'string', pattern: DURATION_TEXT.source },
  ],
  examples: ['90s', '15m', '1h30m'],
}

const MAX_INSTANCES: JsonSchema = { type: 'integer', minimum: 1 }

const PARAM: JsonSchema = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: {
      type: 'string',
      pattern: VARIABLE_NAME.source,
      description: 'Letters, digits and _; it becomes TASSE_PARAM_<NAME>.',
    },
    description: { type: ['string', 'null'] },
    required: { type: 'boolean', default: false },
    default: { type: ['string', 'number', 'boolean', 'null'] },
    pattern: {
      type: ['string', 'null'],
      description: 'An RE2 pattern the whole value must match.',
    },
    enum: { type: 'array', minItems: 1, items: { type: ['string', 'number', 'boolean'] } },
    arg: {
      type: 'boolean',
      description: 'Also pass the value as --<name>=<value> on the command line.',
    },
  } satisfies Record<(typeof PARAM_KEYS)[number], JsonSchema>,
}

const RETRIES: JsonSchema = {
  type: 'object',
  required: ['max'],
  additionalProperties: false,
  properties: {
    max: { type: 'integer', minimum: 0 },
    delay: { anyOf: [{ const: 0 }, DURATION] },
    backoff: {
      type: ['number', 'null'],
      minimum: 1,
      default: 1,
      description: 'The factor between delays.',
    },
  } satisfies Record<(typeof RETRY_KEYS)[number], JsonSchema>,
}

/** How task.yaml refers to a secret in a target's URL or header (not a template: its own syntax). */
const REFERENCE = '$' + '{TASSE_NAME}'

/** A target's URL: http(s), or a `${NAME}` read from the environment (as `readUrl` checks). */
const TARGET_URL: JsonSchema = {
  type: 'string',
  pattern: '^(\\$\\{|[Hh][Tt][Tt][Pp][Ss]?://[^/\\s])',
  description: `An http:// or https:// URL; parts written as ${REFERENCE} are read from the environment when sent.`,
}

const NOTIFY_TARGET_PROPERTIES = {
  type: { enum: [...NOTIFY_TARGET_TYPES] },
  url: TARGET_URL,
  events: {
    type: ['array', 'null'],
    minItems: 1,
    items: { enum: [...ALERT_EVENTS] },
    description: 'The events it wants. Default: failed, recovered, missed, overdue, paused.',
  },
  headers: {
    type: ['object', 'null'],
    propertyNames: { pattern: HEADER_NAME.source },
    additionalProperties: { type: ['string', 'number'] },
    description: `Headers to send; ${REFERENCE} in a value is read from the environment.`,
  },
  secret_env: {
    type: 'string',
    pattern: `^${HOST_VARIABLE_PREFIX}[A-Za-z0-9_]*$`,
    description: 'The TASSE_* environment variable holding the HMAC-SHA256 signing secret.',
  },
  rate_limit: {
    anyOf: [{ const: 0 }, DURATION],
    description: 'An alert identical to one sent less than this ago is not sent. Default: 10m.',
  },
} satisfies Record<(typeof TARGET_KEYS)[keyof typeof TARGET_KEYS][number], JsonSchema>

/** A `notify:` target: under each `type`, only that kind's keys (as `readTarget` allows). */
const NOTIFY_TARGET: JsonSchema = {
  type: 'object',
  required: ['type', 'url'],
  properties: NOTIFY_TARGET_PROPERTIES,
  allOf: NOTIFY_TARGET_TYPES.map((type) => ({
    if: { properties: { type: { const: type } } },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, a plain object never awaited
    then: { propertyNames: { enum: [...TARGET_KEYS[type]] } },
  })),
}

const EXPECT: JsonSchema = {
  type: ['object', 'null'],
  properties: {
    start_within: nullable(DURATION),
    finish_within: nullable(DURATION),
  } satisfies Record<(typeof EXPECT_KEYS)[number], JsonSchema>,
  additionalProperties: false,
  // At least one of them set (not null).
  anyOf: [
    { type: 'null' },
    ...EXPECT_KEYS.map((key) => ({ required: [key], properties: { [key]: DURATION } })),
  ],
  description:
    'When the task is overdue: no run started within start_within of a fire time, or a run going longer than finish_within.',
}

const ON_FAILURE: JsonSchema = {
  type: ['object', 'null'],
  required: ['pause_after'],
  properties: {
    pause_after: {
      type: 'integer',
      minimum: 1,
      description: 'Consecutive failed runs after which the schedule is paused.',
    },
    resume_after: {
      ...nullable(DURATION),
      description: 'Resume the schedule by itself after this long. Default: by hand only.',
    },
  } satisfies Record<(typeof ON_FAILURE_KEYS)[number], JsonSchema>,
  additionalProperties: false,
  description: 'Pause the schedule after pause_after failed runs in a row.',
}

const JOB_OPTIONS = {
  misfire_grace_time: {
    type: ['integer', 'null'],
    minimum: 1,
    default: 1,
    description: 'Seconds after its fire time during which a late run still runs; null: no limit.',
  },
  coalesce: {
    type: 'boolean',
    default: true,
    description: 'Run several missed fire times once.',
  },
  max_instances: { ...MAX_INSTANCES, default: 1, description: 'Runs of the task allowed at once.' },
} satisfies Record<(typeof JOB_OPTION_KEYS)[number], JsonSchema>

/**
 * `scheduler:`: `trigger` picks a factory; under each `trigger:` value (no `trigger` is the date
 * trigger's), only its options and the job options are keys, each as its schema says.
 */
function schedulerSchema(factories: readonly TriggerFactory[]): JsonSchema {
  const types = factories.map((factory) => factory.type)
  return {
    type: ['object', 'null'],
    description:
      "When to run: APScheduler 3's trigger: and its options. Default: none (runs only when triggered).",
    properties: {
      // `trigger: null` is no trigger: the date trigger, as `readSchedulerConfig` reads it.
      trigger: types.includes(DEFAULT_TRIGGER)
        ? { enum: [...types, null], default: DEFAULT_TRIGGER }
        : { enum: types },
      ...JOB_OPTIONS,
    },
    ...(types.includes(DEFAULT_TRIGGER) ? {} : { required: ['trigger'] }),
    allOf: factories.map((factory) => ({
      if:
        factory.type === DEFAULT_TRIGGER
          ? { properties: { trigger: { enum: [factory.type, null] } } }
          : { required: ['trigger'], properties: { trigger: { const: factory.type } } },
      // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, a plain object never awaited
      then: triggerOptionsSchema(factory),
    })),
  }
}

function triggerOptionsSchema(factory: TriggerFactory): JsonSchema {
  const schema = factory.schema
  return {
    ...(schema?.description ? { description: schema.description } : {}),
    ...(schema ? { properties: schema.properties } : {}),
    ...(schema?.required?.length ? { required: schema.required } : {}),
    ...(schema?.anyOf?.length ? { anyOf: schema.anyOf } : {}),
    propertyNames: { enum: ['trigger', ...JOB_OPTION_KEYS, ...factory.options] },
  }
}

function nullable(schema: JsonSchema): JsonSchema {
  return { anyOf: [{ type: 'null' }, ...(schema.anyOf as JsonSchema[])], examples: schema.examples }
}
