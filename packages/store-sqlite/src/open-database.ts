/** Opening the SQLite file: its directory, the journal and the schema, and one message for any failure. */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'
import { TasseError } from '@tasse/core'
import { DEFAULT_FILE_MODE, directoryMode } from '@tasse/core/plugin-kit'
import Database from 'better-sqlite3'
import { MIGRATIONS, migrate } from './migrations.js'
import { sqliteBinding } from './native-binding.js'
import { type SqliteRunStoreOptions, STORE_TAG } from './sqlite-run-store.js'

const DEFAULT_BUSY_TIMEOUT_MS = 5_000

/** Opens the file and brings it to the current schema; one message for whatever goes wrong. */
export function openDatabase(path: string, options: SqliteRunStoreOptions): Database.Database {
  let db: Database.Database | undefined
  try {
    const fileMode = options.fileMode ?? DEFAULT_FILE_MODE
    if (path !== ':memory:') {
      createDirectory(dirname(path), directoryMode(fileMode))
      // Created here with its mode (SQLite takes an empty file as a new database), so that it
      // is never readable by others, not even for a moment.
      closeSync(openSync(path, 'a', fileMode))
    }
    db = new Database(path, {
      timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      nativeBinding: sqliteBinding(),
    })
    // WAL: readers and one writer at once, across processes; NORMAL sync is durable across a
    // crash of the process (a power loss may lose the last commits, never corrupt the file).
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    // A run's output and cancel request go with it (ON DELETE CASCADE).
    db.pragma('foreign_keys = ON')
    migrate(db, options.migrations ?? MIGRATIONS)
    if (path !== ':memory:')
      for (const file of [path, `${path}-wal`, `${path}-shm`]) setMode(file, fileMode)
    return db
  } catch (error) {
    db?.close()
    const reason = error instanceof Error ? error.message : String(error)
    throw new TasseError(
      'store',
      `cannot open the run store at ${path}: ${reason} (check that the directory is writable ` +
        'by this user, or set the store path to another file)',
      { tag: STORE_TAG, cause: error },
    )
  }
}

/** Sets an existing file's mode; one that belongs to another user (EPERM) keeps its own. */
function setMode(file: string, mode: number): void {
  try {
    chmodSync(file, mode)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT' && code !== 'EPERM') throw error
  }
}

function createDirectory(dir: string, mode: number): void {
  try {
    mkdirSync(dir, { recursive: true, mode })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw error
    // Node says "file already exists"; name the file that stands where a directory should be.
    let blocker = dir
    while (!existsSync(blocker) && dirname(blocker) !== blocker) blocker = dirname(blocker)
    throw new Error(`cannot create its directory, ${blocker} is a file`, { cause: error })
  }
}
