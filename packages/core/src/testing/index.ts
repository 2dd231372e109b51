/**
 * `@tasse/core/testing`: the contract suites and fixture helpers that store and plugin packages
 * run in their own tests. Imports Vitest, so it is only for test files.
 */
export { makeRun, type TestRunStoreOptions, testRunStore } from './run-store.js'
