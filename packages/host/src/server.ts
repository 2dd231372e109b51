/**
 * `tasse serve`: a Tasse instance on a data folder, with the HTTP app on a port, stopped cleanly
 * by SIGINT or SIGTERM (running tasks get the shutdown grace period to finish).
 */
import type { AddressInfo } from 'node:net'
import { serve as serveHttp } from '@hono/node-server'
import {
  consoleLogger,
  createTasse,
  type Tasse,
  type TasseLogger,
  type TassePlugin,
} from '@tasse/core'
import { createApp } from './app.js'
import type { HostConfig } from './config.js'
import { prepareDataFolder } from './data-folder.js'
import { hostLogger, logRunEnds } from './host-log.js'
import { createMetrics } from './metrics.js'
import { builtinPlugins } from './plugins.js'
import { resolveAuth } from './tokens.js'

const DAY_MS = 24 * 3600 * 1000

export interface RunningHost {
  tasse: Tasse
  /** The base URL it listens on, e.g. `http://127.0.0.1:5000`. */
  url: string
  /** Stops serving, lets running tasks finish within the grace period, closes the store. */
  close(): Promise<void>
}

export interface HostOptions {
  /** Plugins beyond the built-in ones. */
  plugins?: readonly TassePlugin[]
  /**
   * Where the host writes about itself. @default for `startHost`, the operations log in the
   * configured `logFormat` (`hostLogger`); for the commands, the console
   */
  logger?: TasseLogger
}

/**
 * The Tasse instance a host runs on `config`: the built-in plugins (run history in
 * `<data>/.tasse/`) and `plugins`, the configured zone, concurrency and grace. `tasse serve` and
 * `tasse run` both build it here, so a task runs the same way in both.
 */
export function createHostTasse(config: HostConfig, options: HostOptions = {}): Tasse {
  prepareDataFolder(config, options.logger ?? consoleLogger())
  const plugins = [
    ...builtinPlugins(config.dataDir, config.store, { fileMode: config.fileMode }),
    ...(options.plugins ?? []),
  ]
  return createTasse({
    dataDir: config.dataDir,
    plugins,
    fileMode: config.fileMode,
    timezone: config.timezone,
    concurrency: config.concurrency,
    shutdownGraceMs: config.shutdownGraceMs,
    retention: { maxAgeMs: config.retentionDays * DAY_MS, keepPerTask: config.retentionRuns },
    logRotation: {
      rotateBytes: config.logRotateMb * 1024 * 1024,
      retentionMs: config.logRetentionDays * DAY_MS,
    },
    ...(options.logger ? { logger: options.logger } : {}),
  })
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
  const tasse = createHostTasse(config, { ...options, logger })
  const auth = resolveAuth(config, tasse.logger)
  const metrics = createMetrics(tasse)
  const stopLoggingRuns = logRunEnds(tasse, logger)
  let ready = false
  const app = createApp({
    tasse,
    tokens: auth.tokens,
    tokenHint: auth.tokens ? `accepted tokens come from ${auth.hint}` : '',
    ready: () => ready,
    metrics,
    allowedHosts: config.allowedHosts,
  })
  const server = await new Promise<ReturnType<typeof serveHttp>>((resolve, reject) => {
    const s = serveHttp({ fetch: app.fetch, port: config.port, hostname: config.host }, () =>
      resolve(s),
    )
    s.once('error', reject)
  })
  const stopServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      // Followed logs (SSE) stay open until their run ends; shutting down must not wait.
      if ('closeAllConnections' in server) server.closeAllConnections()
    })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`
  try {
    await tasse.start({ url })
  } catch (cause) {
    await stopServer()
    metrics.close()
    stopLoggingRuns()
    await tasse.stop(0).catch(() => {})
    throw cause
  }
  ready = true
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
  if (received === null)
    await new Promise<void>((resolve) => {
      wake = resolve
    })
  host.tasse.logger.info(
    `${received} received: stopping (running tasks get ${config.shutdownGraceMs / 1000}s)`,
  )
  await host.close()
  host.tasse.logger.info('stopped')
  return 0
}
