import { describe, expect, it } from 'vitest'
import { compileParamPattern, MAX_PATTERN_CHARS, paramPattern } from './param-pattern.js'
import { cpuMillis } from './testing/cpu-time.js'

describe('compileParamPattern', () => {
  it('matches the whole value, as people read a pattern', () => {
    const letters = compileParamPattern('[A-Za-z]+')
    expect(letters.matches('report')).toBe(true)
    for (const value of ['x;rm', '../x', 'x\n', ' x', ''])
      expect(letters.matches(value)).toBe(false)
    // Anchors written out change nothing, and `$` does not match before a final newline.
    const date = compileParamPattern('^\\d{4}-\\d{2}-\\d{2}$')
    expect(date.matches('2026-01-30')).toBe(true)
    expect(date.matches('2026-01-30\n')).toBe(false)
    expect(compileParamPattern('\\p{L}+').matches('héllo')).toBe(true)
  })

  it('matches a catastrophic pattern for JavaScript in linear time', () => {
    // Issue #12, item 7: `^(a+)+$` on 31 characters froze the host for 5 s with RegExp.
    const nested = compileParamPattern('^(a+)+$')
    const { ms } = cpuMillis(() => {
      expect(nested.matches(`${'a'.repeat(60_000)}!`)).toBe(false)
      expect(nested.matches('a'.repeat(60_000))).toBe(true)
    })
    expect(ms).toBeLessThan(2000)
  })

  it('refuses what it cannot match in linear time, and overlong patterns, saying why', () => {
    expect(() => compileParamPattern('(a)\\1')).toThrow(/RE2 syntax.*invalid escape/)
    expect(() => compileParamPattern('(?=a)a')).toThrow(/no backreferences or lookaround/)
    expect(() => compileParamPattern('[a-z')).toThrow(/missing closing \]/)
    expect(() => compileParamPattern('a'.repeat(MAX_PATTERN_CHARS + 1))).toThrow(
      `is longer than ${MAX_PATTERN_CHARS} characters`,
    )
  })
})

describe('paramPattern', () => {
  it('compiles a definition once and keeps it; none without a pattern', () => {
    const param = { name: 'day', required: false, pattern: '\\d+' }
    const first = paramPattern(param)
    expect(paramPattern(param)).toBe(first)
    expect(first?.matches('12')).toBe(true)
    expect(paramPattern({})).toBeUndefined()
  })
})
