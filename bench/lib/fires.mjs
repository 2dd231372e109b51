/** Accounting of fires from a record file of `<start> <task> <scheduled time>` lines. */
import { parseIsoSeconds, readRecords } from './common.mjs'

/**
 * The fires of the whole seconds `first`…`last`: one entry per (task, fire second) in `seen`,
 * the lateness of each (start − fire time, ms), and the runs of a fire already seen
 * (`duplicates`). Without a scheduled time in the record, `startDate` takes the start's second.
 */
export function firesInWindow(records, first, last, startDate) {
  const seen = new Set()
  const lateness = []
  let duplicates = 0
  for (const [startText, name, scheduledText] of readRecords(records)) {
    const start = Number(startText)
    const scheduled =
      scheduledText && scheduledText.length > 0
        ? parseIsoSeconds(scheduledText)
        : startDate
          ? Math.floor(start)
          : null
    if (scheduled === null) continue
    const slot = Math.round(scheduled)
    if (slot < first || slot > last) continue
    const key = `${name} ${slot}`
    if (seen.has(key)) {
      duplicates++
      continue
    }
    seen.add(key)
    lateness.push((start - scheduled) * 1000)
  }
  return { seen, lateness, duplicates }
}
