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
