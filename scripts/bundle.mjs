/**
 * Bundles each workspace package's built output (`dist/`, from `tsc -b`) into `bundle/`: one
 * file per entry of its `exports` (plus `cli` when it has a `dist/cli.js`), with the modules
 * they share in chunks and each dynamic `import()` kept as a chunk loaded on demand. Packages
 * resolve each other's `exports` to these files, and `tasse` runs `packages/host/bundle/cli.js`.
 *
 * Why (issue #19): Node 20 loads ES modules one file at a time, each resolved, read, lexed and
 * linked. The host started from ~160 of our files and ~300 of its dependencies' took 570–660 ms
 * to its first /readyz 200 and held 72 MB idle; bundled, 330–400 ms and 65 MB (BENCHMARKS.md).
 *
 * What stays outside a bundle, imported from node_modules at run time:
 * - the other workspace packages (`@tasse/*`): each has one copy in a process, so a plugin that
 *   imports `@tasse/core` shares the host's instance (and through it, core's tsyringe
 *   container: plugins reach it through the typed plugin context, never import tsyringe);
 * - pg, which looks for its optional native client (pg-native) itself;
 * - anything the package does not list in `dependencies` (peers such as vitest).
 * Every other dependency is inlined: yaml, tsyringe and reflect-metadata (0.2 shares its
 * metadata with any other copy through a global registry), better-sqlite3's JavaScript (its
 * compiled part is found by store-sqlite's native-binding.ts), hono, zod, prom-client… (rrule and
 * re2js are required by their first use, from node_modules: a bundler cannot see a require)
 * A CommonJS package imported at run time is also lexed by Node for its export names: for
 * reflect-metadata's 64 KB, enough work for V8 to start its optimizing compiler during start-up,
 * 4-6 MB of RSS that an idle host then keeps.
 *
 * The bundles sit one folder below their package, as `dist/` does: code that finds a file from
 * `import.meta.url` (the native addon, the host's assets and version) works from either.
 *
 * Usage: `node scripts/bundle.mjs` (run by `npm run build` and `npm test`, after `tsc -b`).
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'rolldown'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
/** Dependencies imported from node_modules at run time rather than inlined (see above). */
const FROM_NODE_MODULES = new Set(['pg'])
const BUILTINS = new Set(builtinModules)

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier) {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/** The entries to bundle: export name → built file, from each export's `types` (tsc emits the
 * `.js` beside its `.d.ts`). Null when the package has no built exports (test-support). */
function entriesOf(dir, manifest) {
  const input = {}
  for (const [key, target] of Object.entries(manifest.exports ?? {})) {
    const types = typeof target === 'object' ? target.types : undefined
    if (!types?.startsWith('./dist/')) return null
    const name = key === '.' ? 'index' : key.slice(2).replaceAll('/', '-')
    const expected = `./bundle/${name}.js`
    if (target.default !== expected)
      throw new Error(
        `${dir}/package.json: exports["${key}"].default is ${JSON.stringify(target.default)}; expected "${expected}" (the bundle of ${types.replace(/\.d\.ts$/, '.js')})`,
      )
    input[name] = join(dir, types.replace(/\.d\.ts$/, '.js'))
  }
  if (existsSync(join(dir, 'dist', 'cli.js'))) input.cli = join(dir, 'dist', 'cli.js')
  return Object.keys(input).length > 0 ? input : null
}

async function bundle(dir, workspaceNames) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const input = entriesOf(dir, manifest)
  if (!input) return null
  for (const file of Object.values(input))
    if (!existsSync(file)) throw new Error(`${file} is missing: run "tsc -b" first`)
  const inline = new Set(
    Object.keys(manifest.dependencies ?? {}).filter(
      (d) => !FROM_NODE_MODULES.has(d) && !workspaceNames.has(d),
    ),
  )
  const external = (id) => {
    if (id.startsWith('.') || id.startsWith('/') || id.startsWith('\0')) return false
    // The bundler's own helpers (a tagged template with `</script` in it is rewritten with one).
    if (id.startsWith('@oxc-project/runtime/')) return false
    if (id.startsWith('node:') || BUILTINS.has(id) || BUILTINS.has(packageOf(id))) return true
    return !inline.has(packageOf(id))
  }
  const out = join(dir, 'bundle')
  rmSync(out, { recursive: true, force: true })
  const { output } = await build({
    input,
    platform: 'node',
    external,
    logLevel: 'warn',
    output: {
      dir: out,
      format: 'esm',
      sourcemap: true,
      comments: { legal: true, annotation: false, jsdoc: false },
      // Chunks named by a module they hold, so a stack trace or a loaded-file list says what
      // it is; `_` sets them apart from the entries.
      chunkFileNames: '_[name]-[hash].js',
    },
  })
  // Every import left to run time must be found from the package, as Node will look for it.
  const files = new Set(output.map((file) => file.fileName))
  for (const chunk of output)
    for (const specifier of [...(chunk.imports ?? []), ...(chunk.dynamicImports ?? [])]) {
      if (files.has(specifier) || !external(specifier)) continue
      if (specifier.startsWith('node:') || BUILTINS.has(packageOf(specifier))) continue
      if (!installed(dir, packageOf(specifier)))
        throw new Error(
          `${out}/${chunk.fileName} imports "${specifier}", which is not installed for ${manifest.name}: list it in its dependencies (it is then bundled) or install it`,
        )
    }
  return { name: manifest.name, entries: Object.keys(input) }
}

/** Whether Node finds package `name` from `dir` (its node_modules or a parent's). */
function installed(dir, name) {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'node_modules', name, 'package.json'))) return true
    if (dirname(at) === at) return false
  }
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const dirs = manifest.workspaces.map((workspace) => join(ROOT, workspace))
const workspaceNames = new Set(
  dirs.map((dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name),
)
const started = performance.now()
const done = []
for (const dir of dirs) {
  const result = await bundle(dir, workspaceNames)
  if (result) done.push(`${result.name} (${result.entries.join(', ')})`)
}
console.log(
  `bundled ${done.length} packages in ${Math.round(performance.now() - started)} ms: ${done.join(', ')}`,
)
