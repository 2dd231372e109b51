/**
 * Timestamps of one fire's path through the host, for `npm run bench` (the trigger-breakdown
 * scenario): with `TASSE_TRACE=1` in the host's environment, each step writes one line
 * `[tasse-trace] <step> <run id or path> <wall clock, µs since the epoch>` to stderr. Off (the
 * default), a mark is one comparison. The wall clock (not `performance.now()`) so that the
 * bench can put the host's marks beside its own request time and the task's `$EPOCHREALTIME`.
 */
const enabled = process.env.TASSE_TRACE === '1'

/** The steps, in the order a fire passes them. */
export type FireStep =
  | 'fire' // the scheduler fires a fire time (subject `<task>@<fire time, µs>`)
  | 'request' // the HTTP app has the request (host)
  | 'submit' // the executor has the run request
  | 'admitted' // admission decided, inside the store's admitRun (the run is written with it)
  | 'recorded' // the run is in the store
  | 'spawn' // startChild is called (the runner has prepared)
  | 'spawned' // the child exists (spawn returned, or its 'spawn' event)

/** Marks `step` for `subject` (a run id, or a request's path before there is a run). */
export function traceFire(step: FireStep, subject: string): void {
  if (!enabled) return
  const micros = Math.round((performance.timeOrigin + performance.now()) * 1000)
  process.stderr.write(`[tasse-trace] ${step} ${subject} ${micros}\n`)
}
