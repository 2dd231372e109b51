/**
 * Loads the plugins a host is asked for (`plugin-specs.ts`) by package name or path. A package
 * is looked for in `<data>/node_modules` first (where an operator installs one without
 * rebuilding an image: `npm install --prefix /data tasse-trigger-x`), then where Node would
 * find it from the host. Its module may export the plugin as `default` or `plugin`, or a
 * factory (as `default` or `plugin`) that takes the options and returns it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createRequire, register } from 'node:module'
import { basename, dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { TassePlugin } from '@tasse/core'
import { CliError, EXIT } from './cli/exit-codes.js'
import { isPathSpec, type PluginSpec } from './plugin-specs.js'

/** A plugin loaded, with what the host logs of it. */
export interface LoadedPlugin {
  plugin: TassePlugin
  /** `name@version` (the package's), or the plugin's name for a file outside any package. */
  label: string
  /** The file imported. */
  file: string
}

interface Manifest {
  name?: string
  version?: string
  main?: string
  exports?: unknown
}

/** Loads every spec in order; the first that cannot be loaded stops it, naming the spec. */
export async function loadPlugins(
  specs: readonly PluginSpec[],
  dataDir: string,
): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = []
  for (const spec of specs) loaded.push(await loadPlugin(spec, dataDir))
  return loaded
}

/** The plugin objects of `loadPlugins`. */
export async function loadPluginObjects(
  specs: readonly PluginSpec[],
  dataDir: string,
): Promise<TassePlugin[]> {
  return (await loadPlugins(specs, dataDir)).map((loaded) => loaded.plugin)
}

async function loadPlugin(spec: PluginSpec, dataDir: string): Promise<LoadedPlugin> {
  const where = `plugin ${JSON.stringify(spec.spec)} (${spec.source})`
  let found: Found
  try {
    found = isPathSpec(spec.spec) ? atPath(spec.spec) : inNodeModules(spec.spec, dataDir)
  } catch (cause) {
    throw failed(`${where} cannot be loaded: ${message(cause)}`, spec, cause)
  }
  if ('lookedIn' in found)
    throw new CliError(
      EXIT.notFound,
      'plugin_not_found',
      `${where} was not found: looked in ${found.lookedIn.join(', ')}${
        isPathSpec(spec.spec)
          ? ''
          : ` (install it with: npm install --prefix ${dataDir} ${spec.spec})`
      }`,
      { spec: spec.spec, source: spec.source, lookedIn: found.lookedIn },
    )
  let module: Record<string, unknown>
  try {
    shareCore()
    module = await import(pathToFileURL(found.file).href)
  } catch (cause) {
    throw failed(`${where} failed to load from ${found.file}: ${message(cause)}`, spec, cause)
  }
  let plugin: TassePlugin
  try {
    plugin = await pluginOf(module, spec.options)
  } catch (cause) {
    throw failed(`${where} from ${found.file}: ${message(cause)}`, spec, cause)
  }
  const version = found.manifest?.version ?? plugin.version
  return {
    plugin,
    label: version ? `${found.manifest?.name ?? plugin.name}@${version}` : plugin.name,
    file: found.file,
  }
}

/**
 * The plugin a module exports: `default` or `plugin` as a plugin, else the first of them that
 * is a function, called with the options (it may return a promise).
 */
async function pluginOf(
  module: Record<string, unknown>,
  options: Record<string, unknown> | undefined,
): Promise<TassePlugin> {
  const exported = [module.default, module.plugin]
  const ready = exported.find(isPlugin)
  const factory = exported.find((value) => typeof value === 'function')
  // Options go to a factory; without options, a plugin ready-made is taken first.
  if (ready && !options) return ready
  if (typeof factory === 'function') {
    const made = await factory(options ?? {})
    if (isPlugin(made)) return made
    throw new Error(
      `its factory returned ${describe(made)}, not a plugin ({ name: string, register(context) })`,
    )
  }
  if (ready)
    throw new Error(
      'options are given but the module exports a plugin, not a factory that takes options',
    )
  const names = Object.keys(module)
  throw new Error(
    `it exports no plugin: expected \`default\` or \`plugin\` to be a plugin ({ name, register }) or a factory of one; it exports ${names.length ? names.join(', ') : 'nothing'}`,
  )
}

