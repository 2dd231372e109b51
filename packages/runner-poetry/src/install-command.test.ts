import { readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InstallStepError, runInstallCommand } from './install-command.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tasse-install-command-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const sh = (script: string) => ({
  command: 'sh',
  args: ['-c', script],
  cwd: dir,
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  display: 'sh -c …',
})
const options = (lines: string[], signal = new AbortController().signal, timeoutMs = 30_000) => ({
  log: (line: string) => lines.push(line),
  signal,
  timeoutMs,
})

describe('runInstallCommand', () => {
  it('passes on every line of stdout and stderr as it comes, without blank lines', async () => {
    const lines: string[] = []
    await runInstallCommand(
      sh('echo one; sleep 0.05; echo two >&2; sleep 0.05; printf "\\nthree\\r\\n"; printf four'),
      options(lines),
    )
    expect(lines).toEqual(['one', 'two', 'three', 'four'])
  })

  it('keeps only what a progress bar drew last on a line', async () => {
    const lines: string[] = []
    await runInstallCommand(sh('printf "10%%\\r50%%\\r100%% done\\n"'), options(lines))
    expect(lines).toEqual(['100% done'])
  })

  it('drops colour codes', async () => {
    const lines: string[] = []
    await runInstallCommand(
      sh('printf "\\033[1;32mSuccessfully\\033[0m installed\\n"'),
      options(lines),
    )
    expect(lines).toEqual(['Successfully installed'])
  })

  it('fails with the command, its exit code, its duration and its last lines', async () => {
    const lines: string[] = []
    const error = await runInstallCommand(
      { ...sh('for i in $(seq 1 30); do echo line $i; done; exit 3'), display: 'pip install -r x' },
      { ...options(lines), tailLines: 5 },
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InstallStepError)
    const step = error as InstallStepError
    expect(step.message).toMatch(/^`pip install -r x` exited with code 3 after [\d.]+m?s$/)
    expect(step.exitCode).toBe(3)
    expect(step.tail).toEqual(['line 26', 'line 27', 'line 28', 'line 29', 'line 30'])
    expect(lines).toHaveLength(30)
  })

  it('says when the program cannot be started', async () => {
    const error = await rejection(
      runInstallCommand(
        { ...sh(''), command: join(dir, 'no-such-program'), display: 'no-such-program' },
        options([]),
      ),
    )
    expect(error.message).toMatch(/^`no-such-program` could not start: spawn .* ENOENT after/)
  })

  it('ends the whole process group when cancelled (grandchildren too)', async () => {
    const controller = new AbortController()
    const pidFile = join(dir, 'grandchild.pid')
    const lines: string[] = []
    const running = runInstallCommand(sh(`sleep 30 & echo $! > ${pidFile}; echo started; wait`), {
      ...options(lines, controller.signal),
      log: (line) => {
        lines.push(line)
        if (line === 'started') controller.abort()
      },
    })
    await expect(running).rejects.toThrow(/^`sh -c …` was cancelled after/)
    const grandchild = Number(await readFile(pidFile, 'utf8'))
    expect(alive(grandchild)).toBe(false)
  })

  it('ends a step that runs past its time limit', async () => {
    const error = await rejection(runInstallCommand(sh('sleep 30'), options([], undefined, 200)))
    expect(error.message).toMatch(/^`sh -c …` timed out \(limit 0\.2s\) after 0\.\ds$/)
  })

  it('does not start when already cancelled', async () => {
    const controller = new AbortController()
    controller.abort()
    const marker = join(dir, 'ran')
    await expect(
      runInstallCommand(sh(`touch ${marker}`), options([], controller.signal)),
    ).rejects.toThrow(/was cancelled/)
    await expect(readFile(marker)).rejects.toThrow()
  })
})

/** The error `promise` rejects with; fails the test when it resolves. */
function rejection(promise: Promise<unknown>): Promise<InstallStepError> {
  return promise.then(
    () => expect.fail('expected the step to fail'),
    (error: unknown) => error as InstallStepError,
  )
}

/** Whether `pid` runs (a zombie does not: in a container, PID 1 may never reap it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) [ZX]/.test(stat)
  } catch {
    return false
  }
}
