import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { POSTGRES_BIN, postgresMissing, startPostgres } from './postgres.js'

const missing = postgresMissing()

describe('startPostgres', () => {
  it.skipIf(missing)(
    `starts a server that answers, pauses and resumes it, and removes it on stop${missing ? ` (skipped: ${missing})` : ''}`,
    async () => {
      const pg = await startPostgres()
      const psql = (url: string) =>
        execFileSync(join(POSTGRES_BIN, 'psql'), [url, '-Atc', 'SELECT 6 * 7'], {
          encoding: 'utf8',
        }).trim()
      try {
        const url = await pg.createDatabase()
        expect(psql(url)).toBe('42')
        await pg.pause()
        expect(() => psql(url)).toThrow()
        await pg.resume()
        expect(psql(url)).toBe('42')
      } finally {
        await pg.stop()
        await pg.stop()
      }
      expect(existsSync(pg.dir)).toBe(false)
    },
    120_000,
  )
})
