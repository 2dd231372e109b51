/**
 * The one reader of task.yaml: read as a task's file is read (a regular file inside the task's
 * folder, of bounded size: a FIFO or a link out of the folder is refused, never blocked on),
 * then YAML 1.2 through the `yaml` package, strictly (a key given twice is an error, not a silent
 * override, and aliases cannot expand into a bomb), and the document must be a mapping (or empty).
 */
import { LineCounter, parseDocument } from 'yaml'
import { TasseConfigError } from './errors.js'
import { MAX_TASK_YAML_BYTES, readTaskFile } from './task-files.js'
import { show } from './wording.js'
import { fieldPosition, type YamlPosition } from './yaml-positions.js'

/**
 * The mapping in the file `name` (`task.yaml`) of the task folder `dir`, `{}` for an empty file;
 * `file` is how the path is shown in messages. A missing or unreadable file, invalid YAML or
 * anything but a mapping is a `TasseConfigError`, with the line and column where YAML is wrong.
 *
 * @example
 * const raw = readTaskYaml('data/tasks/report', 'task.yaml', 'tasks/report/task.yaml')
 */
export function readTaskYaml(dir: string, name: string, file: string): Record<string, unknown> {
  return readTaskYamlDocument(dir, name, file).value
}

/** A task.yaml's mapping, and where each of its keys is written. */
export interface TaskYaml {
  value: Record<string, unknown>
  /** Where `field` (`scheduler.hour`, `params[1].name`) starts, or its nearest written parent. */
  positionOf(field: string): YamlPosition | null
}

/** As `readTaskYaml`, with the positions of the keys for messages. */
export function readTaskYamlDocument(dir: string, name: string, file: string): TaskYaml {
  const yaml = readTaskFile(dir, name, MAX_TASK_YAML_BYTES)
  if (!yaml.ok)
    throw new TasseConfigError(
      { file, field: '' },
      yaml.missing
        ? 'is missing: every task folder needs a task.yaml (an empty one runs the task only when triggered)'
        : yaml.problem,
    )
  return parseTaskYamlDocument(yaml.text, file)
}

/** The mapping of a task.yaml's text. */
export function parseTaskYaml(text: string, file: string): Record<string, unknown> {
  return parseTaskYamlDocument(text, file).value
}

/** The mapping of a task.yaml's text, and where each key is written. */
export function parseTaskYamlDocument(text: string, file: string): TaskYaml {
  return parseYamlMappingDocument(text, file, 'scheduler, entrypoint, …')
}

/**
 * The mapping of a YAML file's text (a task.yaml, the host's configuration file), with errors
 * that name `file` and the line; `keys` hints at what the mapping holds. Empty text is `{}`.
 */
export function parseYamlMapping(
  text: string,
  file: string,
  keys: string,
): Record<string, unknown> {
  return parseYamlMappingDocument(text, file, keys).value
}

/** As `parseYamlMapping`, with where each key is written. */
export function parseYamlMappingDocument(text: string, file: string, keys: string): TaskYaml {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true, lineCounter })
  const error = document.errors[0]
  if (error) {
    const [line, column] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : []
    const where = line === undefined ? '' : ` at line ${line}, column ${column}`
    throw new TasseConfigError(
      { file, field: '', ...(line === undefined ? {} : { line, column }) },
      `is not valid YAML${where}: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
      { cause: error },
    )
  }
  let value: unknown
  try {
    // Aliases are expanded here: a few lines of `&a [*a, *a, …]` would make billions of nodes,
    // and the yaml package stops them (maxAliasCount) with a message that names no file.
    value = document.toJS()
  } catch (cause) {
    throw new TasseConfigError(
      { file, field: '' },
      `cannot be read as YAML: ${(cause as Error).message} (aliases that expand to more than 100 nodes are refused)`,
      { cause },
    )
  }
  const positionOf = (field: string) => fieldPosition(document, lineCounter, field)
  if (value === null || value === undefined) return { value: {}, positionOf }
  if (typeof value !== 'object' || Array.isArray(value))
    throw new TasseConfigError(
      { file, field: '', line: 1, column: 1 },
      `must hold a mapping of keys (${keys}), got ${show(value)}`,
    )
  return { value: value as Record<string, unknown>, positionOf }
}
