import { describe, expect, it } from 'vitest'
import { ConfigProblems } from './config-problems.js'
import { TasseConfigError } from './errors.js'

const at = (field: string) => ({ file: 'task.yaml', field })

/** A reader that throws at its first key that is not a number, as the real readers do. */
function numbers(value: unknown): Record<string, number> {
  const record = value as Record<string, unknown>
  if (!('every' in record)) throw new TasseConfigError(at('scheduler.every'), 'is required')
  for (const [key, v] of Object.entries(record))
    if (typeof v !== 'number')
      throw new TasseConfigError(at(`scheduler.${key}`), 'must be a number')
  return record as Record<string, number>
}

describe('ConfigProblems', () => {
  it('reports each written key at fault once, reading again without it', () => {
    const problems = new ConfigProblems()
    const read = problems.attemptEach({ every: 1, a: 'x', b: 2, c: true }, 'scheduler', numbers)
    expect(read).toBeUndefined()
    expect(problems.list.map((p) => p.field)).toEqual(['scheduler.a', 'scheduler.c'])
  })

  it('stops at a problem the removal may have caused (a required key taken out)', () => {
    const problems = new ConfigProblems()
    problems.attemptEach({ every: 'x', a: 'y' }, 'scheduler', numbers)
    expect(problems.list.map((p) => p.field)).toEqual(['scheduler.every'])
  })

  it('reports a missing key when nothing was removed, and the value when it reads', () => {
    const problems = new ConfigProblems()
    problems.attemptEach({ a: 1 }, 'scheduler', numbers)
    expect(problems.list.map((p) => `${p.field} ${p.problem}`)).toEqual([
      'scheduler.every is required',
    ])
    expect(problems.attemptEach({ every: 2 }, 'scheduler', numbers)).toEqual({ every: 2 })
  })

  it('removes keys inside list items, but not the items themselves', () => {
    const problems = new ConfigProblems()
    const items = (value: unknown) =>
      (value as unknown[]).map((item, i) => {
        if (typeof item !== 'object') throw new TasseConfigError(at(`params[${i}]`), 'not a map')
        for (const [key, v] of Object.entries(item as object))
          if (v === 'bad') throw new TasseConfigError(at(`params[${i}].${key}`), 'is bad')
        return item
      })
    problems.attemptEach([{ a: 'bad', b: 'bad' }, 5, { c: 'bad' }], 'params', items)
    expect(problems.list.map((p) => p.field)).toEqual(['params[0].a', 'params[0].b', 'params[1]'])
  })

  it('lets an error that is not a configuration problem through: it is a bug', () => {
    const problems = new ConfigProblems()
    expect(() =>
      problems.attemptEach({}, 'scheduler', () => {
        throw new TypeError('boom')
      }),
    ).toThrow('boom')
  })
})
