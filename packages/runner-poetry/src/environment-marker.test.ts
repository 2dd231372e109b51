import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  type EnvironmentInputs,
  type EnvironmentMarker,
  fingerprint,
  MARKER_FILE,
  readMarker,
  staleReasons,
  writeMarker,
} from './environment-marker.js'

const inputs: EnvironmentInputs = {
  layout: 'requirements',
  installRoot: false,
  python: { executable: '/usr/bin/python3.11', version: '3.11.2', implementation: 'CPython' },
  files: { 'requirements.txt': 'aaa', '.python-version': null },
}
const marker: EnvironmentMarker = {
  ...inputs,
  format: 1,
  builtAt: '2026-11-01T10:00:00.000Z',
  buildMs: 4200,
}

describe('staleReasons', () => {
  it('is empty when nothing changed', () => {
    expect(staleReasons(marker, inputs)).toEqual([])
  })

  it('names each input file that changed, appeared or was removed', () => {
    const now = {
      ...inputs,
      files: { 'requirements.txt': 'bbb', '.python-version': 'ccc', 'base.txt': 'ddd' },
    }
    expect(staleReasons({ ...marker, files: { ...marker.files, 'old.txt': 'x' } }, now)).toEqual([
      'requirements.txt changed',
      '.python-version appeared',
      'old.txt was removed',
      'base.txt appeared',
    ])
  })

  it('names the interpreter change, from and to', () => {
    const now = {
      ...inputs,
      python: {
        executable: '/opt/py/bin/python3.12',
        version: '3.12.1',
        implementation: 'CPython',
      },
    }
    expect(staleReasons(marker, now)).toEqual([
      'python changed from 3.11.2 (/usr/bin/python3.11) to 3.12.1 (/opt/py/bin/python3.12)',
    ])
    const moved = {
      ...inputs,
      python: { ...inputs.python, executable: '/usr/local/bin/python3.11' },
    }
    expect(staleReasons(marker, moved)).toEqual([
      'python 3.11.2 is now /usr/local/bin/python3.11 (was /usr/bin/python3.11)',
    ])
  })

  it('names a change of layout and of the root package', () => {
    expect(staleReasons(marker, { ...inputs, layout: 'poetry' })).toEqual([
      'the task moved from requirements.txt to Poetry',
    ])
    const poetry = { ...marker, layout: 'poetry' as const }
    expect(staleReasons(poetry, { ...inputs, layout: 'poetry', installRoot: true })).toEqual([
      'the project now declares a package of its own',
    ])
  })

  it('refuses an environment of another marker format', () => {
    expect(staleReasons({ ...marker, format: 0 }, inputs)).toEqual([
      'it was built by another version of @tasse/runner-poetry (format 0)',
    ])
  })
})

describe('fingerprint', () => {
  it('differs when any input differs, and only then', () => {
    const same = fingerprint({ ...inputs, files: { ...inputs.files } })
    expect(same).toBe(fingerprint(inputs))
    expect(
      fingerprint({ ...inputs, files: { ...inputs.files, 'requirements.txt': 'b' } }),
    ).not.toBe(same)
    expect(fingerprint({ ...inputs, python: { ...inputs.python, version: '3.11.3' } })).not.toBe(
      same,
    )
  })
})

describe('readMarker and writeMarker', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tasse-marker-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('round-trip, leaving no temporary file', async () => {
    await writeMarker(dir, marker)
    expect(await readMarker(dir)).toEqual(marker)
    expect(await readdir(dir)).toEqual([MARKER_FILE])
  })

  it('read null for a missing, truncated or foreign file', async () => {
    expect(await readMarker(dir)).toBeNull()
    await writeFile(join(dir, MARKER_FILE), '{"format": 1, "layout": "poe')
    expect(await readMarker(dir)).toBeNull()
    await writeFile(join(dir, MARKER_FILE), JSON.stringify({ ...marker, layout: 'conda' }))
    expect(await readMarker(dir)).toBeNull()
  })
})
