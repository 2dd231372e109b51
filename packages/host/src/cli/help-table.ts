/**
 * Help text in aligned columns: each command lists its options as rows, and this lays them out,
 * so that no hand-padded line drifts out of line when a flag is added.
 */

/** One option: its flag(s) and value, what it does, and where else it comes from (env, default). */
export type HelpRow = readonly [flag: string, description: string, source?: string]

/**
 * Rows as lines: `  FLAG  DESCRIPTION  [SOURCE]`, each column as wide as its widest cell.
 * A description may hold `\n` for continuation lines, indented under the description column.
 *
 * @example
 * helpTable([['--data DIR', 'data directory', 'TASSE_DATA, default ./data']])
 * // '  --data DIR  data directory  [TASSE_DATA, default ./data]'
 */
export function helpTable(rows: readonly HelpRow[]): string {
  const flagWidth = Math.max(0, ...rows.map(([flag]) => flag.length))
  const firstLines = rows.map(([, description]) => description.split('\n')[0] ?? '')
  const hasSource = rows.some(([, , source]) => source !== undefined)
  const descriptionWidth = hasSource ? Math.max(0, ...firstLines.map((line) => line.length)) : 0
  const indent = ' '.repeat(2 + flagWidth + 2)
  return rows
    .map(([flag, description, source]) => {
      const [first = '', ...more] = description.split('\n')
      const head = `  ${flag.padEnd(flagWidth)}  ${
        source === undefined ? first : `${first.padEnd(descriptionWidth)}  [${source}]`
      }`
      return [head.trimEnd(), ...more.map((line) => `${indent}${line}`)].join('\n')
    })
    .join('\n')
}
