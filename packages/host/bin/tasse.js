#!/usr/bin/env node
// The `tasse` command. This launcher is committed (bundle/ is built) so that `npm ci` in a fresh
// clone links the bin even though bundle/ does not exist yet; without the link, `npx tasse` would
// ask the npm registry for a package named `tasse` instead of running this one.
import { existsSync } from 'node:fs'

const cli = new URL('../bundle/cli.js', import.meta.url)
if (existsSync(cli)) await import(cli.href)
else {
  console.error(
    `[tasse] ${cli.pathname} does not exist: build tasse first (npm run build, or npm start)`,
  )
  process.exitCode = 1
}
