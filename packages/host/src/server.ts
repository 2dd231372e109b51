/**
 * `tasse serve`: a Tasse instance on a data folder, with the HTTP app on a port, stopped cleanly
 * by SIGINT or SIGTERM (running tasks get the shutdown grace period to finish).
 */
import type { AddressInfo } from 'node:net'
import { serve as serveHttp } from '@hono/node-server'
import { createTasse, type Tasse, type TassePlugin } from '@tasse/core'
import { createApp } from './app.js'
import type { HostConfig } from './config.js'
import { builtinPlugins } from './plugins.js'

export interface RunningHost {
  tasse: Tasse
  /** The base URL it listens on, e.g. `http://127.0.0.1:5000`. */
  url: string
  /** Stops serving, lets running tasks finish within the grace period, closes the store. */
  close(): Promise<void>
}

/** Starts a host. The promise resolves once it listens. */
export async function startHost(
  config: HostConfig,
  extraPlugins: readonly TassePlugin[] = [],
): Promise<RunningHost> {
  const tasse = createTasse({
    dataDir: config.dataDir,
    plugins: [...builtinPlugins(config.dataDir), ...extraPlugins],
    timezone: config.timezone,
    concurrency: config.concurrency,
    shutdownGraceMs: config.shutdownGraceMs,
  })
  await tasse.start()
  const app = createApp({ tasse })
  const server = await new Promise<ReturnType<typeof serveHttp>>((resolve, reject) => {
    const s = serveHttp({ fetch: app.fetch, port: config.port, hostname: config.host }, () =>
      resolve(s),
    )
    s.once('error', reject)
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`
  tasse.logger.info(`serving ${config.dataDir} on ${url} (${tasse.tasks().length} task(s))`)
  let closing: Promise<void> | null = null
  return {
    tasse,
    url,
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()))
        await tasse.stop()
      })()
      return closing
    },
  }
}

/** Runs a host until SIGINT or SIGTERM; resolves with the exit code. */
export async function serveUntilSignal(config: HostConfig): Promise<number> {
  const host = await startHost(config)
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      host.tasse.logger.info(
        `${signal} received: stopping (running tasks get ${config.shutdownGraceMs / 1000}s)`,
      )
      resolve()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await host.close()
  host.tasse.logger.info('stopped')
  return 0
}