function isPlugin(value: unknown): value is TassePlugin {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as TassePlugin).name === 'string' &&
    typeof (value as TassePlugin).register === 'function'
  )
}

/**
 * A resolve hook that makes every `import '@tasse/core…'` resolve from the host: a plugin in
 * `<data>/node_modules` declares core as a peer and has no copy of its own to find (or has one
 * npm installed for the peer), and two copies of core would not share one instance's state.
 */
const SHARE_CORE_HOOK = `
let parentURL
export function initialize(data) { parentURL = data.parentURL }
export function resolve(specifier, context, next) {
  if (specifier === '@tasse/core' || specifier.startsWith('@tasse/core/'))
    return next(specifier, { ...context, parentURL })
  return next(specifier, context)
}`

let coreShared = false

/** Registers `SHARE_CORE_HOOK` once per process, before the first plugin is imported. */
function shareCore(): void {
  if (coreShared) return
  coreShared = true
  register(`data:text/javascript,${encodeURIComponent(SHARE_CORE_HOOK)}`, {
    parentURL: import.meta.url,
    data: { parentURL: import.meta.url },
  })
}

type Found = { file: string; manifest: Manifest | null } | { lookedIn: string[] }

/** A file, or a package's folder (its entry). */
function atPath(path: string): Found {
  let stats: ReturnType<typeof statSync>
  try {
    stats = statSync(path)
  } catch {
    return { lookedIn: [path] }
  }
  if (stats.isDirectory()) {
    const manifest = readManifest(path)
    return { file: join(path, packageEntry(manifest ?? {})), manifest }
  }
  // A file in a package is labelled with its name@version; one outside any (a repository's
  // root manifest has no version) with the plugin's own name.
  const manifest = nearestManifest(dirname(path))
  return { file: path, manifest: manifest?.name && manifest.version ? manifest : null }
}

/** The package `name` in `<data>/node_modules`, then in the folders Node searches from the host. */
function inNodeModules(name: string, dataDir: string): Found {
  const fromHost = createRequire(import.meta.url).resolve.paths(name) ?? []
  // Node's global folders (~/.node_modules, …) serve `require` only, never `import`.
  const lookedIn = [...new Set([join(dataDir, 'node_modules'), ...fromHost.filter(isNodeModules)])]
  for (const folder of lookedIn) {
    const dir = join(folder, name)
    const manifest = readManifest(dir)
    if (manifest) return { file: join(dir, packageEntry(manifest)), manifest }
  }
  return { lookedIn }
}

function isNodeModules(folder: string): boolean {
  return basename(folder) === 'node_modules'
}

function readManifest(dir: string): Manifest | null {
  const file = join(dir, 'package.json')
  if (!existsSync(file)) return null
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Manifest
  } catch (cause) {
    throw new Error(`${file} is not a readable package.json: ${message(cause)}`)
  }
}

function nearestManifest(dir: string): Manifest | null {
  for (let at = dir; ; at = dirname(at)) {
    const manifest = readManifest(at)
    if (manifest || dirname(at) === at) return manifest
  }
}

/**
 * A package's main module as `import` would pick it: `exports` (its "." entry, through the
 * `import`, `node` and `default` conditions), else `main`, else `index.js`.
 */
export function packageEntry(manifest: Manifest): string {
  const exports = manifest.exports
  const dot =
    exports !== null && typeof exports === 'object' && '.' in exports
      ? (exports as Record<string, unknown>)['.']
      : exports
  const entry = pickCondition(dot)
  return entry ?? manifest.main ?? 'index.js'
}

function pickCondition(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return value.map(pickCondition).find((v) => v !== undefined)
  if (value === null || typeof value !== 'object') return undefined
  for (const [condition, target] of Object.entries(value))
    if (['import', 'node', 'default'].includes(condition)) {
      const picked = pickCondition(target)
      if (picked !== undefined) return picked
    }
  return undefined
}

function failed(text: string, spec: PluginSpec, cause: unknown): CliError {
  const error = new CliError(EXIT.failed, 'plugin_failed', text, {
    spec: spec.spec,
    source: spec.source,
  })
  ;(error as { cause?: unknown }).cause = cause
  return error
}

function message(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause)
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
}
