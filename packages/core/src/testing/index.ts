/**
 * `@tasse/core/testing`: the contract suites and fixture helpers that store and plugin packages
 * run in their own tests. Imports Vitest, so it is only for test files.
 */

export { cpuMillis } from './cpu-time.js'
export {
  LOG_SINK_CONTRACT_TESTS,
  type LogSinkContractTest,
  makeTask,
  type TestLogSinkOptions,
  testLogSink,
} from './log-sink.js'
export { makeRun, type TestRunStoreOptions, testRunStore } from './run-store.js'
export { CONTRACT_MAX_OUTPUT_BYTES, type RunStoreClusterOptions } from './run-store-cluster.js'
export {
  RUNNER_CONTRACT_TESTS,
  type RunnerContractTest,
  type RunnerFixture,
  type TestRunnerOptions,
  testRunner,
} from './runner.js'
export type { SkippedTests } from './skip.js'
export {
  type InvalidTriggerOptions,
  type TestTriggerFactoryOptions,
  type TestTriggerOptions,
  TRIGGER_CONTRACT_FROM,
  TRIGGER_CONTRACT_TESTS,
  TRIGGER_FACTORY_CONTRACT_TESTS,
  type TriggerContractTest,
  type TriggerFactoryContractTest,
  testTrigger,
  testTriggerFactory,
} from './trigger.js'
