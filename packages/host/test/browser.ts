/**
 * Debian's Chromium driven by playwright-core, for the dashboard's browser tests and
 * screenshots. Playwright's own browser download cannot run here; `/usr/bin/chromium` is
 * installed by `.ci/run`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium } from 'playwright-core'

export const CHROMIUM = process.env.TASSE_CHROMIUM ?? '/usr/bin/chromium'
export const hasChromium = existsSync(CHROMIUM)

export interface Chromium {
  context: BrowserContext
  close(): Promise<void>
}

/** A headless Chromium with a fresh profile folder, removed on close. */
export async function launchChromium(
  options: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {},
): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'tasse-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    colorScheme: options.colorScheme ?? 'light',
    viewport: { width: options.width ?? 1280, height: options.height ?? 800 },
    args: [
      // Chromium's sandbox needs user namespaces that root (as in CI) cannot use.
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  })
  return {
    context,
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
