import { spawnSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { findExecutable, interpreterInfo } from './interpreter.js'

const hasPython3 = spawnSync('python3', ['--version']).status === 0

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tasse-interpreter-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A stand-in interpreter that counts its runs and answers the query with `version`. */
async function fakePython(name: string, version: string): Promise<string> {
  const bin = join(dir, 'bin')
  await mkdir(bin, { recursive: true })
  const file = join(bin, name)
  const answer = JSON.stringify({ executable: file, version, implementation: 'CPython' })
  await writeFile(file, `#!/bin/sh\necho run >> ${join(dir, 'runs')}\necho '${answer}'\n`)
  await chmod(file, 0o755)
  return file
}

const runs = async () =>
  (await readFile(join(dir, 'runs'), 'utf8').catch(() => '')).split('\n').length - 1

describe('findExecutable', () => {
  it('finds a name on PATH, skipping folders where it is not executable', async () => {
    await mkdir(join(dir, 'a'))
    await writeFile(join(dir, 'a', 'tool'), 'not executable')
    const tool = await fakePython('tool', '0')
    expect(await findExecutable('tool', `${join(dir, 'a')}:${join(dir, 'bin')}`, '/')).toBe(tool)
    expect(await findExecutable('tool', join(dir, 'a'), '/')).toBeNull()
  })

  it('takes a path as it is, relative to the working directory', async () => {
    const tool = await fakePython('tool', '0')
    expect(await findExecutable('bin/tool', '', dir)).toBe(tool)
    expect(await findExecutable('./bin/missing', '/usr/bin', dir)).toBeNull()
  })

  it('never looks in the working directory for an empty PATH entry', async () => {
    await fakePython('tool', '0')
    expect(await findExecutable('tool', ':', join(dir, 'bin'))).toBeNull()
  })
})

describe('interpreterInfo', () => {
  it('asks the interpreter once, then answers from the cache while its file is unchanged', async () => {
    const python = await fakePython('py-cache', '3.11.7')
    const env = { PATH: join(dir, 'bin') }
    expect(await interpreterInfo('py-cache', env, dir)).toEqual({
      command: 'py-cache',
      path: python,
      executable: python,
      version: '3.11.7',
      implementation: 'CPython',
    })
    await interpreterInfo('py-cache', env, dir)
    await interpreterInfo('py-cache', env, dir)
    expect(await runs()).toBe(1)

    // Replaced (an upgrade): asked again.
    await rm(python)
    await fakePython('py-cache', '3.11.8')
    expect((await interpreterInfo('py-cache', env, dir)).version).toBe('3.11.8')
    expect(await runs()).toBe(2)
  })

  it('says so when the interpreter is not on PATH, or does not answer as Python', async () => {
    await expect(interpreterInfo('py-missing', { PATH: join(dir, 'bin') }, dir)).rejects.toThrow(
      `"py-missing" was not found on PATH (${join(dir, 'bin')})`,
    )
    const broken = join(dir, 'broken')
    await writeFile(broken, '#!/bin/sh\necho "No module named platform" >&2\nexit 1\n')
    await chmod(broken, 0o755)
    await expect(interpreterInfo(broken, { PATH: '' }, dir)).rejects.toThrow(
      `"${broken}" (${broken}) did not run as a Python interpreter: No module named platform`,
    )
  })

  it.skipIf(!hasPython3)(
    `answers for the real python3${hasPython3 ? '' : ' (skipped: no python3)'}`,
    async () => {
      const info = await interpreterInfo('python3', { PATH: process.env.PATH ?? '' }, dir)
      expect(info.version).toMatch(/^3\.\d+\.\d+/)
      expect(info.implementation).toBeTruthy()
    },
  )
})
