/**
 * The API's shapes, once: these zod schemas validate requests, type the handlers' answers and
 * generate the OpenAPI document at `/api/v1/openapi.json`.
 */
import { z } from '@hono/zod-openapi'
import {
  ALERT_EVENTS,
  isValidTaskName,
  NOTIFY_TARGET_TYPES,
  RUN_REASONS,
  RUN_STATUSES,
} from '@tasse/core'

const TASK_NAME_RULE =
  'a task name is letters, digits, ".", "_" and "-", starting with a letter or digit'

// A path parameter is checked before anything looks it up: names that could climb out of
// data/ (`..`, `%2e%2e`, slashes, NUL) never get further than this.
export const TaskNameParam = z.object({
  name: z
    .string()
    .max(255)
    .refine(isValidTaskName, { message: TASK_NAME_RULE })
    .openapi({ param: { name: 'name', in: 'path' }, example: 'helloworld' }),
})

/** Run ids are core's (`newRunId`): letters and digits. Checked before any lookup. */
export const RUN_ID_PATTERN = /^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$/

export const RunIdParam = z.object({
  id: z
    .string()
    .regex(RUN_ID_PATTERN, { message: 'a run id is letters and digits, as the API gave it' })
    .openapi({ param: { name: 'id', in: 'path' }, example: '01jd6m5c8e0000ab' }),
})

export const ErrorSchema = z
  .object({
    error: z
      .object({
        code: z.string().openapi({ example: 'task_not_found' }),
        message: z.string().openapi({
          example: 'no task named "nope" (known tasks: helloworld, report)',
        }),
      })
      .catchall(z.unknown())
      .openapi({
        description:
          'What went wrong, for a person (`message`) and a program (`code`); some errors add details: `known` (task names) on `task_not_found`, `param` on `invalid_param`, `blockingRunId` and `runId` on `overlap`.',
      }),
  })
  .openapi('Error')

const isoTime = (description: string) =>
  z.string().openapi({ description, example: '2026-01-30T16:00:00.000+00:00' })

export const RunSchema = z
  .object({
    id: z.string(),
    task: z.string(),
    reason: z.enum(RUN_REASONS),
    status: z.enum(RUN_STATUSES),
    params: z.record(z.string(), z.string()),
    scheduledAt: isoTime('The fire time it ran for (scheduled runs), UTC.').nullable(),
    queuedAt: isoTime('When the run was asked for, UTC.'),
    startedAt: isoTime('UTC').nullable(),
    endedAt: isoTime('UTC').nullable(),
    durationMs: z.number().int().nullable(),
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable(),
    attempt: z.number().int(),
    retryOf: z.string().nullable(),
    error: z.string().nullable().openapi({
      description: 'Why it failed, was skipped, missed or interrupted, in words.',
    }),
    hostId: z.string().nullable().openapi({
      description:
        'The host that owns the run (see `/hosts`); `null` for a run recorded by no registered host.',
    }),
    peakMemoryBytes: z.number().int().nullable().openapi({
      description:
        "The highest memory of the run's processes together, in bytes (its control group's; without one, the largest of its first process and the children it waited for). `null` until it ends, or where the system did not tell.",
    }),
    cpuUserSeconds: z.number().nullable().openapi({
      description: "CPU time of the run's processes in user mode, in seconds (`null`: not told).",
    }),
    cpuSystemSeconds: z.number().nullable().openapi({
      description: "CPU time of the run's processes in the kernel, in seconds (`null`: not told).",
    }),
    outputBytes: z.number().int().nullable().openapi({
      description: 'Bytes the run wrote to stdout and stderr (`null`: it never started).',
    }),
    links: z.object({ self: z.string(), logs: z.string() }),
  })
  .openapi('Run')

