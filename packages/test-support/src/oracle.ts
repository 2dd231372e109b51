/**
 * APScheduler 3.9.1 as a test oracle: cases go to `apscheduler-oracle.py`, run by Debian's
 * /usr/bin/python3 (python3-apscheduler), in one process for a whole batch.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { EpochMicros } from '@tasse/core'

export const PYTHON = '/usr/bin/python3'
export const ORACLE = fileURLToPath(new URL('./apscheduler-oracle.py', import.meta.url))

/** True when /usr/bin/python3 exists (its standard zoneinfo is an oracle of PEP 495). */
export const hasPython = existsSync(PYTHON)

/** True when Debian's python3-apscheduler is importable by /usr/bin/python3. */
export const hasApscheduler =
  existsSync(PYTHON) &&
  spawnSync(PYTHON, ['-c', 'import apscheduler, pytz'], { stdio: 'ignore' }).status === 0

export interface OracleCase {
  trigger: 'cron' | 'interval' | 'date'
  options: Record<string, unknown>
  now: EpochMicros
  count: number
}

export interface OracleAnswer {
  fires: EpochMicros[]
  error: string | null
}

/** Runs every case through APScheduler 3.9.1 in one Python process. */
export function runOracle(cases: readonly OracleCase[]): OracleAnswer[] {
  const result = spawnSync(PYTHON, [ORACLE], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  if (result.status !== 0) throw new Error(`oracle failed: ${result.stderr}`)
  return JSON.parse(result.stdout) as OracleAnswer[]
}
