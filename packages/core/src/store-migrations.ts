/** What the stores with a versioned schema share: the order of migrations and a newer schema. */

/** Refuses a list of migrations whose versions are not 1, 2, 3… in order. */
export function checkMigrationOrder(
  migrations: readonly { version: number; description: string }[],
): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1)
      throw new Error(
        `migration "${migration.description}" has version ${migration.version}, expected ${index + 1}`,
      )
  })
}

/** The data was migrated by a newer release whose schema this one does not know. */
export class NewerSchemaError extends Error {
  override readonly name = 'NewerSchemaError'
  readonly version: number
  readonly latest: number

  /** `pkg` is the store's package, `where` where to upgrade it (e.g. `on every host`). */
  constructor(version: number, latest: number, pkg: string, where = '') {
    super(
      `its schema is version ${version}, newer than version ${latest}, the last this ${pkg} ` +
        `knows; upgrade ${pkg}${where ? ` ${where}` : ''}`,
    )
    this.version = version
    this.latest = latest
  }
}
