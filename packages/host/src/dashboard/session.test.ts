import { describe, expect, it } from 'vitest'
import { createSessions } from './session.js'

describe('createSessions', () => {
  it('makes long random ids that are live until deleted', () => {
    const sessions = createSessions()
    const a = sessions.create()
    const b = sessions.create()
    expect(a).toMatch(/^[\w-]{43}$/)
    expect(a).not.toBe(b)
    expect(sessions.has(a)).toBe(true)
    sessions.delete(a)
    expect(sessions.has(a)).toBe(false)
    expect(sessions.has(b)).toBe(true)
  })

  it('refuses unknown, empty and expired ids', () => {
    let now = 1000
    const sessions = createSessions({ ttlMs: 100, now: () => now })
    const id = sessions.create()
    expect(sessions.has(undefined)).toBe(false)
    expect(sessions.has('')).toBe(false)
    expect(sessions.has(`${id}x`)).toBe(false)
    now = 1099
    expect(sessions.has(id)).toBe(true)
    now = 1100
    expect(sessions.has(id)).toBe(false)
  })

  it('keeps at most `max` sessions, dropping the oldest', () => {
    const sessions = createSessions({ max: 2 })
    const first = sessions.create()
    const second = sessions.create()
    const third = sessions.create()
    expect([sessions.has(first), sessions.has(second), sessions.has(third)]).toEqual([
      false,
      true,
      true,
    ])
  })
})
