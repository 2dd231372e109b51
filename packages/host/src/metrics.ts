/**
 * Prometheus metrics of one Tasse instance. Each call keeps its own series (no global
 * registry), so two hosts in one process, or two tests, never count into each other. Counters
 * and histograms follow the run events from the start; gauges are read from core when
 * Prometheus scrapes. Node's process metrics (`process_*`, `nodejs_*`) come from prom-client,
 * loaded on the first scrape: a host nobody scrapes never loads it (issue #19).
 */
import { hostname } from 'node:os'
import { FINAL_RUN_STATUSES, NOTIFY_TARGET_TYPES, type Run, type Tasse } from '@tasse/core'
import type { Registry } from 'prom-client'
import type { DeliveryStatus } from './alerts/notifier.js'
import {
  CounterFamily,
  exposition,
  type Family,
  GaugeFamily,
  HistogramFamily,
  PROMETHEUS_CONTENT_TYPE,
} from './prometheus-text.js'
import { taskHealthGauges } from './task-health-metrics.js'

export interface TasseMetrics {
  /** The content type of `text()`: Prometheus' text format. */
  readonly contentType: string
  /** The metrics in Prometheus' text format. */
  text(): Promise<string>
  /** The names of the metric families Tasse itself exports (not Node's process metrics). */
  names(): string[]
  /** Counts one notification's result (`tasse_notifications_total`), by target type. */
  countNotification(target: string, result: DeliveryStatus): void
  /** Stops following the instance's events. */
  close(): void
}

/** The results `tasse_notifications_total` counts (`sending` is not one). */
const NOTIFICATION_RESULTS = ['delivered', 'failed', 'suppressed', 'dropped'] as const

export interface TasseMetricsOptions {
  /** Also export Node's process metrics (`process_*`, `nodejs_*`). @default true */
  processMetrics?: boolean
}

/**
 * @example
 * const metrics = createMetrics(tasse)
 * app.get('/metrics', async (c) => c.text(await metrics.text()))
 */
