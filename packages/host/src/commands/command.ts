/** The shape of a `tasse` command: its help, its flags (for `parseArgs`) and what it does. */
export interface CommandInput {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>
  positionals: string[]
}

export interface Command {
  /** The full `tasse <command> --help` text. */
  usage: string
  options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>
  /** Resolves with the process exit code. */
  run(input: CommandInput): Promise<number>
}