export const HostSchema = z
  .object({
    id: z.string().openapi({ description: 'New at each start of a host process.' }),
    name: z.string().openapi({ description: 'The machine’s name.' }),
    pid: z.number().int(),
    url: z.string().nullable().openapi({ description: 'Where its API listens.' }),
    startedAt: isoTime('UTC, by the store’s clock.'),
    heartbeatAt: isoTime('Its last heartbeat, UTC, by the store’s clock.'),
    self: z.boolean().openapi({ description: 'The host that answered this request.' }),
    running: z.array(z.object({ id: z.string(), task: z.string(), status: z.string() })).openapi({
      description: 'Its runs queued or running now.',
    }),
  })
  .openapi('Host')

export const HostListSchema = z
  .object({
    hosts: z.array(HostSchema),
    leaseMs: z.number().int().openapi({
      description: 'A host silent for longer is dead: another host takes its runs over.',
    }),
  })
  .openapi('HostList')

export const RunPageSchema = z
  .object({
    runs: z.array(RunSchema),
    nextCursor: z.string().nullable().openapi({
      description: 'Pass as `cursor` for the next (older) page; `null` on the last page.',
    }),
  })
  .openapi('RunPage')

export const ParamSchema = z.object({
  name: z.string(),
  description: z.string().nullable(),
  required: z.boolean(),
  default: z.string().nullable(),
  pattern: z.string().nullable(),
  enum: z.array(z.string()).nullable(),
})

export const TaskHealthSchema = z
  .object({
    status: z.enum(['ok', 'failing', 'overdue']).openapi({
      description:
        '`overdue` (see `overdue`), else `failing` (its last run failed), else `ok`. `GET /health/tasks` answers 503 while any task is not `ok`.',
    }),
    overdue: z
      .object({ reason: z.string(), since: isoTime('UTC') })
      .nullable()
      .openapi({
        description:
          'Set while the task is overdue (`expect:` in its task.yaml): why, and since when. Cleared by its next successful run.',
      }),
    consecutiveFailures: z.number().int(),
    lastSuccessAt: isoTime('When its last successful run ended, UTC.').nullable(),
    lastRunAt: isoTime('When its last run started, UTC.').nullable(),
    pausedReason: z.string().nullable().openapi({
      description: 'Why `on_failure.pause_after` paused its schedule; `null` otherwise.',
    }),
    resumesAt: isoTime('When `on_failure.resume_after` resumes it, UTC.').nullable(),
  })
  .openapi('TaskHealth')

export const TaskSchema = z
  .object({
    name: z.string(),
    state: z.enum(['ok', 'invalid', 'paused']),
    error: z.string().nullable().openapi({
      description:
        'Why the folder cannot be used. Set on an `invalid` task, and on an `ok` one whose last good definition keeps running after a broken edit.',
    }),
    file: z.string().openapi({ description: 'Its task.yaml.' }),
    description: z.string().nullable(),
    entrypoint: z.string().nullable(),
    trigger: z
      .object({ type: z.string(), description: z.string(), timezone: z.string() })
      .nullable()
      .openapi({ description: '`null` for a task that runs only when triggered.' }),
    nextFireTimes: z.array(z.string()).openapi({
      description:
        'The next fire times, in the trigger’s zone with its offset; empty when paused, invalid or not scheduled.',
      example: ['2026-01-30T17:00:00.000+01:00'],
    }),
    lastFireTime: z.string().nullable(),
    overlap: z.enum(['skip', 'queue', 'replace', 'allow']).nullable(),
    timeoutMs: z.number().int().nullable(),
    params: z.array(ParamSchema),
    activeRuns: z.number().int().openapi({ description: 'Runs running or waiting now.' }),
    lastRun: RunSchema.nullable(),
    health: TaskHealthSchema.nullable().openapi({
      description: 'Known to a running host; `null` where the task is read from a folder alone.',
    }),
  })
  .openapi('Task')

export const HealthTasksSchema = z
  .object({
    status: z.enum(['ok', 'failing']),
    tasks: z
      .array(TaskHealthSchema.extend({ name: z.string() }))
      .openapi({ description: 'The tasks that are overdue or failing (none when `ok`).' }),
  })
  .openapi('HealthTasks')

