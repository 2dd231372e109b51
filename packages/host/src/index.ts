/** @tasse/host: the Tasse service, for tests and for embedding the whole host. */
export { type ApiOptions, apiV1 } from './api/index.js'
export {
  type RunView,
  runView,
  type TaskView,
  type TaskViewSource,
  taskView,
} from './api/views.js'
export { type AppOptions, createApp, isActingGet, OPEN_PATHS } from './app.js'
export { type BearerAuthOptions, bearerAuth, tokenMatcher } from './auth.js'
export {
  ClientError,
  DEFAULT_URL,
  type ServerSentEvent,
  serverSentEvents,
  TasseClient,
  type TasseClientOptions,
} from './client.js'
export { CONFIG_FLAGS, type HostConfig, readConfig } from './config.js'
export { runExitCode } from './exit-code.js'
export { formatFireTime } from './fire-times.js'
export { ApiError, type ErrorBody, type ErrorCode, errorBody } from './http-errors.js'
export { createMetrics, type TasseMetrics, type TasseMetricsOptions } from './metrics.js'
export { hostMatcher, hostnameOf, type OriginCheckOptions, originCheck } from './origin-check.js'
export { builtinPlugins, historyPath, stateDir } from './plugins.js'
export {
  createHostTasse,
  type HostOptions,
  type RunningHost,
  serveUntilSignal,
  startHost,
} from './server.js'
export {
  type ApiAuth,
  generatedTokenPath,
  isLoopback,
  readTokensFile,
  resolveAuth,
} from './tokens.js'
