/**
 * The packages as npm publishes them: each workspace package and the example plugin packed with
 * `npm pack`, then checked from the tarball: publint, arethetypeswrong (ESM only), no
 * `.tsbuildinfo`, source maps whose sources are shipped or embedded, a LICENSE, and the metadata a registry
 * page shows. Then a fresh Node app installs `@tasse/core` and `@tasse/trigger-interval` from
 * their tarballs beside vitest 2, runs core's README embedding example as written, and runs a
 * contract suite of `@tasse/core/testing` under that vitest.
 */
import { execFileSync, spawn } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
/** What is published: every workspace package but the private ones, and the example plugin. */
const PACKAGES = [
  ...(root.workspaces as string[]).filter(
    (dir) => !JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')).private,
  ),
  'examples/trigger-plugin',
]
let packed: string
/** Package folder → its unpacked tarball's `package/` folder. */
const unpacked = new Map<string, string>()
const tarballs = new Map<string, string>()

beforeAll(() => {
  // The example plugin is built on its own: the image's build (`tsc -b`) has no examples/.
  execFileSync('npx', ['tsc', '-b', '.', 'examples/trigger-plugin'], {
    cwd: ROOT,
    stdio: 'inherit',
  })
  packed = mkdtempSync(join(tmpdir(), 'tasse-packed-'))
  const out = execFileSync(
    'npm',
    ['pack', '--json', '--pack-destination', packed, ...PACKAGES.map((dir) => `./${dir}`)],
    { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  )
  const results = JSON.parse(out) as { filename: string }[]
  PACKAGES.forEach((dir, i) => {
    const tarball = join(packed, (results[i] as { filename: string }).filename)
    const into = join(packed, 'unpacked', dir)
    mkdirSync(into, { recursive: true })
    execFileSync('tar', ['xzf', tarball, '-C', into])
    tarballs.set(dir, tarball)
    unpacked.set(dir, join(into, 'package'))
  })
}, 300_000)

/** Every file below `dir`, relative to it. */
function filesBelow(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((file) =>
    statSync(join(dir, file)).isFile(),
  )
}

describe.each(PACKAGES)('the packed %s', (dir) => {
  const pkg = () => unpacked.get(dir) as string
  const manifest = () => JSON.parse(readFileSync(join(pkg(), 'package.json'), 'utf8'))

  it('passes publint, warnings included', async () => {
    const { messages, pkg: json } = await publint({ pkgDir: pkg(), pack: false, level: 'warning' })
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, json, { color: false })}`)).toEqual(
      [],
    )
  })

  it('passes arethetypeswrong for an ESM-only package', async () => {
    // As `attw --profile esm-only <tarball>`, in this process (the CLI loads TypeScript anew
    // each time): what `require` and node10 resolution see is left out, on purpose.
    const data = new Uint8Array(readFileSync(tarballs.get(dir) as string))
    const analysis = await checkPackage(createPackageFromTarballData(data))
    expect(analysis.types).toBeTruthy()
    const problems = analysis.types
      ? analysis.problems.filter(
          (p) => !('resolutionKind' in p) || !['node10', 'node16-cjs'].includes(p.resolutionKind),
        )
      : []
    expect(problems).toEqual([])
  }, 60_000)

  it('ships no .tsbuildinfo, no test, and source maps whose sources are in the tarball or in the map', () => {
    const files = filesBelow(pkg())
    expect(files.filter((file) => /tsbuildinfo|\.test\.ts$/.test(file))).toEqual([])
    const maps = files.filter((file) => file.endsWith('.map'))
    expect(maps.length).toBeGreaterThan(0)
    for (const map of maps) {
      // A bundle's map (bundle/) names the dependencies it inlined, from node_modules: their
      // text is in the map itself.
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(pkg(), map), 'utf8')) as {
        sources: string[]
        sourcesContent?: (string | null)[]
      }
      sources.forEach((source, i) => {
        const found =
          existsSync(join(pkg(), dirname(map), source)) || typeof sourcesContent?.[i] === 'string'
        expect(found, `${map} → ${source}`).toBe(true)
      })
    }
  })

  it('has a LICENSE, repository, keywords, files, and the engines of the repository', () => {
    expect(readFileSync(join(pkg(), 'LICENSE'), 'utf8')).toMatch(/^MIT License/)
    const json = manifest()
    expect(json.license).toBe('MIT')
    expect(json.repository).toEqual({ ...root.repository, directory: dir })
    expect(json.keywords).toContain('tasse')
    expect(json.files).toContain('dist')
    expect(json.engines).toEqual(root.engines)
    expect(json.type).toBe('module')
  })
})

describe('a fresh Node app with @tasse/core and @tasse/trigger-interval beside vitest 2', () => {
  let app: string

  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'tasse-app-'))
    writeFileSync(join(app, 'package.json'), '{"name": "app", "private": true, "type": "module"}')
    // No peer conflict: npm refuses the install (ERESOLVE) if there is one.
    execFileSync(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        tarballs.get('packages/core') as string,
        tarballs.get('packages/trigger-interval') as string,
        'vitest@2',
      ],
      { cwd: app, stdio: 'inherit' },
    )
    cpSync(join(ROOT, 'data', 'tasks', 'helloworld'), join(app, 'data', 'tasks', 'helloworld'), {
      recursive: true,
    })
  }, 300_000)

  it("runs core's README embedding example as written, and exits as soon as stop() resolves", async () => {
    const readme = readFileSync(join(ROOT, 'packages', 'core', 'README.md'), 'utf8')
    const example = /## Embedding[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(example).toContain("console.log('stopped')")
    writeFileSync(join(app, 'example.mjs'), example as string)
    // Loaded before the example: how long the process lives after it printed "stopped", by
    // its own clock (a loaded machine delays the parent's view of the exit, not this).
    writeFileSync(
      join(app, 'measure.mjs'),
      `let at = null
const write = process.stdout.write.bind(process.stdout)
process.stdout.write = (chunk, ...rest) => {
  if (at === null && String(chunk).includes('stopped')) at = performance.now()
  return write(chunk, ...rest)
}
process.on('exit', () => process.stderr.write('lingered ' + (at === null ? -1 : performance.now() - at) + '\\n'))
`,
    )
    const child = spawn(process.execPath, ['--import', './measure.mjs', 'example.mjs'], {
      cwd: app,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const code = await new Promise((resolve) => child.once('close', resolve))
    expect({ code, stdout }).toEqual({
      code: 0,
      stdout:
        '[tasse] task "helloworld" scheduled: interval[0:00:10]\nhelloworld succeeded\nstopped\n',
    })
    const lingered = Number(/lingered (\S+)/.exec(stderr)?.[1])
    expect(lingered).toBeGreaterThanOrEqual(0)
    // The executor's 2 s drain timer, left pending, kept it alive 2 s after stop().
    expect(lingered).toBeLessThan(200)
    expect(readFileSync(join(app, 'data', 'logs', 'helloworld', 'log.txt'), 'utf8')).toContain(
      'Hello world',
    )
  }, 60_000)

  it("runs @tasse/core/testing's trigger contract under vitest 2", () => {
    writeFileSync(
      join(app, 'contract.test.js'),
      `import { testTriggerFactory } from '@tasse/core/testing'
import { intervalTriggerFactory } from '@tasse/trigger-interval'
testTriggerFactory({
  factory: intervalTriggerFactory,
  valid: [{ seconds: 10 }, { minutes: 5, timezone: 'Europe/Paris' }],
  invalid: [{ options: { seconds: 'x' }, field: 'scheduler.seconds' }],
})
`,
    )
    const out = execFileSync('npx', ['vitest', 'run', '--reporter', 'json'], {
      cwd: app,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    const report = JSON.parse(out.slice(out.indexOf('{')))
    expect(report.numFailedTests).toBe(0)
    expect(report.numPassedTests).toBeGreaterThan(10)
    expect(
      JSON.parse(readFileSync(join(app, 'node_modules/vitest/package.json'), 'utf8')).version,
    ).toMatch(/^2\./)
  }, 120_000)
})
