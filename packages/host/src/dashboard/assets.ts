/**
 * The dashboard's two static files, served by the host itself (no CDN: a host may have no
 * internet, and a page should not tell a third party who looks at it):
 * - one stylesheet: Pico CSS (from node_modules) followed by our few rules (`assets/tasse.css`);
 * - one ES module: `assets/live.js` (live updates, relative times, form checks).
 * Their URLs carry a hash of their content, so they can be cached for a year (`immutable`) and
 * an upgrade still reaches every browser at once.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { packagePath } from '../package-root.js'

const ASSETS_DIR = packagePath('assets/')

export interface Asset {
  body: string
  type: string
}

export interface DashboardAssets {
  /** e.g. `/assets/tasse.3f2a9c1b7d04.css` */
  styleUrl: string
  scriptUrl: string
  /** The asset at `path` (`/assets/…`), or `undefined`: an unknown or outdated URL. */
  get(path: string): Asset | undefined
}

/** A year: the URL changes with the content, so a cached copy never goes stale. */
export const IMMUTABLE = 'public, max-age=31536000, immutable'

let loaded: DashboardAssets | undefined

/** The assets, read once per process. */
export function dashboardAssets(): DashboardAssets {
  loaded ??= loadAssets()
  return loaded
}

function loadAssets(): DashboardAssets {
  const require = createRequire(import.meta.url)
  const pico = readFileSync(require.resolve('@picocss/pico/css/pico.min.css'), 'utf8')
  // Its source map is not shipped beside it: a browser would ask for it and get a 404.
  const css = `${pico.replace(/\/\*# sourceMappingURL=[^*]*\*\/\s*$/, '')}\n${read('tasse.css')}`
  const js = read('live.js')
  const files = new Map<string, Asset>()
  const add = (name: string, ext: string, body: string, type: string) => {
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12)
    const path = `/assets/${name}.${hash}.${ext}`
    files.set(path, { body, type })
    return path
  }
  return {
    styleUrl: add('tasse', 'css', css, 'text/css; charset=utf-8'),
    scriptUrl: add('live', 'js', js, 'text/javascript; charset=utf-8'),
    get: (path) => files.get(path),
  }
}

function read(name: string): string {
  return readFileSync(`${ASSETS_DIR}${name}`, 'utf8')
}
