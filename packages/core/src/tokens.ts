/**
 * The dependency-injection tokens: every extension point and core service is registered and
 * resolved under one of these (never by class, so no decorator metadata is ever needed).
 */
import type { InjectionToken } from 'tsyringe'
import type { LogSink, Runner, RunStore, TasseLogger, TriggerFactory } from './types.js'

export const TOKENS = {
  /** Multi: one `TriggerFactory` per `trigger:` type. */
  TriggerFactory: Symbol.for('tasse.TriggerFactory') as InjectionToken<TriggerFactory>,
  /** Multi: `Runner`s, the claiming one of highest priority runs a task. */
  Runner: Symbol.for('tasse.Runner') as InjectionToken<Runner>,
  /** Multi: every `LogSink` gets every run's events and output. */
  LogSink: Symbol.for('tasse.LogSink') as InjectionToken<LogSink>,
  /** Single: the `RunStore`; the last registration wins. */
  RunStore: Symbol.for('tasse.RunStore') as InjectionToken<RunStore>,
  /** Single: where Tasse writes about itself. */
  Logger: Symbol.for('tasse.Logger') as InjectionToken<TasseLogger>,
} as const
