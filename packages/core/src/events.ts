/** The typed events of a Tasse instance, for embedders and for the host's own layers. */
import { EventEmitter } from 'node:events'
import type { CatalogChanges } from './catalog.js'
import type { TaskAlert } from './task-health.js'
import type { InvalidTask, OutputBatch, Run, TaskDefinition, TasseLogger } from './types.js'

export interface TasseEventMap {
  /** A run was recorded: queued, or already final (skipped, missed). */
  'run:queued': [run: Run]
  'run:started': [run: Run]
  'run:output': [run: Run, batch: OutputBatch]
  /** A run reached a final state. */
  'run:ended': [run: Run]
  'task:added': [task: TaskDefinition]
  'task:changed': [task: TaskDefinition]
  'task:removed': [task: TaskDefinition]
  'task:invalid': [invalid: InvalidTask]
  /** A task's schedule was paused or resumed. */
  'task:paused': [task: TaskDefinition, paused: boolean]
  /**
   * Something worth telling about a task (`task-health.ts`): a failure, a recovery, a missed
   * fire, an overdue task, a pause after repeated failures, a success.
   */
  'task:alert': [alert: TaskAlert]
}

export type TasseEventName = keyof TasseEventMap

/** A Node `EventEmitter` typed by `TasseEventMap`. */
export class TasseEvents extends EventEmitter<TasseEventMap> {}

/**
 * Tells listeners (`task:*` events) and the log what a scan of the tasks folder found. An
 * invalid folder whose task `lastGood` still knows keeps running on that definition.
 */
export function announceChanges(
  events: TasseEvents,
  logger: TasseLogger,
  lastGood: { get(name: string): TaskDefinition | undefined },
  changes: CatalogChanges,
): void {
  for (const task of changes.removed) {
    events.emit('task:removed', task)
    logger.info(`task "${task.name}" removed`)
  }
  for (const task of changes.added) {
    events.emit('task:added', task)
    const schedule = task.trigger ? `scheduled: ${task.trigger.describe()}` : null
    logger.info(`task "${task.name}" ${schedule ?? 'added (runs when triggered)'}`)
  }
  for (const task of changes.changed) {
    events.emit('task:changed', task)
    const schedule = task.trigger ? `: ${task.trigger.describe()}` : ''
    logger.info(`task "${task.name}" changed${schedule}`)
  }
  for (const invalid of changes.invalid) {
    events.emit('task:invalid', invalid)
    const keeps = lastGood.get(invalid.name) ? ' (its last good definition keeps running)' : ''
    logger.error(`${invalid.error.message}${keeps}`)
  }
}
