import { afterEach, describe, expect, it, vi } from 'vitest'
import { systemClock, ukDateTime } from '../../functions/shared/time'

describe('ukDateTime', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('gives +00:00 in January (GMT)', () => {
    expect(ukDateTime(new Date('2026-01-15T09:30:00Z'))).toBe('2026-01-15T09:30:00+00:00')
  })

  it('gives +01:00 and the local wall time in July (BST)', () => {
    expect(ukDateTime(new Date('2026-07-01T08:30:00Z'))).toBe('2026-07-01T09:30:00+01:00')
  })

  it('moves the local date on when BST crosses midnight', () => {
    expect(ukDateTime(new Date('2026-06-30T23:30:00Z'))).toBe('2026-07-01T00:30:00+01:00')
  })

  it('writes midnight as 00, not 24', () => {
    expect(ukDateTime(new Date('2026-01-01T00:00:00Z'))).toBe('2026-01-01T00:00:00+00:00')
  })

  it('springs forward at 01:00 UTC on the last Sunday of March', () => {
    expect(ukDateTime(new Date('2026-03-29T00:59:59Z'))).toBe('2026-03-29T00:59:59+00:00')
    expect(ukDateTime(new Date('2026-03-29T01:00:00Z'))).toBe('2026-03-29T02:00:00+01:00')
  })

  it('falls back at 01:00 UTC on the last Sunday of October, repeating the 01:00 hour', () => {
    expect(ukDateTime(new Date('2026-10-25T00:59:59Z'))).toBe('2026-10-25T01:59:59+01:00')
    expect(ukDateTime(new Date('2026-10-25T01:00:00Z'))).toBe('2026-10-25T01:00:00+00:00')
  })

  it('drops milliseconds without disturbing the offset', () => {
    expect(ukDateTime(new Date('2026-07-01T08:30:00.999Z'))).toBe('2026-07-01T09:30:00+01:00')
  })

  it('formats the system clock under fake timers', () => {
    // Prepare
    vi.useFakeTimers()
    vi.setSystemTime(new Date('2026-03-29T01:00:00Z'))

    // Act
    const text = ukDateTime(systemClock())

    // Assess
    expect(text).toBe('2026-03-29T02:00:00+01:00')
  })
})

describe('ukDateTime against Intl (Europe/London)', () => {
  it('agrees with the tz database every 7 hours across 2024-2030, and at each change', () => {
    // Prepare: the reference formatter the implementation deliberately avoids at cold start
    const london = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/London',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
    const reference = (instant: Date) => {
      const parts = Object.fromEntries(london.formatToParts(instant).map((part) => [part.type, part.value]))
      return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`
    }
    const instants: Date[] = []
    for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2031, 0, 1); t += 7 * 3_600_000)
      instants.push(new Date(t))
    for (const change of [
      '2026-03-29T00:59:59Z',
      '2026-03-29T01:00:00Z',
      '2026-10-25T00:59:59Z',
      '2026-10-25T01:00:00Z',
    ]) {
      instants.push(new Date(change))
    }
    // Act and Assess
    for (const instant of instants)
      expect(ukDateTime(instant).slice(0, 19), instant.toISOString()).toBe(reference(instant))
  })
})
