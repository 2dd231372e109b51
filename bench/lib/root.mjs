/**
 * Which Tasse is measured: the repository this bench folder is in, or another checkout given
 * by `--root DIR` (e.g. a clean export of a commit, built there, while the working tree is being
 * edited). Packages are resolved from that root's node_modules, as a user's app would.
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
let root = resolve(here, '../..')

export function setRoot(dir) {
  root = resolve(dir)
}

export function getRoot() {
  return root
}

export function hostCli() {
  return join(root, 'packages/host/bundle/cli.js')
}

/**
 * The Node.js options `npm start` gives the host in the measured root (its package.json's
 * `start` script: the options between `node` and the CLI), so that the bench measures the host
 * as users run it, whatever the commit.
 */
export function hostNodeOptions() {
  try {
    const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
    const words = (scripts?.start ?? '').split(/\s+/)
    const from = words.indexOf('node') + 1
    if (from === 0) return []
    const options = []
    for (const word of words.slice(from)) {
      if (!word.startsWith('--')) break
      options.push(word)
    }
    return options
  } catch {
    return []
  }
}

/** Imports a package as resolved from the measured root; `{ missing }` when not there. */
export async function importFromRoot(specifier) {
  let path
  try {
    path = createRequire(join(root, 'package.json')).resolve(specifier)
  } catch (cause) {
    return { missing: `${specifier} is not installed (${cause.code ?? cause.message})` }
  }
  if (!existsSync(path)) return { missing: `${specifier} is not built` }
  try {
    return await import(pathToFileURL(path).href)
  } catch (cause) {
    return { missing: `${specifier} failed to load: ${cause.message.split('\n')[0]}` }
  }
}
