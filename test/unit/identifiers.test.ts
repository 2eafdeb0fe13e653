import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  NHS_NUMBER_SYSTEM,
  NhsNumber,
  ODS_CODE_SYSTEM,
  OdsCode,
  parseTokenParameter,
} from '../../schemas/fhir/identifiers'

// Identifier systems are the national ones (PDS FHIR R4, NRL, GP Connect): a partner
// searching `subject:identifier=https://fhir.nhs.uk/Id/nhs-number|...` must match them
// character for character.

describe('identifier systems', () => {
  it('names NHS numbers by the NHS Digital system URI', () => {
    expect(NHS_NUMBER_SYSTEM).toBe('https://fhir.nhs.uk/Id/nhs-number')
  })

  it('names ODS codes by the NHS Digital system URI', () => {
    expect(ODS_CODE_SYSTEM).toBe('https://fhir.nhs.uk/Id/ods-organization-code')
  })

  const pdsExample = path.resolve(import.meta.dirname, '../../../shared/examples/pds/patient_9000000009.json')
  it.skipIf(!existsSync(pdsExample))(
    'uses the systems of the PDS read example (needs ../shared/examples/pds; skipped when absent)',
    () => {
      // Prepare
      const systems = new Set(
        [
          ...readFileSync(pdsExample, 'utf8').matchAll(/"system": "(https:\/\/fhir\.nhs\.uk\/Id\/[^"]+)"/g),
        ].map((match) => match[1]),
      )

      // Assess
      expect([...systems].sort()).toEqual([NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM])
    },
  )
})

describe('parseTokenParameter', () => {
  it('splits system|code at the bar', () => {
    expect(parseTokenParameter(`${ODS_CODE_SYSTEM}|RX9`)).toStrictEqual({
      system: ODS_CODE_SYSTEM,
      value: 'RX9',
    })
  })

  it('reads a bare code as a code in any system, with no system at all', () => {
    const token = parseTokenParameter('373942005')

    expect(token).toStrictEqual({ value: '373942005' })
    expect('system' in token).toBe(false)
  })

  it('reads |code as a code with explicitly no system (FHIR R4 token search)', () => {
    expect(parseTokenParameter('|373942005')).toStrictEqual({ system: '', value: '373942005' })
  })

  it('reads system| as a system with an empty code', () => {
    expect(parseTokenParameter(`${NHS_NUMBER_SYSTEM}|`)).toStrictEqual({
      system: NHS_NUMBER_SYSTEM,
      value: '',
    })
  })

  it('splits at the first bar only', () => {
    expect(parseTokenParameter('a|b|c')).toStrictEqual({ system: 'a', value: 'b|c' })
  })
})

describe('OdsCode', () => {
  it.each(['RX9', 'Y90001', 'FX001', 'A12345'])('accepts %s', (code) => {
    expect(OdsCode.safeParse(code).success).toBe(true)
  })

  it.each([
    ['two characters', 'RX'],
    ['seven characters', 'Y900011'],
    ['lower case', 'rx9'],
    ['a hyphen', 'RX-9'],
    ['anything before the code', 'a-RX9'],
    ['anything after the code', 'RX9-b'],
    ['a trailing space', 'RX9 '],
    ['the empty string', ''],
  ])('refuses %s', (_label, code) => {
    expect(OdsCode.safeParse(code).success).toBe(false)
  })
})

describe('NhsNumber', () => {
  it('accepts a number that passes modulus 11 and refuses one that does not', () => {
    expect(NhsNumber.safeParse('9000000009').success).toBe(true)
    expect(NhsNumber.safeParse('9000000008').success).toBe(false)
  })
})
