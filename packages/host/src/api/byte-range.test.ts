import { describe, expect, it } from 'vitest'
import { parseByteRange } from './byte-range.js'

describe('parseByteRange', () => {
  it.each([
    ['bytes=0-99', { start: 0, end: 99 }],
    ['bytes=100-', { start: 100, end: 999 }],
    ['bytes=-100', { start: 900, end: 999 }],
    ['bytes=-5000', { start: 0, end: 999 }],
    ['bytes=990-5000', { start: 990, end: 999 }],
    ['Bytes = 5 - 9 ', { start: 5, end: 9 }],
    ['bytes=999-999', { start: 999, end: 999 }],
  ])('%s of 1000 bytes is %j', (header, range) => {
    expect(parseByteRange(header, 1000)).toEqual(range)
  })

  it.each(['bytes=1000-', 'bytes=1000-2000', 'bytes=-0'])(
    '%s of 1000 bytes cannot be served',
    (h) => expect(parseByteRange(h, 1000)).toBe('unsatisfiable'),
  )

  it('cannot serve any range of an empty file', () => {
    expect(parseByteRange('bytes=0-', 0)).toBe('unsatisfiable')
    expect(parseByteRange('bytes=-10', 0)).toBe('unsatisfiable')
  })

  it.each([
    undefined,
    '',
    'bytes=0-1,5-9',
    'items=0-9',
    'bytes=9-5',
    'bytes=-',
    'bytes=a-b',
    'bytes=0x10-',
    'bytes=99999999999999999999-',
  ])('sends the whole file for %j', (header) => {
    expect(parseByteRange(header, 1000)).toBeNull()
  })
})
