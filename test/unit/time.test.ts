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
