/** What every dashboard page is given. */
import type { Tasse, TasseLogger } from '@tasse/core'
import type { DashboardAssets } from './assets.js'
import type { LiveHub } from './live.js'
import type { RecentRuns } from './recent-runs.js'

export interface Board {
  tasse: Tasse
  logger: TasseLogger
  assets: DashboardAssets
  hub: LiveHub
  /** Each task's last runs, for the task list's strips. */
  recent: RecentRuns
  /** Whether the host needs a token (then pages offer to sign out). */
  secured: boolean
  /** The host's version, for the host page. */
  version: string
  /** When the dashboard (the host) started, epoch ms. */
  startedAt: number
}
