/**
 * The READMEs promise every flag of `tasse serve`: packages/host/README.md lists each with its
 * variable, and the root README's configuration table does too.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONFIG_FLAGS } from '../src/config.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')

describe.each(['packages/host/README.md', 'README.md'])('%s', (file) => {
  const text = readFileSync(join(ROOT, file), 'utf8')
  it.each(Object.keys(CONFIG_FLAGS))('lists --%s', (flag) => {
    expect(text).toMatch(new RegExp(`\\| \`--${flag}[ \`]`))
  })
})
