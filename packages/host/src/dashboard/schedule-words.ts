/**
 * A task's schedule in words, for the task list: "every 10 seconds", "at 17:00 on mon-fri".
 * Read from the `scheduler:` options the user wrote (the trigger has already accepted them);
 * anything this does not phrase falls back to the trigger's own description, which is exact.
 */
import type { Trigger } from '@tasse/core'

const UNITS = ['weeks', 'days', 'hours', 'minutes', 'seconds'] as const

/**
 * @example
 * scheduleInWords(task.trigger, { trigger: 'interval', minutes: 90 }) // 'every 90 minutes'
 * scheduleInWords(task.trigger, { trigger: 'cron', hour: 17, day_of_week: 'mon-fri' }) // 'at 17:00:00 on mon-fri'
 */
export function scheduleInWords(trigger: Trigger | null, options: unknown): string {
  if (!trigger) return 'when triggered'
  const o = (options && typeof options === 'object' ? options : {}) as Record<string, unknown>
  const words =
    trigger.type === 'interval' ? intervalWords(o) : trigger.type === 'cron' ? cronWords(o) : null
  return words ?? trigger.describe()
}

function intervalWords(o: Record<string, unknown>): string | null {
  const parts: string[] = []
  for (const unit of UNITS) {
    const value = o[unit]
    if (value === undefined || value === null || value === 0) continue
    if (typeof value !== 'number') return null
    parts.push(`${value} ${value === 1 ? unit.slice(0, -1) : unit}`)
  }
  if (parts.length === 0) return null
  return parts.length === 1 && parts[0]?.startsWith('1 ')
    ? `every ${parts[0].slice(2)}`
    : `every ${parts.join(' ')}`
}

/** APScheduler's cron: fields below the most significant one given default to their minimum. */
function cronWords(o: Record<string, unknown>): string | null {
  const field = (name: string) => (o[name] === undefined ? undefined : String(o[name]).trim())
  const [hour, minute, second] = [field('hour'), field('minute'), field('second')]
  if (field('year') !== undefined || field('week') !== undefined) return null
  const days: string[] = []
  const dayOfWeek = field('day_of_week')
  const day = field('day')
  const month = field('month')
  if (dayOfWeek !== undefined && dayOfWeek !== '*') days.push(`on ${dayOfWeek}`)
  if (day !== undefined && day !== '*') days.push(`on day ${day} of the month`)
  if (month !== undefined && month !== '*') days.push(`in month ${month}`)
  const number = /^\d{1,2}$/
  const every = /^\*\/(\d+)$/
  let time: string | null = null
  if (hour !== undefined && number.test(hour)) {
    if ((minute ?? '0').match(number) && (second ?? '0').match(number))
      time = `at ${pad(hour)}:${pad(minute ?? '0')}:${pad(second ?? '0')}`
  } else if (hour === undefined || hour === '*') {
    const m = minute === undefined ? undefined : every.exec(minute)
    const s = second === undefined ? undefined : every.exec(second)
    if (hour === undefined && m && (second ?? '0') === '0') time = `every ${m[1]} minutes`
    else if (hour === undefined && minute === undefined && s) time = `every ${s[1]} seconds`
    else if (minute !== undefined && number.test(minute) && (second ?? '0') === '0')
      time = `every hour at minute ${minute}`
  } else {
    const h = every.exec(hour)
    if (h && (minute ?? '0') === '0' && (second ?? '0') === '0') time = `every ${h[1]} hours`
  }
  if (time === null) return null
  return [time, ...days].join(' ')
}

function pad(value: string): string {
  return value.padStart(2, '0')
}
