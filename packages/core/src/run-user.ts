/**
 * Running a task as another user (`user:`): who that is (`resolveUser`, from /etc/passwd as the
 * container or machine has it), whether this host may switch to them (`switchUserProblem`: only
 * as root with CAP_SETUID and CAP_SETGID), and whether they can reach the files the run
 * needs (`reachProblem`), so that a run that cannot work fails with the reason, not with an
 * EACCES from somewhere in the spawn. The switch itself is in `child-process.ts`.
 *
 * Supplementary groups are dropped, not taken from /etc/group: Node's own `uid`/`gid` spawn
 * options do so, and both ways of spawning must give the same process.
 */
import { readFileSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { TaskUser } from './types.js'

/** Who a run's process is: ids, and what goes into its HOME, USER and LOGNAME. */
export interface RunUser {
  uid: number
  gid: number
  /** The name in /etc/passwd, or the uid as text for ids that have no entry. */
  name: string
  /**
   * The home in /etc/passwd; `null` for ids that have no entry (the run keeps the HOME it
   * inherits: the image's tasks, as a data folder's owner unknown to it, keep /tmp).
   */
  home: string | null
}

/**
 * HOME (when /etc/passwd gives one), USER and LOGNAME of `user`: what a process started as them
 * gets, the run's own and any a runner spawns for it.
 *
 * @example
 * userEnv(resolveUser({ name: 'nobody' })) // { HOME: '/nonexistent', USER: 'nobody', LOGNAME: 'nobody' }
 */
export function userEnv(user: RunUser): Record<string, string> {
  return { ...(user.home === null ? {} : { HOME: user.home }), USER: user.name, LOGNAME: user.name }
}

/** Where users are looked up: the file's text (a parameter for tests). */
export type PasswdSource = () => string

const ETC_PASSWD: PasswdSource = () => readFileSync('/etc/passwd', 'utf8')

/**
 * The ids and home of `user`. A name must be in /etc/passwd (users from LDAP or other NSS
 * sources are not seen: give their `uid:gid`); a bare uid takes its group from there, or the
 * uid itself as gid when it has no entry. Throws an Error that names the user.
 *
 * @example
 * resolveUser({ name: 'nobody' }) // { uid: 65534, gid: 65534, name: 'nobody', home: '/nonexistent' }
 */
export function resolveUser(user: TaskUser, passwd: PasswdSource = ETC_PASSWD): RunUser {
  let text = ''
  try {
    text = passwd()
  } catch {}
  const entries = text
    .split('\n')
    .map((line) => line.split(':'))
    .filter((fields) => fields.length >= 7)
  if ('name' in user) {
    const entry = entries.find((fields) => fields[0] === user.name)
    if (!entry)
      throw new Error(
        `user "${user.name}" is not in /etc/passwd: create it, or give "uid:gid" in user:`,
      )
    return fromEntry(entry)
  }
  const entry = entries.find((fields) => Number(fields[2]) === user.uid)
  const known = entry ? fromEntry(entry) : null
  return {
    uid: user.uid,
    gid: user.gid ?? known?.gid ?? user.uid,
    name: known?.name ?? String(user.uid),
    home: known ? known.home : null,
  }
}

/** CAP_SETGID and CAP_SETUID's bits in /proc/<pid>/status's CapEff. */
const CAP_SETGID = 6n
const CAP_SETUID = 7n

/**
 * Why this process cannot start processes as another user, or `null` when it can: it must be
 * root, with CAP_SETUID and CAP_SETGID (which a container may have dropped).
 *
 * @example
 * const problem = switchUserProblem()
 * if (problem) console.log(`user: cannot be honoured: ${problem}`)
 */
export function switchUserProblem(
  status: () => string = SELF_STATUS,
  euid: number | undefined = process.geteuid?.(),
): string | null {
  if (euid === undefined) return 'this platform has no users to switch to'
  // Only from root: a process that is not root keeps its capabilities (ambient ones across
  // exec) when it changes uid, and so would the task.
  if (euid !== 0)
    return `the host runs as uid ${euid}, not root: only root can start a task as another user`
  let effective: bigint | null = null
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status())?.[1]
    if (hex) effective = BigInt(`0x${hex}`)
  } catch {}
  const can = (bit: bigint) => effective === null || ((effective >> bit) & 1n) === 1n
  if (can(CAP_SETUID) && can(CAP_SETGID)) return null
  return 'the host runs as root without CAP_SETUID and CAP_SETGID (dropped by its container?)'
}

const SELF_STATUS = () => readFileSync('/proc/self/status', 'utf8')

/**
 * Why `user` cannot use `path` as the run needs (`'x'`: enter a folder, `'r'`: read a file,
 * `'rx'`: both on a folder), or `null` when it can: every folder above it must let the user in,
 * judged by the mode bits for their uid and their one group (no supplementary groups, no ACLs).
 *
 * @example
 * const user = resolveUser({ name: 'nobody' })
 * reachProblem('/data/tasks/report', 'x', user) // 'user nobody cannot enter /data (mode 700, owner 0:0)'
 */
export function reachProblem(path: string, need: 'x' | 'r' | 'rx', user: RunUser): string | null {
  if (user.uid === 0) return null
  const target = resolve(path)
  const chain: string[] = []
  for (let dir = dirname(target); ; dir = dirname(dir)) {
    chain.unshift(dir)
    if (dir === dirname(dir)) break
  }
  for (const dir of chain) {
    const problem = modeProblem(dir, 'x', user)
    if (problem) return problem
  }
  return modeProblem(target, need, user)
}

function modeProblem(path: string, need: 'x' | 'r' | 'rx', user: RunUser): string | null {
  let stats: ReturnType<typeof statSync>
  try {
    stats = statSync(path)
  } catch (cause) {
    return `cannot look at ${path}: ${(cause as Error).message}`
  }
  const shift = stats.uid === user.uid ? 6 : stats.gid === user.gid ? 3 : 0
  const bits = (stats.mode >> shift) & 0o7
  const wanted = (need.includes('r') ? 0o4 : 0) | (need.includes('x') ? 0o1 : 0)
  if ((bits & wanted) === wanted) return null
  const mode = (stats.mode & 0o777).toString(8)
  const verb = need.includes('r') ? 'read' : stats.isDirectory() ? 'enter' : 'execute'
  return `user ${user.name} (uid ${user.uid}) cannot ${verb} ${path} (mode ${mode}, owner ${stats.uid}:${stats.gid})`
}

function fromEntry(fields: string[]): RunUser & { home: string } {
  return {
    name: fields[0] as string,
    uid: Number(fields[2]),
    gid: Number(fields[3]),
    home: fields[5] || '/',
  }
}