export function createMetrics(tasse: Tasse, options: TasseMetricsOptions = {}): TasseMetrics {
  // Every task's counters exist from its discovery, at 0: Prometheus' increase() and rate()
  // need a sample before the first failure to see it, also after a restart.
  const zeroed = new Set<string>()
  const byTask = function* () {
    for (const task of zeroed) yield { task }
  }
  const runs = new CounterFamily(
    'tasse_runs_total',
    'Runs that reached a final state, by task and status (skipped and missed fires included).',
    ['task', 'status'],
    function* () {
      for (const task of zeroed) for (const status of FINAL_RUN_STATUSES) yield { task, status }
    },
  )
  const skipped = new CounterFamily(
    'tasse_fires_skipped_total',
    'Scheduled fires not run because the overlap policy refused them, by task.',
    ['task'],
    byTask,
  )
  const missed = new CounterFamily(
    'tasse_fires_missed_total',
    'Scheduled fires dropped by misfire_grace_time or coalescing, by task.',
    ['task'],
    byTask,
  )
  const duration = new HistogramFamily(
    'tasse_run_duration_seconds',
    'Time from start to end of the runs that started, by task.',
    [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14_400],
    ['task'],
  )
  const peakMemory = new HistogramFamily(
    'tasse_run_peak_memory_bytes',
    "Peak memory of a run's processes together, by task (runs whose system told it).",
    [2 ** 20, 2 ** 23, 2 ** 25, 2 ** 27, 2 ** 28, 2 ** 29, 2 ** 30, 2 ** 31, 2 ** 32, 2 ** 34],
    ['task'],
  )
  const cpu = new HistogramFamily(
    'tasse_run_cpu_seconds',
    "CPU time of a run's processes (user and system), by task and mode.",
    [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
    ['task', 'mode'],
  )
  const output = new HistogramFamily(
    'tasse_run_output_bytes',
    'Bytes a run wrote to stdout and stderr, by task.',
    [0, 1024, 10_240, 102_400, 2 ** 20, 10 * 2 ** 20, 100 * 2 ** 20, 2 ** 30],
    ['task'],
  )
  // NOTE: no task label. Lateness measures the host (timer, concurrency limit, environment
  // builds), and one series per task would multiply a large schedule's series for little gain.
  const lateness = new HistogramFamily(
    'tasse_fire_lateness_seconds',
    'Time from a fire time to the start of its run (scheduled and catch-up runs).',
    [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
  )
  const running = new GaugeFamily('tasse_runs_running', 'Runs running now.', [], (gauge) =>
    gauge.set({}, tasse.runCounts().running),
  )
  const queued = new GaugeFamily(
    'tasse_runs_queued',
    'Runs waiting: for a free slot of the concurrency limit, or behind a run of their task.',
    [],
    (gauge) => gauge.set({}, tasse.runCounts().queued),
  )
  const tasks = new GaugeFamily(
    'tasse_tasks',
    'Task folders by state (ok, paused, invalid).',
    ['state'],
    (gauge) => {
      const counts = { ok: 0, paused: 0, invalid: 0 }
      for (const task of tasse.listTasks()) counts[task.state]++
      for (const [state, count] of Object.entries(counts)) gauge.set({ state }, count)
    },
  )
  // Each host of a cluster serves its own metrics, and Prometheus' `instance` label already
  // tells the series of one from another's: an info gauge names the host once (to join on
  // `instance`), rather than a label on every series.
  const hostInfo = new GaugeFamily(
    'tasse_host_info',
    'This host, always 1: host_id (the id it registered with the run store, new at each start; runs name it as hostId), hostname and pid.',
    ['host_id', 'hostname', 'pid'],
    (gauge) => {
      gauge.reset()
      const id = tasse.membership.hostId ?? ''
      gauge.set({ host_id: id, hostname: hostname(), pid: String(process.pid) }, 1)
    },
  )
  const notifications = new CounterFamily(
    'tasse_notifications_total',
    'Notifications by target type (webhook, slack, healthchecks) and result (delivered, failed after its retries, suppressed by rate_limit, dropped behind a target that does not answer).',
    ['target', 'result'],
  )
  for (const target of NOTIFY_TARGET_TYPES)
    for (const result of NOTIFICATION_RESULTS) notifications.inc({ target, result }, 0)
  const families: Family[] = [
    runs,
    skipped,
    missed,
    duration,
    peakMemory,
    cpu,
    output,
    lateness,
    running,
    queued,
    tasks,
    hostInfo,
    ...taskHealthGauges(tasse),
    notifications,
  ]
  let processMetrics: Promise<Registry> | null = null

  const zero = (task: string) => zeroed.add(task)
  const forget = (task: string) => {
    zeroed.delete(task)
    for (const status of FINAL_RUN_STATUSES) runs.remove({ task, status })
    skipped.remove({ task })
    missed.remove({ task })
    duration.remove({ task })
    peakMemory.remove({ task })
    for (const mode of ['user', 'system']) cpu.remove({ task, mode })
    output.remove({ task })
  }
  const added = (task: { name: string }) => zero(task.name)
  const removed = (task: { name: string }) => forget(task.name)
  for (const task of tasse.tasks()) zero(task.name)

  const started = (run: Run) => {
    // A retry keeps its first attempt's fire time; its delay is not lateness.
    if (run.reason !== 'schedule' && run.reason !== 'catch-up') return
    if (run.scheduledAt === null || run.startedAt === null) return
    lateness.observe({}, Math.max(0, (run.startedAt - run.scheduledAt / 1000) / 1000))
  }
  const ended = (run: Run) => {
    zero(run.task)
    runs.inc({ task: run.task, status: run.status })
    const scheduled = run.scheduledAt !== null
    if (run.status === 'skipped' && scheduled) skipped.inc({ task: run.task })
    if (run.status === 'missed') missed.inc({ task: run.task })
    if (run.startedAt !== null && run.endedAt !== null)
      duration.observe({ task: run.task }, (run.endedAt - run.startedAt) / 1000)
    if (run.peakMemoryBytes !== null) peakMemory.observe({ task: run.task }, run.peakMemoryBytes)
    if (run.cpuUserSeconds !== null)
      cpu.observe({ task: run.task, mode: 'user' }, run.cpuUserSeconds)
    if (run.cpuSystemSeconds !== null)
      cpu.observe({ task: run.task, mode: 'system' }, run.cpuSystemSeconds)
    if (run.outputBytes !== null) output.observe({ task: run.task }, run.outputBytes)
  }
  tasse.events.on('run:started', started)
  tasse.events.on('run:ended', ended)
  tasse.events.on('task:added', added)
  tasse.events.on('task:removed', removed)

  return {
    contentType: PROMETHEUS_CONTENT_TYPE,
    async text() {
      const own = exposition(families)
      if (!(options.processMetrics ?? true)) return own
      processMetrics ??= loadProcessMetrics()
      return `${own}${await (await processMetrics).metrics()}`
    },
    names: () => families.map((family) => family.name),
    countNotification(target, result) {
      if (result !== 'sending') notifications.inc({ target, result })
    },
    close() {
      tasse.events.off('run:started', started)
      tasse.events.off('run:ended', ended)
      tasse.events.off('task:added', added)
      tasse.events.off('task:removed', removed)
    },
  }
}

/**
 * Node's process metrics in a registry of their own. From the first scrape on: the CPU, memory,
 * file descriptor and start-time series read the process's totals, while the GC and event-loop
 * histograms count from then.
 */
async function loadProcessMetrics(): Promise<Registry> {
  const { Counter, Registry, collectDefaultMetrics } = await import('prom-client')
  const registry = new Registry()
  const used = process.cpuUsage()
  // The event-loop lag is sampled once a second, not every 10 ms (prom-client's default): the
  // default woke an idle host 100 times a second, most of its idle CPU (0.5 % of a core).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1000 })
  // prom-client counts the CPU used from here (its first scrape, this host loading it lazily):
  // the CPU the process used before is added, so that the counters are the process's own.
  const { user, system } = { user: used.user / 1e6, system: used.system / 1e6 }
  for (const [name, value] of [
    ['process_cpu_user_seconds_total', user],
    ['process_cpu_system_seconds_total', system],
    ['process_cpu_seconds_total', user + system],
  ] as const) {
    const counter = registry.getSingleMetric(name)
    if (counter instanceof Counter) counter.inc(value)
  }
  // Gauges named like counters, which `promtool check metrics` refuses; the same counts are
  // in nodejs_active_handles, nodejs_active_requests and nodejs_active_resources (by type).
  for (const name of MISNAMED_DEFAULT_GAUGES) registry.removeSingleMetric(name)
  return registry
}

/** prom-client's default gauges whose names end in `_total`, a suffix kept for counters. */
const MISNAMED_DEFAULT_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const
