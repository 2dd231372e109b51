/**
 * Skipping contract tests by name, with a reason, as hono's router suite does
 * (`runTest({ skip: [{ reason, tests }] })`): an implementation that cannot support a case says
 * so in its own test file, and the skipped test still shows in the report with the reason.
 */
import { it } from 'vitest'

/** Tests of a contract suite that an implementation does not run, and why. */
export interface SkippedTests<Name extends string = string> {
  /** Why, shown in the skipped test's title (e.g. `a past run_date is returned as is`). */
  reason: string
  /** Titles of the suite's tests, exactly as the suite names them. */
  tests: readonly Name[]
}

/**
 * An `it` for the tests named in `names` (so the list a plugin may skip from stays in step with
 * the suite) that skips the titles listed in `skip`, showing the reason. Throws at once when a
 * skip names a test the suite does not have, so a renamed test cannot be skipped silently.
 */
export function contractIt<Name extends string>(
  suite: string,
  names: readonly Name[],
  skip: readonly SkippedTests[] = [],
): (title: Name, fn: () => unknown, timeout?: number) => void {
  const reasons = new Map<string, string>()
  for (const entry of skip) {
    for (const title of entry.tests) {
      if (!(names as readonly string[]).includes(title))
        throw new Error(
          `${suite}: cannot skip ${JSON.stringify(title)}, the suite has no such test; its tests are:\n  ${names.join('\n  ')}`,
        )
      reasons.set(title, entry.reason)
    }
  }
  return (title, fn, timeout) => {
    const reason = reasons.get(title)
    if (reason !== undefined) it.skip(`${title} (skipped: ${reason})`, fn)
    else it(title, fn, timeout)
  }
}
