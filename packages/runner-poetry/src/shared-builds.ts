/**
 * One build per environment at a time, in this process. Runs that need the same environment
 * with the same inputs wait for one build and share its outcome (failure included); a run that
 * needs different inputs waits for the build under way to end, then looks again.
 *
 * The table is module-level on purpose: two runner instances (a host that registered the plugin
 * twice, an embedder with two `createTasse()`s) must still never build into one folder at once.
 */

interface Build {
  fingerprint: string
  promise: Promise<unknown>
  /** Ends the build once every run waiting for it has been cancelled. */
  controller: AbortController
  waiting: number
  settled: boolean
  /** What the build announced so far, replayed to a caller that joins later. */
  announced: string[]
  listeners: Set<(message: string) => void>
}

const builds = new Map<string, Build>()

export interface SharedOutcome<T> {
  value: T
  /** `true` when another run started the build and this one waited for it. */
  joined: boolean
}

export interface ShareBuildOptions<T> {
  /** Identifies the environment: builds of one key never overlap. */
  key: string
  /** Identifies the inputs: callers with equal fingerprints share one build. */
  fingerprint: string
  /** Cancels this caller's wait; the build is cancelled when no caller waits for it any more. */
  signal: AbortSignal
  /**
   * The build, started by the first caller. `announce` passes a message to the callers that
   * joined (and will join) this build, e.g. that an install has started.
   */
  work: (signal: AbortSignal, announce: (message: string) => void) => Promise<T>
  /** Receives the build's announcements when this caller joins another's build. */
  onAnnounce?: (message: string) => void
}

/**
 * Runs `work` for `key` unless a build with the same `fingerprint` is under way, in which case
 * its outcome is shared.
 */
export async function shareBuild<T>(options: ShareBuildOptions<T>): Promise<SharedOutcome<T>> {
  const { key, fingerprint, signal, work, onAnnounce } = options
  for (;;) {
    signal.throwIfAborted()
    const current = builds.get(key)
    if (current === undefined) {
      // No await between the lookup and `set`: whoever gets here first owns the build.
      const controller = new AbortController()
      const build: Build = {
        fingerprint,
        controller,
        waiting: 0,
        settled: false,
        announced: [],
        listeners: new Set(),
        promise: Promise.resolve(),
      }
      const announce = (message: string) => {
        build.announced.push(message)
        for (const listener of build.listeners) listener(message)
      }
      build.promise = work(controller.signal, announce).finally(() => {
        build.settled = true
        if (builds.get(key) === build) builds.delete(key)
      })
      builds.set(key, build)
      return { value: (await wait(build, signal)) as T, joined: false }
    }
    // A build being cancelled is not joined: its outcome would be a cancellation this caller
    // never asked for.
    if (current.fingerprint === fingerprint && !current.controller.signal.aborted) {
      if (!onAnnounce) return { value: (await wait(current, signal)) as T, joined: true }
      for (const message of current.announced) onAnnounce(message)
      current.listeners.add(onAnnounce)
      try {
        return { value: (await wait(current, signal)) as T, joined: true }
      } finally {
        current.listeners.delete(onAnnounce)
      }
    }
    // Another run builds from other inputs (the files changed in between), or a build is being
    // cancelled: let it end, then check again, which finds the environment fitting or stale.
    await wait(current, signal, false).catch((error: unknown) => {
      if (signal.aborted) throw error
    })
  }
}

/** Whether a build is under way for `key` (for tests and diagnostics). */
export function buildUnderWay(key: string): boolean {
  return builds.has(key)
}

/** Waits for `build`; a `participant` keeps it alive (the last one to leave cancels it). */
function wait(build: Build, signal: AbortSignal, participant = true): Promise<unknown> {
  if (participant) build.waiting++
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      leave()
      reject(signal.reason)
    }
    let left = false
    const leave = () => {
      if (left) return
      left = true
      signal.removeEventListener('abort', onAbort)
      if (participant && --build.waiting === 0 && !build.settled) build.controller.abort()
    }
    signal.addEventListener('abort', onAbort, { once: true })
    build.promise.then(
      (value) => {
        leave()
        resolve(value)
      },
      (error: unknown) => {
        leave()
        reject(error)
      },
    )
  })
}
