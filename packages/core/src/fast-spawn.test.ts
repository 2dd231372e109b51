import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ADDON = join(import.meta.dirname, '..', 'build', 'Release', 'tasse_spawn.node')
const ADDON_BUILT = existsSync(ADDON)

describe('releaseFreeMemory (the addon’s trimMemory)', () => {
  it.skipIf(!ADDON_BUILT && process.env.CI !== 'true')(
    'gives the C library’s free memory back: a process that freed 100 MB of small blocks shrinks (skipped: addon not built)',
    () => {
      // 25,000 blocks of 4 KiB (below glibc's mmap threshold: they come from an arena), all
      // freed, then collected: glibc keeps the pages until asked.
      const script = `
        const addon = require(${JSON.stringify(ADDON)})
        const anon = () => Number(require('fs').readFileSync('/proc/self/status', 'utf8').match(/RssAnon:\\s+(\\d+)/)[1]) / 1024
        let blocks = Array.from({ length: 25000 }, () => Buffer.allocUnsafeSlow(4000).fill(1))
        blocks = null
        globalThis.gc(); globalThis.gc()
        const before = anon()
        const released = addon.trimMemory()
        console.log(JSON.stringify({ released, before, after: anon() }))`
      const child = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' })
      expect(child.status, child.stderr).toBe(0)
      const { released, before, after } = JSON.parse(child.stdout) as {
        released: boolean
        before: number
        after: number
      }
      expect(released).toBe(true)
      expect(before - after).toBeGreaterThan(50) // MB
    },
  )
})
