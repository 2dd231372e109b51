/**
 * `/healthz` and `/readyz`, apart from the HTTP framework: orchestrators and the image's
 * HEALTHCHECK call them every few seconds, and `server.ts` answers them with Node's `http`
 * alone so that an idle host never loads Hono's Node adapter (which subclasses the global
 * `Request`, loading undici and compiling its WebAssembly parser: 12 MB of RSS). The Hono app
 * answers them from here too, so both say the same.
 */
import type { Tasse } from '@tasse/core'

/** What a probe answers: a status and a JSON body. */
export interface ProbeAnswer {
  status: 200 | 503
  body: Record<string, unknown>
}

/** The probe paths, answered without a token, a Host check or a started host. */
export const PROBE_PATHS = ['/healthz', '/readyz'] as const

/** `/healthz`: the process answers. */
export function healthz(): ProbeAnswer {
  return { status: 200, body: { status: 'ok' } }
}

/**
 * `/readyz`: started (first discovery done, not stopping), the run store answering within 2 s,
 * and the tasks folder readable.
 *
 * @example
 * const { status, body } = await readyz(tasse, () => started)
 */
export async function readyz(tasse: Tasse, ready: () => boolean): Promise<ProbeAnswer> {
  if (!ready()) return { status: 503, body: { status: 'starting', store: 'unknown' } }
  try {
    await withTimeout(tasse.store.getRun('readyz'), 2000)
  } catch (cause) {
    tasse.logger.error('readiness: the run store does not answer', cause)
    return { status: 503, body: { status: 'unavailable', store: 'failing' } }
  }
  // The host works but not as configured (its tasks folder cannot be read): not ready, so
  // that an orchestrator or a probe sees it; the API goes on serving.
  const problems = tasse.problems()
  if (problems.length)
    return {
      status: 503,
      body: { status: 'unavailable', store: 'ok', tasks: tasse.listTasks().length, problems },
    }
  return { status: 200, body: { status: 'ready', store: 'ok', tasks: tasse.listTasks().length } }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