const AttemptSchema = z.object({
  at: isoTime('UTC'),
  status: z.number().int().nullable().openapi({ description: 'HTTP status; `null`: no answer.' }),
  error: z.string().nullable(),
  durationMs: z.number().int(),
})

export const DeliverySchema = z
  .object({
    id: z.string(),
    task: z.string(),
    event: z.enum([...ALERT_EVENTS, 'start', 'success', 'fail']).openapi({
      description: 'An alert event, or a healthchecks ping (`start`, `success`, `fail`).',
    }),
    runId: z.string().nullable(),
    target: z.object({
      type: z.enum(NOTIFY_TARGET_TYPES),
      url: z.string().openapi({
        description:
          'As written: parts read from the environment (`$' + '{NAME}`) stay unexpanded.',
      }),
    }),
    status: z.enum(['sending', 'delivered', 'failed', 'suppressed', 'dropped']),
    error: z.string().nullable(),
    attempts: z.array(AttemptSchema),
    createdAt: isoTime('UTC'),
  })
  .openapi('Notification')

export const DeliveryListSchema = z
  .object({ notifications: z.array(DeliverySchema) })
  .openapi('NotificationList')

export const DeliveryQuery = z.object({
  task: z.string().refine(isValidTaskName, { message: TASK_NAME_RULE }).optional(),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .openapi({ description: 'Default 100.' }),
})

export const TaskListSchema = z.object({ tasks: z.array(TaskSchema) }).openapi('TaskList')

export const NextQuery = z.object({
  next: z.coerce.number().int().min(0).max(100).optional().openapi({
    description: 'How many next fire times to list. Default 3.',
  }),
})

export const TaskListQuery = NextQuery.extend({
  state: z.enum(['ok', 'invalid', 'paused']).optional(),
})

export const RescanSchema = z
  .object({
    added: z.array(z.string()),
    changed: z.array(z.string()),
    removed: z.array(z.string()),
    invalid: z.array(z.object({ name: z.string(), error: z.string() })),
  })
  .openapi('RescanResult')

export const TriggerBody = z
  .object({
    params: z
      .record(z.string(), z.string())
      .optional()
      .openapi({
        description: 'Values for the task’s `params:`.',
        example: { date: '2026-01-30' },
      }),
  })
  .strict()
  .openapi('TriggerRequest')

const instant = z
  .string()
  .refine((text) => parseInstant(text) !== null, {
    message: 'expected an ISO-8601 date-time with a zone (e.g. 2026-01-30T17:00:00Z) or epoch ms',
  })
  .transform((text) => parseInstant(text) as number)

export const RunListQuery = z.object({
  task: z.string().refine(isValidTaskName, { message: TASK_NAME_RULE }).optional(),
  status: z
    .string()
    .transform((text) => text.split(',').map((s) => s.trim()))
    .pipe(z.array(z.enum(RUN_STATUSES)))
    .optional()
    .openapi({
      description: 'One or more statuses, comma-separated.',
      example: 'failed,timed_out',
    }),
  from: instant
    .optional()
    .openapi({ type: 'string', description: 'Runs queued at or after this time.' }),
  to: instant
    .optional()
    .openapi({ type: 'string', description: 'Runs queued at or before this time.' }),
  limit: z.coerce.number().int().min(1).max(500).optional().openapi({ description: 'Default 50.' }),
  cursor: z.string().max(512).optional(),
})

export const LogQuery = z.object({
  follow: z
    .enum(['0', '1', 'true', 'false'])
    .optional()
    .transform((text) => text === '1' || text === 'true')
    .openapi({
      type: 'string',
      description:
        'Follow the output as Server-Sent Events until the run ends: `output` events (`{"text"}`, from the start), then one `end` event with the run.',
    }),
})

function parseInstant(text: string): number | null {
  if (/^\d{1,16}$/.test(text)) return Number(text)
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text))
    return null
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? null : ms
}
