/**
 * `tasse serve`: a Tasse instance on a data folder, with the HTTP app on a port, stopped cleanly
 * by SIGINT or SIGTERM (running tasks get the shutdown grace period to finish).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { releaseFreeMemory, spawnPath, type Tasse } from '@tasse/core'
import { Notifier } from './alerts/notifier.js'
import { notifyDefaults } from './alerts/notify-defaults.js'
import type { AppOptions } from './app.js'
import type { HostConfig } from './config.js'
import { hostLogger, logRunEnds } from './host-log.js'
import { createHostTasse, type HostOptions } from './host-tasse.js'
import { lazyListener } from './lazy-listener.js'
import { createMetrics } from './metrics.js'
import { loadPlugins } from './plugin-loader.js'
import { healthz, readyz } from './probes.js'
import { resolveAuth } from './tokens.js'

export { createHostTasse, type HostOptions } from './host-tasse.js'

export interface RunningHost {
  tasse: Tasse
  /** The base URL it listens on, e.g. `http://127.0.0.1:5000`. */
  url: string
  /** Stops serving, lets running tasks finish within the grace period, closes the store. */
  close(): Promise<void>
}

/**
 * Starts a host. It listens first (so `/healthz` answers and `/readyz` says "starting"), then
 * recovers and discovers the tasks; the promise resolves once both are done.
 *
 * @example
 * const host = await startHost(readConfig({ data: 'data', port: '0' }))
 * await fetch(`${host.url}/api/v1/tasks`)
 * await host.close()
 */
export async function startHost(
  config: HostConfig,
  options: HostOptions = {},
): Promise<RunningHost> {
  const logger =
    options.logger ?? hostLogger({ format: config.logFormat, timezone: config.timezone })
  const defaults = notifyDefaults(config)
  const loaded = await loadPlugins(config.plugins, config.dataDir)
  for (const { label, file } of loaded) logger.info(`plugin ${label} (${file})`)
  const plugins = [...loaded.map((l) => l.plugin), ...(options.plugins ?? [])]
  const tasse = createHostTasse(config, { ...options, plugins, logger })
  const auth = resolveAuth(config, tasse.logger)
  const metrics = createMetrics(tasse)
  const stopLoggingRuns = logRunEnds(tasse, logger)
  let url = ''
  const notifier = new Notifier({
    tasse,
    defaults,
    baseUrl: () => config.publicUrl ?? url,
    onResult: (target, result) => metrics.countNotification(target, result),
  })
  let ready = false
  const appOptions: AppOptions = {
    notifier,
    tasse,
    tokens: auth.tokens,
    tokenHint: auth.tokens ? `accepted tokens come from ${auth.hint}` : '',
    ready: () => ready,
    metrics,
    allowedHosts: config.allowedHosts,
    startedAt: Date.now(),
  }
  // The probes are answered here; the app and Hono's Node adapter load on the first other
  // request (lazy-listener.ts).
  const server = createServer(
    lazyListener({
      probe: (path) => (path === '/healthz' ? healthz() : readyz(tasse, () => ready)),
      load: async () => {
        const [{ getRequestListener }, { createApp }] = await Promise.all([
          import('@hono/node-server'),
          import('./app.js'),
        ])
        // As Hono's serve() does: the listen address stands for a missing Host header.
        return getRequestListener(createApp(appOptions).fetch, { hostname: config.host })
      },
      logger: tasse.logger,
    }),
  )
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => resolve())
  })
  const stopServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      // Followed logs (SSE) stay open until their run ends; shutting down must not wait.
      if ('closeAllConnections' in server) server.closeAllConnections()
    })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  url = `http://${host}:${address.port}`
  try {
    await tasse.start({ url })
  } catch (cause) {
    await stopServer()
    await notifier.close()
    metrics.close()
    stopLoggingRuns()
    await tasse.stop(0).catch(() => {})
    throw cause
  }
  ready = true
  logSpawnPath(tasse.logger)
  // Said once: what a task's `limits:` gets here, and why not where it cannot.
  for (const line of tasse.describeLimits().split('\n')) tasse.logger.info(line)
  tasse.logger.info(`serving ${config.dataDir} on ${url} (${tasse.tasks().length} task(s))`)
  let closing: Promise<void> | null = null
  return {
    tasse,
    url,
    close: () => {
      closing ??= (async () => {
        ready = false
        await stopServer()
        await tasse.stop()
        await notifier.close()
        metrics.close()
        stopLoggingRuns()
      })()
      return closing
    },
  }
}

/**
 * Runs a host until SIGINT or SIGTERM; resolves with the exit code. The signals are caught from
 * the start: one that arrives while the host starts (`docker stop` right after `docker start`)
 * stops it cleanly once started, rather than killing it half-way.
 */
export async function serveUntilSignal(
  config: HostConfig,
  options: HostOptions = {},
): Promise<number> {
  let received: NodeJS.Signals | null = null
  let wake = () => {}
  const onSignal = (signal: NodeJS.Signals) => {
    received ??= signal
    wake()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  let host: RunningHost
  try {
    host = await startHost(config, options)
  } catch (cause) {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    throw cause
  }
  try {
    // Start-up (reading the code, the task folders, the store) freed memory that the C
    // library keeps for later unless asked: 1-3 MB of a host that then mostly waits (#19).
    releaseFreeMemory()
    if (received === null)
      await new Promise<void>((resolve) => {
        wake = resolve
      })
    host.tasse.logger.info(
      `${received} received: stopping (running tasks get ${config.shutdownGraceMs / 1000}s)`,
    )
  } finally {
    // Whatever ends the wait, the host stops: a started host left running by an error here
    // would outlive the command and no longer answer its stop signal.
    await host.close()
  }
  host.tasse.logger.info('stopped')
  return 0
}

/**
 * Says how runs start: the posix_spawn addon, or child_process (a fork() of the whole host,
 * slower as it grows) with why, so that an image or an install without the addon is seen.
 */
function logSpawnPath(logger: Tasse['logger']): void {
  if (spawnPath() === 'posix_spawn') {
    logger.info('runs start through posix_spawn')
    return
  }
  const why =
    process.env.TASSE_SPAWN === 'child_process'
      ? 'TASSE_SPAWN=child_process'
      : process.platform !== 'linux'
        ? `posix_spawn is used on Linux only, this is ${process.platform}`
        : 'the posix_spawn addon is not built: install python3, make and g++, then run "npm rebuild @tasse/core"'
  logger.warn(`runs start through child_process (${why})`)
}
