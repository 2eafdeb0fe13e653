import { describe, expect, it } from 'vitest'
import { addDays, isCalendarDate, parseUkDateTime, ukDate, ukWallClock } from '../../functions/shared/time'

describe('parseUkDateTime', () => {
  it('reads +00:00 in winter and +01:00 in summer', () => {
    expect(parseUkDateTime('2027-01-15T09:30:00+00:00')?.toISOString()).toBe('2027-01-15T09:30:00.000Z')
    expect(parseUkDateTime('2027-07-01T09:30:00+01:00')?.toISOString()).toBe('2027-07-01T08:30:00.000Z')
  })

  it('refuses Z, a missing offset and foreign offsets, as GP Connect does', () => {
    for (const text of [
      '2027-01-15T09:30:00Z',
      '2027-01-15T09:30:00',
      '2027-01-15T09:30:00+02:00',
      '2027-01-15T09:30:00-00:00',
      '2027-01-15T09:30+00:00',
      '2027-01-15',
      '2027-01',
    ]) {
      expect(parseUkDateTime(text), text).toBeUndefined()
    }
  })

  it("refuses the other season's offset", () => {
    expect(parseUkDateTime('2027-01-15T09:30:00+01:00')).toBeUndefined()
    expect(parseUkDateTime('2027-07-01T09:30:00+00:00')).toBeUndefined()
  })

  it('follows the March change: +00:00 until 01:00 local, +01:00 from 02:00, and the skipped hour does not exist', () => {
    expect(parseUkDateTime('2027-03-28T00:59:59+00:00')?.toISOString()).toBe('2027-03-28T00:59:59.000Z')
    expect(parseUkDateTime('2027-03-28T02:00:00+01:00')?.toISOString()).toBe('2027-03-28T01:00:00.000Z')
    expect(parseUkDateTime('2027-03-28T01:30:00+00:00')).toBeUndefined()
    expect(parseUkDateTime('2027-03-28T01:30:00+01:00')).toBeUndefined()
    expect(parseUkDateTime('2027-03-28T09:00:00+00:00')).toBeUndefined()
  })

  it("accepts both offsets in October's repeated hour, as two different instants", () => {
    const first = parseUkDateTime('2027-10-31T01:30:00+01:00')
    const second = parseUkDateTime('2027-10-31T01:30:00+00:00')
    expect(first?.toISOString()).toBe('2027-10-31T00:30:00.000Z')
    expect(second?.toISOString()).toBe('2027-10-31T01:30:00.000Z')
    expect(parseUkDateTime('2027-10-31T09:00:00+01:00')).toBeUndefined()
  })

  it('refuses impossible dates and times', () => {
    expect(parseUkDateTime('2027-02-29T09:00:00+00:00')).toBeUndefined()
    expect(parseUkDateTime('2027-01-15T24:00:00+00:00')).toBeUndefined()
    expect(parseUkDateTime('2027-01-15T09:60:00+00:00')).toBeUndefined()
    expect(parseUkDateTime('2027-01-15T23:59:60+00:00')).toBeUndefined()
  })

  it('accepts the last second of a day', () => {
    expect(parseUkDateTime('2027-01-15T23:59:59+00:00')?.toISOString()).toBe('2027-01-15T23:59:59.000Z')
  })

  it('keeps fractions of a second, to the millisecond', () => {
    expect(parseUkDateTime('2027-01-15T09:30:00.25+00:00')?.toISOString()).toBe('2027-01-15T09:30:00.250Z')
    expect(parseUkDateTime('2027-07-01T09:30:00.125+01:00')?.toISOString()).toBe('2027-07-01T08:30:00.125Z')
  })

  it('refuses anything before or after the date-time', () => {
    expect(parseUkDateTime('x2027-01-15T09:30:00+00:00')).toBeUndefined()
    expect(parseUkDateTime('2027-01-15T09:30:00+00:00x')).toBeUndefined()
    expect(parseUkDateTime('2027-01-15T09:30:00+00:00Z')).toBeUndefined()
  })
})

describe('ukWallClock', () => {
  it('finds the instant a UK date reaches a wall-clock time in either season and on the change days', () => {
    expect(ukWallClock('2027-01-15', '09:00').toISOString()).toBe('2027-01-15T09:00:00.000Z')
    expect(ukWallClock('2027-07-01', '09:00').toISOString()).toBe('2027-07-01T08:00:00.000Z')
    expect(ukWallClock('2027-03-28').toISOString()).toBe('2027-03-28T00:00:00.000Z')
    expect(ukWallClock('2027-03-28', '09:00').toISOString()).toBe('2027-03-28T08:00:00.000Z')
    expect(ukWallClock('2027-10-31').toISOString()).toBe('2027-10-30T23:00:00.000Z')
    expect(ukWallClock('2027-10-31', '09:00').toISOString()).toBe('2027-10-31T09:00:00.000Z')
  })

  it('reads a time in the hour the clocks skip with the offset before the gap (RFC 5545), so 01:30 is 02:30 BST', () => {
    expect(ukWallClock('2027-03-28', '01:30').toISOString()).toBe('2027-03-28T01:30:00.000Z')
  })
})

describe('ukDate, addDays and isCalendarDate', () => {
  it('gives the UK civil date, which runs ahead of UTC late on summer evenings', () => {
    expect(ukDate(new Date('2027-06-30T23:30:00Z'))).toBe('2027-07-01')
    expect(ukDate(new Date('2027-12-31T23:30:00Z'))).toBe('2027-12-31')
  })

  it('adds days across month and year ends', () => {
    expect(addDays('2027-12-25', 14)).toBe('2028-01-08')
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29')
  })

  it('knows which dates exist', () => {
    expect(isCalendarDate('2028-02-29')).toBe(true)
    expect(isCalendarDate('2027-02-29')).toBe(false)
    expect(isCalendarDate('2027-1-5')).toBe(false)
    expect(isCalendarDate('2027-13-01')).toBe(false)
    expect(isCalendarDate('2027-04-31')).toBe(false)
  })

  it('takes a whole date only, nothing before or after it', () => {
    expect(isCalendarDate('2027-01-15T09:30:00+00:00')).toBe(false)
    expect(isCalendarDate('x2027-01-15')).toBe(false)
  })

  it('refuses years before 100, which Date.UTC would read as 19xx', () => {
    // 0026-05-01 is not 1926-05-01: a date of birth or a slot date never means either.
    expect(isCalendarDate('0026-05-01')).toBe(false)
    expect(isCalendarDate('0100-05-01')).toBe(true)
  })
})
