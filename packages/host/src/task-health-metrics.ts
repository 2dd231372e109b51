/**
 * The per-task gauges alerting rules are written against: last success, last run, next fire,
 * overdue and consecutive failures. Read from core when Prometheus scrapes, so they cost nothing
 * between scrapes and a removed task's series go with it.
 */
import type { Tasse } from '@tasse/core'
import { GaugeFamily } from './prometheus-text.js'

/** The task health gauges of `tasse`. */
export function taskHealthGauges(tasse: Tasse): GaugeFamily<'task'>[] {
  /** Epoch ms as Prometheus' Unix time in seconds; `null` (no sample) stays `null`. */
  const seconds = (ms: number | null) => (ms === null ? null : ms / 1000)
  const gauge = (name: string, help: string, value: (task: string) => number | null) =>
    new GaugeFamily(name, help, ['task'], (family) => {
      family.reset()
      for (const task of tasse.tasks()) {
        const v = value(task.name)
        if (v !== null) family.set({ task: task.name }, v)
      }
    })
  return [
    gauge(
      'tasse_task_last_success_timestamp_seconds',
      'When the last successful run of the task ended (Unix time); absent until one did.',
      (task) => seconds(tasse.health(task).lastSuccessAt),
    ),
    gauge(
      'tasse_task_last_run_timestamp_seconds',
      'When the last run of the task started (Unix time); absent until one did.',
      (task) => seconds(tasse.health(task).lastRunAt),
    ),
    gauge(
      'tasse_task_next_fire_timestamp_seconds',
      'The next fire time of the task (Unix time); absent when paused or unscheduled.',
      (task) => {
        const schedule = tasse.taskInfo(task)?.schedule
        if (!schedule || schedule.paused || schedule.nextFireTime === null) return null
        return schedule.nextFireTime / 1e6
      },
    ),
    gauge(
      'tasse_task_overdue',
      'Whether the task is overdue (expect: in its task.yaml): 1 until its next successful run.',
      (task) => (tasse.health(task).overdue ? 1 : 0),
    ),
    gauge(
      'tasse_task_consecutive_failures',
      'Failed (or timed out) runs of the task since its last success.',
      (task) => tasse.health(task).consecutiveFailures,
    ),
  ]
}
