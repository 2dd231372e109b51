/**
 * A run with a user (`user:`, the host's `--task-user`) builds its environment as that user, never
 * as root: the install steps read the task's folder, which the user may write, so a task that
 * plants code there (here a `venv.py` that `python -m venv`, run in the task's folder, imports
 * instead of the standard library's) has it run with the user's rights only.
 */
import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadTask, resolveUser } from '@tasse/core'
import { afterEach, describe, expect, it } from 'vitest'
import { poetryRunner } from '../src/index.js'
import { context, hasPoetry, OFFLINE, runs } from './helpers.js'

const IS_ROOT = process.geteuid?.() === 0
// Debian's python3: pyenv's lives under /root, which nobody cannot enter.
const PYTHON = '/usr/bin/python3'
const ready = IS_ROOT && hasPoetry && runs(PYTHON, '-c', 'import ensurepip, venv')
const skipped = ready ? '' : ' (skipped: not root, or poetry or /usr/bin/python3 with venv absent)'

// Writes the uid it runs as beside itself, then runs the real venv module.
const PLANTED_VENV = `import os, runpy, sys
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "install-ran-as"), "w") as out:
    out.write(str(os.getuid()))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
sys.modules.pop("venv", None)
runpy.run_module("venv", run_name="__main__", alter_sys=True)
`

const pyproject = (name: string) =>
  `[tool.poetry]\nname = "${name}"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n\n[tool.poetry.dependencies]\npython = "^3.9"\n`

/** A Poetry task with `user: nobody` in a fresh data folder; its folder is nobody's when `theirs`. */
async function nobodysTask(name: string, files: Record<string, string>, theirs: boolean) {
  const nobody = resolveUser({ name: 'nobody' })
  dataDir = await mkdtemp(join(tmpdir(), 'tasse-as-user-'))
  await chmod(dataDir, 0o755)
  const dir = join(dataDir, 'tasks', name)
  await mkdir(dir, { recursive: true })
  const all = { 'task.yaml': 'user: nobody\n', 'pyproject.toml': pyproject(name), ...files }
  for (const [file, text] of Object.entries(all)) await writeFile(join(dir, file), text)
  if (theirs)
    for (const path of [dir, ...Object.keys(all).map((file) => join(dir, file))])
      await chown(path, nobody.uid, nobody.gid)
  const task = loadTask(dir, { factories: new Map(), defaultTimezone: 'UTC' })
  // A run's context, with its owner as core's executor passes it.
  const runContext = () => ({
    ...context(dataDir, task, { PATH: `/usr/bin:${process.env.PATH}` }),
    owner: nobody,
  })
  return { nobody, dir, task, runContext }
}

const runner = () => poetryRunner({ installEnv: OFFLINE, python: PYTHON })

let dataDir = ''
afterEach(async () => {
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
  dataDir = ''
})

describe('a run with a user', () => {
  it.skipIf(!ready)(
    `builds its Poetry environment as that user: code the task planted runs as nobody, the venv and poetry.lock are theirs, venv/ stays root's 0711; reused, then rebuilt without following its links${skipped}`,
    async () => {
      const { nobody, dir, task, runContext } = await nobodysTask(
        'planted',
        { 'task.py': 'print("planted")\n', 'venv.py': PLANTED_VENV },
        true,
      )
      const ctx = runContext()
      const command = await runner().prepare(task, ctx)

      const planted = join(dir, 'install-ran-as')
      expect(await readFile(planted, 'utf8'), ctx.lines.join('\n')).toBe(String(nobody.uid))
      expect((await stat(planted)).uid).toBe(nobody.uid)
      const venv = join(dataDir, 'venv', 'planted')
      expect(command.command).toBe(join(venv, 'bin', 'python'))
      // Written by the steps themselves (python -m venv, poetry install), so by their uid.
      for (const path of [venv, join(venv, 'pyvenv.cfg'), join(dir, 'poetry.lock')])
        expect((await stat(path)).uid, path).toBe(nobody.uid)
      const root = await stat(join(dataDir, 'venv'))
      expect({ uid: root.uid, mode: root.mode & 0o777 }).toEqual({ uid: 0, mode: 0o711 })

      // The marker the host wrote still works: the next run reuses the environment.
      const again = runContext()
      await rm(planted)
      await runner().prepare(task, again)
      expect(again.lines.join('\n')).toContain('reused')

      // A changed pyproject.toml rebuilds: the old environment, the user's, is removed without
      // following the link they left in it to a file of root's.
      const roots = join(dataDir, 'roots-file')
      await writeFile(roots, 'keep')
      await symlink(roots, join(venv, 'lib', 'link-to-roots-file'))
      await symlink(dataDir, join(venv, 'link-to-data'))
      await writeFile(join(dir, 'pyproject.toml'), '# changed\n', { flag: 'a' })
      const third = runContext()
      await runner().prepare(task, third)
      expect(third.lines.join('\n')).toContain('pyproject.toml changed')
      expect(await readFile(roots, 'utf8')).toBe('keep')
      expect((await stat(join(venv, 'pyvenv.cfg'))).uid).toBe(nobody.uid)
    },
    240_000,
  )

  it.skipIf(!ready)(
    `fails with the fix when Poetry, as the user, cannot write poetry.lock in a folder that is root's${skipped}`,
    async () => {
      const { task, runContext } = await nobodysTask('locked', { 'task.py': 'print(1)\n' }, false)
      await expect(runner().prepare(task, runContext())).rejects.toThrow(
        /poetry install .*exited with code 1[\s\S]*cannot write the task folder's poetry\.lock: give them the folder/,
      )
    },
    240_000,
  )
})
