import { describe, expect, it } from 'vitest'
import { TasseConfigError } from './errors.js'
import { readEnvFiles, readSecrets, readUser } from './task-access-fields.js'

const at = (field: string) => ({ file: 'tasks/x/task.yaml', field })

describe('readUser', () => {
  it('reads a name, a uid and uid:gid', () => {
    expect(readUser(undefined, at('user'))).toBeNull()
    expect(readUser('nobody', at('user'))).toEqual({ name: 'nobody' })
    expect(readUser('www-data', at('user'))).toEqual({ name: 'www-data' })
    expect(readUser(65534, at('user'))).toEqual({ uid: 65534 })
    expect(readUser('1000', at('user'))).toEqual({ uid: 1000 })
    expect(readUser('1000:100', at('user'))).toEqual({ uid: 1000, gid: 100 })
  })

  it.each([['nobody:'], [':1000'], ['root; rm -rf /'], [-1], [1.5], ['4294967295'], [{}], ['']])(
    'refuses %j, naming the key and the value',
    (value) => {
      const read = () => readUser(value, at('user'))
      expect(read).toThrow(TasseConfigError)
      expect(read).toThrow(/tasks\/x\/task\.yaml: user must be a user name .* got/)
    },
  )
})

describe('readEnvFiles', () => {
  it('reads one path or a list', () => {
    expect(readEnvFiles(null, at('env_files'))).toEqual([])
    expect(readEnvFiles('.env', at('env_files'))).toEqual(['.env'])
    expect(readEnvFiles(['.env', '/run/secrets/app.env'], at('env_files'))).toEqual([
      '.env',
      '/run/secrets/app.env',
    ])
  })

  it('names the item at fault', () => {
    expect(() => readEnvFiles(['.env', 3], at('env_files'))).toThrow(
      'env_files[1] must be a file path, got 3',
    )
    expect(() => readEnvFiles({ a: 1 }, at('env_files'))).toThrow(/env_files must be a file path/)
  })
})

describe('readSecrets', () => {
  it('reads names to paths', () => {
    expect(readSecrets({ DB_PASSWORD: '/run/secrets/db' }, at('secrets'))).toEqual({
      DB_PASSWORD: '/run/secrets/db',
    })
  })

  it('refuses bad names and paths, naming the key', () => {
    expect(() => readSecrets({ 'A-B': 'x' }, at('secrets'))).toThrow(
      'secrets.A-B is not a valid environment variable name',
    )
    expect(() => readSecrets({ TASSE_X: 'x' }, at('secrets'))).toThrow(/secrets\.TASSE_X/)
    expect(() => readSecrets({ KEY: 42 }, at('secrets'))).toThrow(
      'secrets.KEY must be the path of the file that holds the value, got 42',
    )
    expect(() => readSecrets(['a'], at('secrets'))).toThrow(/secrets must be a mapping/)
  })
})
