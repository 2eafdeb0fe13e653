/**
 * UK civil time: GMT, or BST (UTC+1) from 01:00 UTC on the last Sunday of March to 01:00
 * UTC on the last Sunday of October (the rule since 1996). Computed rather than asked of
 * Intl: a module-scope Intl.DateTimeFormat cost about 12 ms of every cold start.
 */
function lastSundayAtOneUtc(year: number, month: number): number {
  const lastDay = new Date(Date.UTC(year, month + 1, 0, 1))
  return lastDay.getTime() - lastDay.getUTCDay() * 86_400_000
}

/** Minutes UK civil time is ahead of UTC at an instant (0 or 60). */
export function ukOffsetMinutes(instant: Date): number {
  const year = instant.getUTCFullYear()
  const time = instant.getTime()
  return time >= lastSundayAtOneUtc(year, 2) && time < lastSundayAtOneUtc(year, 9) ? 60 : 0
}

const two = (value: number) => String(value).padStart(2, '0')

/**
 * UK local time with an explicit offset, as GP Connect and PDS format instants
 * (for example `2026-07-01T09:30:00+01:00`).
 */
export function ukDateTime(instant: Date): string {
  const offset = ukOffsetMinutes(instant)
  const local = new Date(Math.floor(instant.getTime() / 1000) * 1000 + offset * 60_000)
  const date = `${local.getUTCFullYear()}-${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())}`
  const time = `${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())}`
  return `${date}T${time}${offset ? '+01:00' : '+00:00'}`
}

/** A source of the current time; domain functions take one so tests can fix it. */
export type Clock = () => Date

export const systemClock: Clock = () => new Date()

const UK_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?([+-]\d{2}:\d{2}|Z)$/
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/

/** True for a full calendar date `yyyy-mm-dd` that exists (no 30 February). */
export function isCalendarDate(text: string): boolean {
  const match = CALENDAR_DATE.exec(text)
  if (!match) return false
  const [, year, month, day] = match.map(Number) as [number, number, number, number]
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/**
 * Reads a UK local time with its explicit offset, as GP Connect sends and expects them:
 * `+00:00` while GMT applies and `+01:00` during BST. Anything else is refused (undefined):
 * `Z`, a missing or foreign offset, the offset of the other season, a local time the clocks
 * skip in March, an impossible date. In October's repeated hour both offsets are right.
 */
export function parseUkDateTime(text: string): Date | undefined {
  const match = UK_DATE_TIME.exec(text)
  if (!match) return undefined
  const [, year, month, day, hour, minute, second, fraction, offset] = match
  if (!isCalendarDate(`${year}-${month}-${day}`)) return undefined
  if (Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return undefined
  if (offset !== '+00:00' && offset !== '+01:00') return undefined
  const offsetMinutes = offset === '+01:00' ? 60 : 0
  const local = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    fraction ? Math.round(Number(fraction) * 1000) : 0,
  )
  const instant = new Date(local - offsetMinutes * 60_000)
  return ukOffsetMinutes(instant) === offsetMinutes ? instant : undefined
}

/** The UK civil date (`yyyy-mm-dd`) at an instant. */
export function ukDate(instant: Date): string {
  return ukDateTime(instant).slice(0, 10)
}

/**
 * The instant a UK civil date reaches a wall-clock time (`hh:mm`). Meant for times outside
 * the changeover hour (01:00 to 02:00 local), such as a clinic's opening hours or midnight.
 */
export function ukWallClock(date: string, time = '00:00'): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number]
  const [hour, minute] = time.split(':').map(Number) as [number, number]
  const asIfUtc = Date.UTC(year, month - 1, day, hour, minute)
  const guess = new Date(asIfUtc - ukOffsetMinutes(new Date(asIfUtc)) * 60_000)
  return new Date(asIfUtc - ukOffsetMinutes(guess) * 60_000)
}

/** The civil date `days` after a civil date (`yyyy-mm-dd`). */
export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number]
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10)
}
