/**
 * `/api/v1/schema/task.json`: task.yaml's JSON Schema for this host's triggers (the built-in
 * ones and any plugin's), for editors: `# yaml-language-server: $schema=<host>/api/v1/schema/task.json`
 * at the top of a task.yaml gives completion and checks as you type. It needs no token (an
 * editor sends none); like the API's document it shows no task, run or setting, only which
 * trigger types the host knows.
 */
import { type Tasse, taskYamlSchema } from '@tasse/core'
import type { Hono } from 'hono'

/** Where it is served (below the app's root). */
export const TASK_SCHEMA_PATH = '/api/v1/schema/task.json'

/** Adds `/schema/task.json` to `app` (mounted at `/api/v1`). */
export function taskSchemaRoute(app: Hono, tasse: Tasse): void {
  let schema: unknown = null
  app.get('/schema/task.json', (c) => {
    // Plugins register before the host serves: the schema never changes while it runs.
    schema ??= taskYamlSchema(tasse.extensions.triggerFactories())
    return c.json(schema, 200, { 'content-type': 'application/schema+json; charset=utf-8' })
  })
}
