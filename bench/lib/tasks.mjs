/** Writing task folders, and finding what the built Tasse packages support. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { importFromRoot } from './root.mjs'

/** Writes `data/tasks/<name>/{task.yaml,task.sh}`. `yaml` is the file's text. */
export function writeTask(dataDir, name, { yaml, script }) {
  const dir = join(dataDir, 'tasks', name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'task.yaml'), yaml)
  writeFileSync(join(dir, 'task.sh'), script)
  return dir
}

/** A `scheduler:` block from a flat mapping of options (all scalar). */
export function schedulerYaml(options) {
  const lines = ['scheduler:']
  for (const [key, value] of Object.entries(options))
    lines.push(`  ${key}: ${typeof value === 'string' ? JSON.stringify(value) : value}`)
  return `${lines.join('\n')}\n`
}

/** Imports a package of the measured root, or returns `{ missing: reason }`. */
export const optionalImport = importFromRoot

/**
 * The trigger factories a plugin package registers (through `plugin.register(container)`),
 * captured with a stand-in container: the public way a host gets them.
 */
export async function triggerFactories(specifier) {
  const mod = await optionalImport(specifier)
  if (mod.missing) return { missing: mod.missing }
  const plugin = mod.plugin ?? mod.default
  if (!plugin?.register) return { missing: `${specifier} exports no plugin` }
  const factories = []
  // Registers into a stand-in that speaks both plugin interfaces: the PluginContext of today and
  // the tsyringe container plugins received before issue #13 (snapshots of older commits).
  const container = {
    addTrigger: (factory) => void factories.push(factory),
    addRunner: () => {},
    addLogSink: () => {},
    setRunStore: () => {},
    setLogger: () => {},
    register(_token, provider) {
      const value = provider?.useValue
      if (value && typeof value.create === 'function') factories.push(value)
      return container
    },
    registerInstance(_token, value) {
      if (value && typeof value.create === 'function') factories.push(value)
      return container
    },
    registerSingleton: () => container,
    isRegistered: () => false,
  }
  plugin.register(container)
  return { factories, module: mod }
}

/** Options of the `interval` trigger factory of the built @tasse/trigger-interval. */
export async function intervalOptions() {
  const found = await triggerFactories('@tasse/trigger-interval')
  if (found.missing) return { missing: found.missing }
  const factory = found.factories.find((f) => f.type === 'interval')
  return { options: factory ? [...factory.options] : [] }
}
