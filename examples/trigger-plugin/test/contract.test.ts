/**
 * `@tasse/core/testing`'s trigger contract on `trigger: business_days`: the factory with option
 * sets that cover every key, and invalid ones refused with the key at fault.
 */
import { join } from 'node:path'
import { testTriggerFactory } from '@tasse/core/testing'
import { businessDaysFactory } from 'tasse-trigger-business-days'

const holidays = join(import.meta.dirname, 'fixtures', 'holidays.txt')

testTriggerFactory({
  factory: businessDaysFactory({ holidays: ['2026-12-24'] }),
  valid: [
    { times: ['09:00'] },
    { times: ['17:30', '09:00:30'], timezone: 'Europe/Paris' },
    // 02:30 does not exist in New York on 2024-03-10, and 01:30 comes twice on 2024-11-03.
    { times: ['02:30', '01:30'], timezone: 'America/New_York', weekdays: 'mon-sun' },
    { times: '12:00', weekdays: ['sat', 'sun'], skip_dates_file: holidays },
    { times: ['23:59:59'], timezone: 'Pacific/Apia', weekdays: ['mon', 'wed-fri'] },
  ],
  invalid: [
    { options: {}, field: 'scheduler.times', message: 'must be a list of times' },
    { options: { times: ['9am'] }, field: 'scheduler.times', message: 'got "9am"' },
    { options: { times: ['24:00'] }, field: 'scheduler.times', message: '23:59:59' },
    { options: { times: ['09:00'], weekdays: 'weekends' }, field: 'scheduler.weekdays' },
    { options: { times: ['09:00'], weekdays: 'fri-mon' }, field: 'scheduler.weekdays' },
    { options: { times: ['09:00'], timezone: 'CET+1' }, field: 'scheduler.timezone' },
    { options: { time: ['09:00'] }, field: 'scheduler.time', message: 'did you mean "times"?' },
    {
      options: { times: ['09:00'], skip_dates_file: 'no-such-file.txt' },
      field: 'scheduler.skip_dates_file',
      message: 'cannot be read',
    },
    {
      options: { times: ['09:00'], skip_dates_file: join(import.meta.dirname, 'contract.test.ts') },
      field: 'scheduler.skip_dates_file',
      message: 'line 1: must be a date YYYY-MM-DD',
    },
  ],
})
