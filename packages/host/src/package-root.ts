/**
 * The files the host reads at run time from its own package: `package.json` (its version) and
 * `assets/` (the dashboard's). Found from this module, which lies one folder below the package
 * wherever it runs from: `src/` (tests), `dist/` (tsc's output) or `bundle/` (what `tasse`
 * runs, where the bundler puts this module's code in a chunk of that folder).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const PACKAGE_ROOT = new URL('../', import.meta.url)

/** The absolute path of `relative` in the host's package folder. */
export function packagePath(relative: string): string {
  return fileURLToPath(new URL(relative, PACKAGE_ROOT))
}

/** The version of @tasse/host, from its package.json. */
export function hostVersion(): string {
  const manifest = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as {
    version: string
  }
  return manifest.version
}
