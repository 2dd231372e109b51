/**
 * The local base image for the container test: Debian bookworm (debootstrap, minbase) plus this
 * machine's own Node.js (binary, npm, corepack and the C headers that node-gyp builds
 * better-sqlite3 against), laid out as in the official `node:<v>-bookworm-slim` image
 * (/usr/local/bin/node, /usr/local/lib/node_modules/npm, /usr/local/include/node).
 *
 * It stands in for `node:20-bookworm-slim` where no image registry is reachable. It is built
 * once per Node version and kept in podman's image store; later runs reuse it.
 *
 * Usage: node test/container/base-image.mjs [--rebuild]   (prints the image name)
 */
import { execFileSync, spawnSync } from 'node:child_process'
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const PODMAN_RUNTIME = process.env.TASSE_TEST_RUNTIME ?? '/usr/sbin/runc'
const CACHE_DIR = process.env.TASSE_TEST_CACHE ?? '/var/cache/tasse-test'
const SUITE = 'bookworm'

/** `localhost/tasse-base:bookworm-node20.20.2`: one image per Node version. */
export function baseImageName() {
  return `localhost/tasse-base:${SUITE}-node${process.versions.node}`
}

/** The base image's name, built first if podman does not have it (or `rebuild`). */
export function ensureBaseImage({ rebuild = false, log = console.log } = {}) {
  const image = baseImageName()
  if (!rebuild && podmanOk(['image', 'exists', image])) return image
  if (process.getuid?.() !== 0)
    throw new Error(
      `building ${image} needs root (debootstrap); run as root or build it once as root`,
    )
  const started = Date.now()
  const node = findNode()
  const mirror = debianMirror()
  mkdirSync(CACHE_DIR, { recursive: true })
  const work = join(CACHE_DIR, `base-${process.pid}`)
  const rootfs = join(work, 'rootfs')
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  try {
    log(`building ${image}: debootstrap ${SUITE} from ${mirror} (about a minute)…`)
    run('debootstrap', ['--variant=minbase', SUITE, rootfs, mirror], { quiet: true })

    // apt sources as the official image has them (deb822), so `apt-get update` in the
    // Dockerfile sees updates and security fixes too.
    rmSync(join(rootfs, 'etc/apt/sources.list'), { force: true })
    writeFileSync(
      join(rootfs, 'etc/apt/sources.list.d/debian.sources'),
      [
        `Types: deb\nURIs: ${mirror}\nSuites: ${SUITE} ${SUITE}-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
        `Types: deb\nURIs: ${mirror.replace(/\/debian\/?$/, '/debian-security')}\nSuites: ${SUITE}-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
      ].join('\n'),
    )

    // Node.js at /usr/local, as in the official image.
    const local = join(rootfs, 'usr/local')
    copyFileSync(node.binary, join(local, 'bin/node'))
    execFileSync('chmod', ['0755', join(local, 'bin/node')])
    mkdirSync(join(local, 'lib/node_modules'), { recursive: true })
    for (const pkg of ['npm', 'corepack']) {
      const from = join(node.modules, pkg)
      if (existsSync(from)) cpSync(from, join(local, 'lib/node_modules', pkg), { recursive: true })
    }
    symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(local, 'bin/npm'))
    symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(local, 'bin/npx'))
    if (existsSync(join(node.modules, 'corepack')))
      symlinkSync('../lib/node_modules/corepack/dist/corepack.js', join(local, 'bin/corepack'))
    cpSync(node.include, join(local, 'include/node'), { recursive: true })

    // This machine's extra certificate authorities (an egress proxy's, say): without them npm
    // cannot reach its registry from inside the build. `update-ca-certificates` (run when the
    // Dockerfile installs ca-certificates) keeps whatever is in /usr/local/share/ca-certificates.
    const extraCas = '/usr/local/share/ca-certificates'
    if (existsSync(extraCas)) cpSync(extraCas, join(rootfs, extraCas), { recursive: true })
    const bundle = '/etc/ssl/certs/ca-certificates.crt'
    if (existsSync(bundle)) {
      mkdirSync(join(rootfs, dirname(bundle)), { recursive: true })
      copyFileSync(bundle, join(rootfs, bundle))
    }

    for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists', 'var/log'])
      for (const entry of safeReaddir(join(rootfs, dir)))
        if (entry !== 'partial' && entry !== 'lock')
          rmSync(join(rootfs, dir, entry), { recursive: true, force: true })

    const tarball = join(work, 'rootfs.tar')
    run('tar', ['--numeric-owner', '-C', rootfs, '-cf', tarball, '.'])
    run(
      'podman',
      [
        'import',
        '--change',
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--change',
        `ENV NODE_VERSION=${process.versions.node}`,
        ...(existsSync(bundle) ? ['--change', `ENV NODE_EXTRA_CA_CERTS=${bundle}`] : []),
        '--change',
        'CMD ["node"]',
        tarball,
        image,
      ],
      { quiet: true },
    )
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  log(`built ${image} in ${((Date.now() - started) / 1000).toFixed(0)}s`)
  return image
}

/** This Node.js's binary, its global node_modules (npm) and its headers. */
function findNode() {
  const binary = process.execPath
  const prefix = resolve(dirname(binary), '..')
  const modules = join(prefix, 'lib/node_modules')
  const include = join(prefix, 'include/node')
  if (!existsSync(join(modules, 'npm/bin/npm-cli.js')))
    throw new Error(`npm not found at ${modules}/npm (next to ${binary})`)
  if (!existsSync(join(include, 'node_api.h')))
    throw new Error(
      `Node's headers not found at ${include}: the image build compiles better-sqlite3 against them`,
    )
  return { binary, modules, include }
}

/** The Debian mirror this machine's apt uses (TASSE_TEST_DEBIAN_MIRROR overrides). */
function debianMirror() {
  if (process.env.TASSE_TEST_DEBIAN_MIRROR) return process.env.TASSE_TEST_DEBIAN_MIRROR
  const files = [
    '/etc/apt/sources.list',
    ...safeReaddir('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f)),
  ]
  for (const file of files) {
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    const uris = [
      ...text.matchAll(/^\s*URIs:\s*(\S+)/gm),
      ...text.matchAll(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gm),
    ].map((m) => m[1])
    const debian = uris.find((uri) => /\/debian\/?$/.test(uri))
    if (debian) return debian.replace(/\/$/, '')
  }
  return 'http://deb.debian.org/debian'
}

function podmanOk(args) {
  return spawnSync('podman', args, { stdio: 'ignore' }).status === 0
}

function run(command, args, { quiet = false } = {}) {
  const result = spawnSync(command, args, { stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8' })
  if (result.status !== 0) {
    const output = quiet ? `\n${(result.stdout ?? '') + (result.stderr ?? '')}`.slice(-4000) : ''
    throw new Error(
      `${command} ${args[0]} failed (${result.error?.message ?? `exit ${result.status}`})${output}`,
    )
  }
}

function safeReaddir(dir) {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(ensureBaseImage({ rebuild: process.argv.includes('--rebuild') }))
}
