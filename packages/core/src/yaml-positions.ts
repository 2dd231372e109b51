/**
 * Where a key of a task.yaml is written: the line and column of `scheduler.hour` or
 * `params[1].name`, from the ranges the `yaml` package keeps on each node, so that a message
 * can point at it (`task.yaml:3:3: scheduler.hour …`) as a compiler does.
 */
import { type Document, isMap, isScalar, isSeq, type LineCounter } from 'yaml'

export interface YamlPosition {
  /** 1-based. */
  line: number
  /** 1-based. */
  column: number
}

/**
 * The start of `field`'s key (of the item, for a list index), or of its nearest written parent
 * when `field` itself is not written (a missing option is reported where its mapping is);
 * `null` for the file as a whole.
 *
 * @example
 * import { LineCounter, parseDocument } from 'yaml'
 * const lineCounter = new LineCounter()
 * const document = parseDocument('scheduler:\n  hour: 25\n', { lineCounter })
 * fieldPosition(document, lineCounter, 'scheduler.hour') // { line: 2, column: 3 }
 */
export function fieldPosition(
  document: Document,
  lineCounter: LineCounter,
  field: string,
): YamlPosition | null {
  let node: unknown = document.contents
  let offset: number | undefined
  for (const segment of fieldSegments(field)) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === segment,
      )
      if (!pair || !isScalar(pair.key)) break
      offset = pair.key.range?.[0]
      node = pair.value
    } else if (isSeq(node) && /^\d+$/.test(segment)) {
      const item = node.items[Number(segment)]
      if (!item || typeof item !== 'object' || !('range' in item)) break
      offset = (item as { range?: [number, number, number] }).range?.[0]
      node = item
    } else break
  }
  if (offset === undefined) return null
  const { line, col } = lineCounter.linePos(offset)
  return { line, column: col }
}

/** `params[2].pattern` → `params`, `2`, `pattern`. */
export function fieldSegments(field: string): string[] {
  return [...field.matchAll(/[^.[\]]+/g)].map((match) => match[0])
}
