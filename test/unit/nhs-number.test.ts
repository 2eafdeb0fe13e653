import { describe, expect, it } from 'vitest'
import { isValidNhsNumber } from '../../schemas/fhir/identifiers'

// NHS Data Dictionary, "NHS Number": weights 10..2 over the first nine digits,
// check = 11 - (sum mod 11); 11 becomes 0 and 10 makes the number invalid.

describe('isValidNhsNumber', () => {
  it.each(['9000000009', '9999999999', '9000000017', '9000000025', '9000000033', '9000000041'])(
    'accepts %s',
    (nhsNumber) => {
      expect(isValidNhsNumber(nhsNumber)).toBe(true)
    },
  )

  it('accepts a number whose check digit comes out as 11 and is written 0', () => {
    // 9*10 + 1*3 + 3*2 = 99, 99 mod 11 = 0, 11 - 0 = 11 -> check digit 0
    expect(isValidNhsNumber('9000000130')).toBe(true)
  })

  it('refuses a number whose check digit does not match', () => {
    expect(isValidNhsNumber('9000000008')).toBe(false)
  })

  it('refuses 4857773456, which fails modulus 11 (its check digit would be 7)', () => {
    expect(isValidNhsNumber('4857773456')).toBe(false)
    expect(isValidNhsNumber('4857773457')).toBe(true)
  })

  it.each([
    ['nine digits', '900000000'],
    ['eleven digits', '90000000090'],
    ['letters', 'hello'],
    ['the empty string', ''],
    ['a leading space', ' 9000000009'],
    ['a trailing space', '9000000009 '],
    ['spaced digits', '900 000 0009'],
  ])('refuses %s', (_label, value) => {
    expect(isValidNhsNumber(value)).toBe(false)
  })

  it('refuses every number whose check digit would be 10, whatever its last digit', () => {
    // Prepare: 9*10 + 5*2 = 100, 100 mod 11 = 1, 11 - 1 = 10
    const candidates = Array.from({ length: 10 }, (_, digit) => `900000005${digit}`)

    // Act
    const accepted = candidates.filter(isValidNhsNumber)

    // Assess
    expect(accepted).toEqual([])
  })
})
