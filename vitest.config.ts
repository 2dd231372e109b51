import { defaultServerConditions } from 'vite'
import { defineConfig } from 'vitest/config'

// Tests import each workspace package through its `@tasse/source` export condition (its
// TypeScript source), so one copy of every module is loaded and no build is needed in between.
const conditions = ['@tasse/source', ...defaultServerConditions]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'examples/*/src/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    // Tests spawn real processes (hosts, CLIs, Poetry): a loaded 2-core CI machine needs room.
    testTimeout: 90_000,
    // Hooks start and stop real servers (PostgreSQL, Chromium, hosts): generous for a loaded CI.
    hookTimeout: 180_000,
    pool: 'forks',
  },
})
