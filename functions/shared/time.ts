const londonParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
})

/**
 * UK local time with an explicit offset, as GP Connect and PDS format instants
 * (for example `2026-07-01T09:30:00+01:00`).
 */
export function ukDateTime(instant: Date): string {
  const parts: Record<string, string> = {}
  for (const part of londonParts.formatToParts(instant)) parts[part.type] = part.value
  const local = `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`
  const offsetMinutes = Math.round(
    (Date.parse(`${local}Z`) - Math.floor(instant.getTime() / 1000) * 1000) / 60000,
  )
  const sign = offsetMinutes < 0 ? '-' : '+'
  const abs = Math.abs(offsetMinutes)
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
  return `${local}${offset}`
}

/** A source of the current time; domain functions take one so tests can fix it. */
export type Clock = () => Date

export const systemClock: Clock = () => new Date()
