/** Time zones, the wall calendar and date-time strings, as the triggers need them. */
export {
  type CivilDate,
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  isLeapYear,
  isoWeekOfDays,
  SECONDS_PER_DAY,
  weekdayOfDays,
} from './civil.js'
export {
  ceilToSecond,
  DATE_TIME,
  formatInstant,
  formatLocal,
  formatMillis,
  formatOffset,
  instantOfDateTime,
  MICROS_PER_SECOND,
  type ParsedDateTime,
  parseDateTime,
  secondAfter,
} from './iso.js'
export {
  dateTimeOptionSchema,
  JITTER_OPTION_SCHEMA,
  jitterDelay,
  type OptionSource,
  optionError,
  optionLocation,
  readDateTimeOption,
  readJitterOption,
  readTimeZoneOption,
  rejectUnknownOptions,
  TIME_ZONE_OPTION_SCHEMA,
} from './scheduler-options.js'
export { transitionNote } from './transition-note.js'
export { firstInstantAtOrAfter } from './wall-walk.js'
export {
  isTimeZoneName,
  type TimeZone,
  timeZone,
  timeZoneProblem,
  type WallTimeInstants,
  type ZoneTransition,
} from './zone.js'
