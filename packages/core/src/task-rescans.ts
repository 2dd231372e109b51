/**
 * Rescans of the tasks folder that nobody awaits (the periodic rescan, the watcher, the retry):
 * none may throw into a timer, and while the folder itself cannot be read (a chmod, a `mv`, a
 * deploy swapping it) it is read again every second, its problem said once when it starts and
 * once when it is over, not at every retry.
 */
import type { CatalogChanges } from './catalog.js'
import type { TasseLogger } from './types.js'

/** How often a tasks folder that cannot be read is tried again. */
export const TASKS_FOLDER_RETRY_MS = 1000

export interface TaskRescansOptions {
  /** Reads the folder again (`Tasse.rescan`). */
  rescan: () => CatalogChanges
  logger: TasseLogger
  /** The folder as messages show it. */
  folder: string
}

export class TaskRescans {
  #retry: NodeJS.Timeout | null = null
  #problem: string | null = null

  constructor(private readonly options: TaskRescansOptions) {}

  /** The rescan a timer or the watcher runs: an exception is logged, the next one tries again. */
  readonly fromTimer = (): void => {
    try {
      this.options.rescan()
    } catch (cause) {
      this.options.logger.error(
        'rescanning the tasks folder failed; the next rescan tries again',
        cause,
      )
    }
  }

  /** After each scan: reports the folder's problem as it starts and ends; retries while it lasts. */
  after(changes: CatalogChanges, retry: boolean): void {
    const problem = changes.problem ?? null
    if (problem !== this.#problem) {
      if (problem) this.options.logger.error(problem)
      else if (this.#problem) this.options.logger.info(`${this.options.folder} can be read again`)
      this.#problem = problem
    }
    if (problem && retry && !this.#retry) {
      this.#retry = setInterval(this.fromTimer, TASKS_FOLDER_RETRY_MS)
      this.#retry.unref()
    } else if (!problem) this.stop()
  }

  stop(): void {
    if (this.#retry) clearInterval(this.#retry)
    this.#retry = null
  }
}
