import { describe, expect, it } from 'vitest'
import { InvalidParamError } from './errors.js'
import { paramArgs, validateParams } from './params.js'
import type { ParamDefinition } from './types.js'

const task = (params: ParamDefinition[]) => ({ name: 'report', params })
const date: ParamDefinition = { name: 'date', required: true, pattern: '^\\d{4}-\\d\\d-\\d\\d$' }
const mode: ParamDefinition = {
  name: 'mode',
  required: false,
  enum: ['fast', 'full'],
  default: 'fast',
}
const note: ParamDefinition = { name: 'note', required: false, arg: true }

describe('validateParams', () => {
  it.each([
    [
      'defaults filled in',
      [date, mode],
      { date: '2026-01-30' },
      { date: '2026-01-30', mode: 'fast' },
    ],
    ['a given value over the default', [mode], { mode: 'full' }, { mode: 'full' }],
    ['an optional one without default left out', [note], {}, {}],
    ['nothing declared, nothing given', [], {}, {}],
  ])('accepts: %s', (_, params, given, expected) => {
    expect(validateParams(task(params), given)).toStrictEqual(expected)
  })

  // Issue #12, item 1: names that Object.prototype has answered 500 (or set the prototype).
  it('reads names that Object.prototype has as any other name', () => {
    const names = ['constructor', 'toString', '__proto__', 'hasOwnProperty']
    const odd = task(names.map((name) => ({ name, required: true })))
    expect(() => validateParams(odd, {})).toThrow(
      'parameter "constructor" of task "report" is required',
    )
    const given = JSON.parse(
      '{"constructor": "a", "toString": "b", "__proto__": "c", "hasOwnProperty": "d"}',
    )
    const params = validateParams(odd, given)
    expect(Object.keys(params)).toEqual(names)
    expect(params.__proto__).toBe('c')
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype)
    const optional = task([{ name: 'toString', required: false }])
    expect(validateParams(optional, {})).toStrictEqual({})
  })

  it.each([
    [
      'an unknown name',
      [date],
      { dat: 'x' },
      'dat',
      'task "report" has no parameter "dat" (its parameters: date)',
    ],
    [
      'any name when none is declared',
      [],
      { x: '1' },
      'x',
      'task "report" has no parameter "x" (it declares no params:)',
    ],
    ['a missing required one', [date], {}, 'date', 'parameter "date" of task "report" is required'],
    [
      'a value off the pattern',
      [date],
      { date: 'today' },
      'date',
      'parameter "date" of task "report" must match ^\\d{4}-\\d\\d-\\d\\d$ (the whole value), got "today"',
    ],
    [
      'a value outside the enum',
      [mode],
      { mode: 'slow' },
      'mode',
      'parameter "mode" of task "report" must be one of fast, full, got "slow"',
    ],
    [
      'a NUL character',
      [note],
      { note: 'a\0b' },
      'note',
      'parameter "note" must not contain a NUL character',
    ],
    [
      'a value that is not text',
      [note],
      { note: 3 as unknown as string },
      'note',
      'parameter "note" of task "report" must be text',
    ],
  ])('refuses %s, naming the parameter', (_, params, given, param, message) => {
    const refused = (() => {
      try {
        validateParams(task(params), given)
      } catch (error) {
        return error
      }
    })()
    expect(refused).toBeInstanceOf(InvalidParamError)
    expect(refused).toMatchObject({ code: 'invalid_param', param, message })
  })
})

describe('paramArgs', () => {
  it('passes `arg: true` parameters that have a value as --name=value, in params: order', () => {
    const params = [note, { ...mode, arg: true }, date]
    expect(paramArgs(task(params), { date: '2026-01-30', mode: 'full', note: 'a b' })).toEqual([
      '--note=a b',
      '--mode=full',
    ])
    expect(paramArgs(task(params), { mode: 'fast' })).toEqual(['--mode=fast'])
  })
})
