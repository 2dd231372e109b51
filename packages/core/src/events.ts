/** The typed events of a Tasse instance, for embedders and for the host's own layers. */
import { EventEmitter } from 'node:events'
import type { InvalidTask, OutputBatch, Run, TaskDefinition } from './types.js'

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
}

export type TasseEventName = keyof TasseEventMap

/** A Node `EventEmitter` typed by `TasseEventMap`. */
export class TasseEvents extends EventEmitter<TasseEventMap> {}
