/**
 * Every `@example` in core's JSDoc compiles: each is type-checked as a module of its own, beside
 * the file it documents, with the repository's compiler options. An example imports what it
 * uses; names it does not import are taken from the file it documents, then from core's public
 * entry points (so a short example of a function needs no import line). Anything else it needs
 * it declares (`declare const task: TaskDefinition`), which says what the example assumes.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const SRC = join(ROOT, 'packages', 'core', 'src')
const ENTRIES = {
  '@tasse/core': join(SRC, 'index.ts'),
  '@tasse/core/plugin-kit': join(SRC, 'plugin-kit.ts'),
  '@tasse/core/testing': join(SRC, 'testing', 'index.ts'),
}

interface Example {
  /** Where it is: `packages/core/src/x.ts:12`. */
  where: string
  source: string
  code: string
}

/** The `@example` blocks of a file's JSDoc comments. */
function examplesOf(file: string): Example[] {
  const text = readFileSync(file, 'utf8')
  const found: Example[] = []
  for (const comment of text.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
    const lines = (comment[1] as string).split('\n').map((line) => line.replace(/^\s*\* ?/, ''))
    let at = lines.findIndex((line) => line.startsWith('@example'))
    while (at >= 0) {
      const end = lines.findIndex((line, i) => i > at && line.startsWith('@'))
      const body = lines.slice(at + 1, end < 0 ? undefined : end)
      const line = text.slice(0, comment.index).split('\n').length + at
      found.push({ where: `${relative(ROOT, file)}:${line}`, source: file, code: body.join('\n') })
      at = end < 0 ? -1 : lines.findIndex((l, i) => i >= end && l.startsWith('@example'))
    }
  }
  return found
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : []
  })
}

const options: ts.CompilerOptions = {
  ...ts.parseJsonConfigFileContent(
    ts.readConfigFile(join(ROOT, 'tsconfig.tests.json'), ts.sys.readFile).config,
    ts.sys,
    ROOT,
  ).options,
  noEmit: true,
  // An example shows a call; what it leaves unused is not a mistake.
  noUnusedLocals: false,
}

/** Exported names, each true when it is only a type (imported with `import type`). */
type Exports = Map<string, boolean>

/** The names each public entry point exports. */
function entryExports(): Map<string, Exports> {
  const program = ts.createProgram(Object.values(ENTRIES), options)
  const checker = program.getTypeChecker()
  const exports = new Map<string, Exports>()
  for (const [specifier, file] of Object.entries(ENTRIES)) {
    const module = checker.getSymbolAtLocation(program.getSourceFile(file) as ts.SourceFile)
    const symbols = module ? checker.getExportsOfModule(module) : []
    exports.set(
      specifier,
      new Map(
        symbols.map((symbol) => {
          const target =
            symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
          return [symbol.name, (target.flags & ts.SymbolFlags.Value) === 0]
        }),
      ),
    )
  }
  return exports
}

/** The names a file exports, from its own declarations. */
function ownExports(file: string): Exports {
  const text = readFileSync(file, 'utf8')
  const names = text.matchAll(
    /^export (?:declare )?(?:async )?(function\*?|const|let|class|interface|type|enum) (\w+)/gm,
  )
  return new Map([...names].map((m) => [m[2] as string, m[1] === 'interface' || m[1] === 'type']))
}

/** `import { a, type B } from 'x'` for `names` taken from `exports`. */
function importLine(names: string[], exports: Exports, from: string): string {
  const list = names.map((name) => (exports.get(name) ? `type ${name}` : name))
  return `import { ${list.join(', ')} } from '${from}'`
}

/** The example as a module: its own imports, then imports of the names it uses but lacks. */
function moduleOf(example: Example, exports: Map<string, Exports>): string {
  const imported = new Set(
    [...example.code.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}/g)].flatMap((m) =>
      (m[1] as string).split(',').map((name) =>
        name
          .replace(/^\s*type\s+/, '')
          .split(' as ')
          .at(-1)
          ?.trim(),
      ),
    ),
  )
  for (const m of example.code.matchAll(/(?:declare\s+)?(?:const|let|function|class)\s+(\w+)/g))
    imported.add(m[1])
  const used = new Set(example.code.match(/\b[A-Za-z_$][\w$]*\b/g) ?? [])
  const wanted = [...used].filter((name) => !imported.has(name))
  const own = ownExports(example.source)
  const lines: string[] = []
  const fromOwn = wanted.filter((name) => own.has(name))
  const self = `./${relative(dirname(example.source), example.source).replace(/\.ts$/, '.js')}`
  if (fromOwn.length) lines.push(importLine(fromOwn, own, self))
  const taken = new Set(fromOwn)
  for (const [specifier, names] of exports) {
    const from = wanted.filter((name) => !taken.has(name) && names.has(name))
    for (const name of from) taken.add(name) // each name from one place only
    if (from.length) lines.push(importLine(from, names, specifier))
  }
  return `${lines.join('\n')}\n${example.code}\nexport {}\n`
}

describe('the @examples of core’s JSDoc', () => {
  const examples = sourceFiles(SRC).flatMap(examplesOf)

  it('are found (one per exported factory at least)', () => {
    expect(examples.length).toBeGreaterThan(20)
  })

  it('type-check, each as a module beside the file it documents', () => {
    const exports = entryExports()
    const virtual = new Map<string, string>()
    const whereOf = new Map<string, string>()
    examples.forEach((example, i) => {
      const path = join(dirname(example.source), `__example_${i}.ts`)
      virtual.set(path, moduleOf(example, exports))
      whereOf.set(path, example.where)
    })
    const host = ts.createCompilerHost(options)
    const { getSourceFile, fileExists, readFile } = host
    host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file)
    host.readFile = (file) => virtual.get(file) ?? readFile.call(host, file)
    host.getSourceFile = (file, language, ...rest) => {
      const text = virtual.get(file)
      return text === undefined
        ? getSourceFile.call(host, file, language, ...rest)
        : ts.createSourceFile(file, text, language)
    }
    const program = ts.createProgram([...virtual.keys()], options, host)
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && virtual.has(d.file.fileName))
      .map((d) => {
        const file = d.file as ts.SourceFile
        const { line } = file.getLineAndCharacterOfPosition(d.start ?? 0)
        const shown = file.text.split('\n')[line]
        return `${whereOf.get(file.fileName)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}\n    ${shown}`
      })
    expect(problems).toEqual([])
  }, 120_000)
})
