/**
 * The host configuration file, `<data>/tasse.yaml`: optional, in the data folder so that it
 * moves with it. Its keys are read where they are used (`plugins:` by `plugin-specs.ts`,
 * `notify:` by `alerts/notify-defaults.ts`, `limits:` by
 * `host-limits.ts`); this checks that it is a mapping of known keys.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { TasseError } from '@tasse/core'
import { parseYamlMapping, unknownKeyProblem } from '@tasse/core/plugin-kit'

/** The host configuration file's name, in the data folder. */
export const HOST_CONFIG_FILE = 'tasse.yaml'

/** The keys `tasse.yaml` knows; anything else is refused (a typo would silently do nothing). */
const FILE_KEYS = ['plugins', 'notify', 'limits']

/** `<data>/tasse.yaml`'s path and its keys (none when the file does not exist). */
export function readHostFile(dataDir: string): { file: string; config: Record<string, unknown> } {
  const file = join(dataDir, HOST_CONFIG_FILE)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { file, config: {} }
    throw new TasseError('config', `${file} cannot be read: ${(cause as Error).message}`, {
      cause,
    })
  }
  const config = parseYamlMapping(text, file, FILE_KEYS.join(', '))
  for (const key of Object.keys(config))
    if (!FILE_KEYS.includes(key))
      throw new TasseError('config', `${file}: ${key} ${unknownKeyProblem(key, FILE_KEYS, 'key')}`)
  return { file, config }
}
