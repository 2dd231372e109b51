/**
 * better-sqlite3's compiled part, given to `new Database` as `nativeBinding`, from where its
 * install puts it (`build/Release` of its package). Without it, better-sqlite3 finds the file
 * with the `bindings` package, which reads its caller's file name to find the package's root:
 * that fails once better-sqlite3's JavaScript is bundled into this package's `bundle/`, and costs
 * a dozen CommonJS loads at start-up where it works (issue #19).
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

let found: { path: string | undefined } | undefined

/** The `.node` file's path, or `undefined` (better-sqlite3 then looks for it itself). */
export function sqliteBinding(): string | undefined {
  if (!found) {
    let path: string | undefined
    try {
      const root = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'))
      path = join(root, 'build', 'Release', 'better_sqlite3.node')
    } catch {
      path = undefined
    }
    found = { path: path && existsSync(path) ? path : undefined }
  }
  return found.path
}
