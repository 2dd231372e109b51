import { describe, expect, it } from 'vitest'
import { LineCounter, parseDocument } from 'yaml'
import { fieldPosition, fieldSegments } from './yaml-positions.js'

const TEXT = [
  'scheduler:', //                        1
  '  trigger: cron', //                   2
  '  hour: 25', //                        3
  'params:', //                           4
  '  - name: a', //                       5
  '  - {name: b, pattern: "("}', //       6
  'env: {A.B: 1}', //                     7
  '',
].join('\n')

function position(field: string) {
  const lineCounter = new LineCounter()
  return fieldPosition(parseDocument(TEXT, { lineCounter }), lineCounter, field)
}

describe('fieldPosition', () => {
  it('finds a key of a mapping, in block and flow style, and an item of a list', () => {
    expect(position('scheduler')).toEqual({ line: 1, column: 1 })
    expect(position('scheduler.hour')).toEqual({ line: 3, column: 3 })
    expect(position('params[0]')).toEqual({ line: 5, column: 5 })
    expect(position('params[1].pattern')).toEqual({ line: 6, column: 15 })
  })

  it('answers the nearest written parent for a key that is not written, null for the file', () => {
    expect(position('scheduler.minute')).toEqual({ line: 1, column: 1 })
    expect(position('params[7].name')).toEqual({ line: 4, column: 1 })
    expect(position('env.A.B')).toEqual({ line: 7, column: 1 })
    expect(position('')).toBeNull()
    expect(position('nothing')).toBeNull()
  })

  it('splits a field into keys and indices', () => {
    expect(fieldSegments('params[2].pattern')).toEqual(['params', '2', 'pattern'])
    expect(fieldSegments('scheduler')).toEqual(['scheduler'])
  })
})
