/** @tasse/host: the Tasse service, for tests and for embedding the whole host. */
export { type AppOptions, createApp } from './app.js'
export { CONFIG_FLAGS, ConfigError, type HostConfig, readConfig } from './config.js'
export { builtinPlugins, stateDir } from './plugins.js'
export { type RunningHost, serveUntilSignal, startHost } from './server.js'
