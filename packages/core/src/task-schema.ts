/**
 * task.yaml's JSON Schema, for editors (completion, hover, red underlines through
 * `# yaml-language-server: $schema=…`) and `/api/v1/schema/task.json`. It is composed from the
 * readers' own constants (the keys, the policies, the name and date patterns, the limits), the
 * trigger factories' option lists and their optional `schema`s, so a key added to a reader is
 * one the type checker asks a schema for. A schema may be looser than the readers (a cron
 * expression is text to it) but never stricter: `task-schema.test.ts` and the host's
 * differential test check both directions on generated documents.
 */
import { DURATION_TEXT } from './duration.js'
import { JOB_OPTION_KEYS } from './scheduler-config.js'
import { ACCESS_SCHEMAS } from './task-access-fields.js'
import { OVERLAP_POLICIES, type PARAM_KEYS, type RETRY_KEYS, VARIABLE_NAME } from './task-fields.js'
import { MAX_DESCRIPTION_CHARS, type TASK_KEYS } from './task-loader.js'
import type { JsonSchema, TriggerFactory } from './types.js'

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
