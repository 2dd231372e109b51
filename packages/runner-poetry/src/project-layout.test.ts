import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { detectLayout, hashFiles, inputFiles } from './project-layout.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tasse-layout-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function files(entries: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(entries)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), content)
  }
}

const POETRY =
  '[tool.poetry]\nname = "report-job"\nversion = "0.1.0"\n\n[tool.poetry.dependencies]\npython = "^3.8"\n'

describe('detectLayout', () => {
  it('is the plain interpreter for a folder with neither file', async () => {
    await files({ 'task.py': '' })
    expect(await detectLayout(dir)).toEqual({ kind: 'interpreter' })
  })

  it('is uv for a pyproject.toml with a uv.lock when uv is available, and as without it otherwise', async () => {
    await files({ 'pyproject.toml': POETRY, 'uv.lock': 'version = 1\n' })
    expect(await detectLayout(dir, { uv: true })).toEqual({ kind: 'uv', installRoot: false })
    expect(await detectLayout(dir, { uv: false })).toEqual({ kind: 'poetry', installRoot: false })
    expect(await detectLayout(dir)).toEqual({ kind: 'poetry', installRoot: false })
    expect(await inputFiles(dir, { kind: 'uv', installRoot: false })).toEqual([
      'pyproject.toml',
      'uv.lock',
      '.python-version',
    ])
    // A uv.lock without a pyproject.toml is nothing uv can sync.
    await rm(join(dir, 'pyproject.toml'))
    expect(await detectLayout(dir, { uv: true })).toEqual({ kind: 'interpreter' })
  })

  it('is requirements for a requirements.txt', async () => {
    await files({ 'requirements.txt': 'requests\n' })
    expect(await detectLayout(dir)).toEqual({ kind: 'requirements' })
  })

  it('is Poetry for a [tool.poetry] table, which wins over a requirements.txt beside it', async () => {
    await files({ 'pyproject.toml': POETRY, 'requirements.txt': 'requests\n' })
    expect(await detectLayout(dir)).toEqual({ kind: 'poetry', installRoot: false })
  })

  it('is Poetry for a PEP 621 [project] table alone (Poetry 2 reads it)', async () => {
    await files({ 'pyproject.toml': '[project]\nname = "x"\nversion = "1"\n' })
    expect(await detectLayout(dir)).toEqual({ kind: 'poetry', installRoot: false })
  })

  it('leaves a pyproject.toml of tool settings alone: requirements.txt decides', async () => {
    await files({ 'pyproject.toml': '[tool.black]\nline-length = 100\n' })
    expect(await detectLayout(dir)).toMatchObject({ kind: 'interpreter', note: expect.any(String) })
    await files({ 'requirements.txt': 'requests\n' })
    expect(await detectLayout(dir)).toEqual({ kind: 'requirements' })
    await files({ 'pyproject.toml': '[project]\nname = "x"\n' })
    expect(await detectLayout(dir)).toEqual({ kind: 'requirements' })
  })

  describe('installRoot (whether poetry install gets --no-root)', () => {
    it('is false for an application with no package of its name', async () => {
      await files({ 'pyproject.toml': POETRY, 'task.py': '' })
      expect(await detectLayout(dir)).toMatchObject({ installRoot: false })
    })

    it('is true when the project declares packages', async () => {
      await files({
        'pyproject.toml': POETRY.replace('version', 'packages = [{ include = "lib" }]\nversion'),
      })
      expect(await detectLayout(dir)).toMatchObject({ installRoot: true })
    })

    it.each([['report_job/__init__.py'], ['report_job.py'], ['src/report_job/__init__.py']])(
      'is true when %s exists (named after the project)',
      async (module) => {
        await files({ 'pyproject.toml': POETRY, [module]: '' })
        expect(await detectLayout(dir)).toMatchObject({ installRoot: true })
      },
    )

    it('is false with package-mode = false, whatever else is there', async () => {
      await files({
        'pyproject.toml': POETRY.replace('version', 'package-mode = false\nversion'),
        'report_job/__init__.py': '',
      })
      expect(await detectLayout(dir)).toMatchObject({ installRoot: false })
    })

    it('reads keys of [tool.poetry] only, not of the tables after it', async () => {
      await files({
        'pyproject.toml': `${POETRY}\n[[tool.poetry.source]]\nname = "private"\nurl = "https://example.invalid"\n\n[tool.other]\npackages = []\n`,
        'private/__init__.py': '',
      })
      expect(await detectLayout(dir)).toMatchObject({ installRoot: false })
    })
  })
})

describe('inputFiles and hashFiles', () => {
  it('are pyproject.toml, poetry.lock and .python-version for Poetry', async () => {
    expect(await inputFiles(dir, { kind: 'poetry', installRoot: false })).toEqual([
      'pyproject.toml',
      'poetry.lock',
      '.python-version',
    ])
  })

  it('follow -r and -c includes of requirements.txt, inside the task folder only', async () => {
    await files({
      'requirements.txt':
        '-r base.txt\n--constraint=pins/constraints.txt\n-r ../../outside.txt\nrequests\n',
      'base.txt': '-r requirements.txt\nurllib3\n',
      'pins/constraints.txt': '-c more.txt\n',
    })
    expect(await inputFiles(dir, { kind: 'requirements' })).toEqual([
      'requirements.txt',
      'base.txt',
      'pins/constraints.txt',
      'pins/more.txt',
      '.python-version',
    ])
  })

  it('hash content, null for a missing file, in the order asked', async () => {
    await files({ 'requirements.txt': 'requests\n' })
    const hashes = await hashFiles(dir, ['requirements.txt', '.python-version'])
    expect(Object.keys(hashes)).toEqual(['requirements.txt', '.python-version'])
    // sha256sum of a file holding `requests\n`
    expect(hashes['requirements.txt']).toBe(
      '7cc4959877dbe6b6c63a8eb1bfe3bfb545fa8fe5b28b1b2c13e4a7c1c0d1c4d4',
    )
    expect(hashes['.python-version']).toBeNull()
    await files({ 'requirements.txt': 'requests==2.32.0\n' })
    const changed = await hashFiles(dir, ['requirements.txt'])
    expect(changed['requirements.txt']).not.toBe(hashes['requirements.txt'])
  })
})
