import { describe, expect, it } from 'vitest'
import { helpTable } from './help-table.js'

describe('helpTable', () => {
  it('pads each column to its widest cell, and puts continuation lines under the description', () => {
    expect(
      helpTable([
        ['--data DIR', 'data directory', 'TASSE_DATA, default ./data'],
        ['--json', 'print JSON\none line per task'],
        ['--concurrency N', 'runs at once', 'TASSE_CONCURRENCY'],
      ]),
    ).toBe(
      [
        '  --data DIR       data directory  [TASSE_DATA, default ./data]',
        '  --json           print JSON',
        '                   one line per task',
        '  --concurrency N  runs at once    [TASSE_CONCURRENCY]',
      ].join('\n'),
    )
  })

  it('adds no source column when no row has one', () => {
    expect(
      helpTable([
        ['0', 'done'],
        ['12', 'failed'],
      ]),
    ).toBe('  0   done\n  12  failed')
  })
})
