/**
 * Which plugins a host loads beyond its built-in ones: `--plugin SPEC` (repeatable),
 * `TASSE_PLUGINS=a,b` and the `plugins:` list of the host configuration file
 * `<data>/tasse.yaml`. A spec is a package name or a path; only the file gives options.
 */
import { isAbsolute, resolve } from 'node:path'
import { TasseError } from '@tasse/core'
import { show, unknownKeyProblem } from '@tasse/core/plugin-kit'
import { readHostFile } from './host-file.js'

/** One plugin to load, and where it was asked for (for messages). */
export interface PluginSpec {
  /** A package name (`tasse-trigger-x`, `@scope/name`) or a path (absolute once read). */
  spec: string
  /** `--plugin`, `TASSE_PLUGINS` or `<file>: plugins[i]`. */
  source: string
  /** Given to a plugin factory (`tasse.yaml` only). */
  options?: Record<string, unknown>
}

const ENTRY_KEYS = ['name', 'options']

/**
 * The plugin specs, in the order they load: the file's, then `TASSE_PLUGINS`', then `--plugin`'s;
 * one named twice is loaded once (its first mention, which may carry options, wins).
 */
export function readPluginSpecs(
  dataDir: string,
  flag: unknown,
  env: NodeJS.ProcessEnv = process.env,
): PluginSpec[] {
  const specs = [
    ...fileSpecs(dataDir),
    ...listed(env.TASSE_PLUGINS?.split(',') ?? [], 'TASSE_PLUGINS'),
    ...listed(Array.isArray(flag) ? flag : flag === undefined ? [] : [flag], '--plugin'),
  ]
  const seen = new Set<string>()
  return specs.filter((s) => !seen.has(s.spec) && seen.add(s.spec))
}

/** Whether a spec is a path (resolved against `base`) rather than a package name. */
export function isPathSpec(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec)
}

function listed(items: readonly unknown[], source: string): PluginSpec[] {
  return items
    .map((item) => String(item).trim())
    .filter((item) => item !== '')
    .map((item) => ({ spec: absolute(item, process.cwd()), source }))
}

function absolute(spec: string, base: string): string {
  return isPathSpec(spec) ? resolve(base, spec) : spec
}

function fileSpecs(dataDir: string): PluginSpec[] {
  const { file, config } = readHostFile(dataDir)
  const list = config.plugins ?? []
  if (!Array.isArray(list))
    throw new TasseError(
      'config',
      `${file}: plugins must be a list of package names or paths (or {name, options}), got ${show(list)}`,
    )
  // Paths in the file are relative to the data folder, which moves with it (into a container).
  return list.map((entry, i) => fileEntry(entry, `${file}: plugins[${i}]`, dataDir))
}

function fileEntry(entry: unknown, source: string, dataDir: string): PluginSpec {
  if (typeof entry === 'string' && entry.trim() !== '')
    return { spec: absolute(entry.trim(), dataDir), source }
  if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
    const { name, options } = entry as Record<string, unknown>
    for (const key of Object.keys(entry))
      if (!ENTRY_KEYS.includes(key))
        throw new TasseError(
          'config',
          `${source}: ${key} ${unknownKeyProblem(key, ENTRY_KEYS, 'key')}`,
        )
    if (typeof name !== 'string' || name.trim() === '')
      throw new TasseError(
        'config',
        `${source}: name must be a package name or a path, got ${show(name)}`,
      )
    if (
      options !== undefined &&
      (options === null || typeof options !== 'object' || Array.isArray(options))
    )
      throw new TasseError(
        'config',
        `${source}: options must be a mapping (what the plugin's factory takes), got ${show(options)}`,
      )
    return {
      spec: absolute(name.trim(), dataDir),
      source,
      ...(options ? { options: options as Record<string, unknown> } : {}),
    }
  }
  throw new TasseError(
    'config',
    `${source} must be a package name, a path, or {name, options}, got ${show(entry)}`,
  )
}
