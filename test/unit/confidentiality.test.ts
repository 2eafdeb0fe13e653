import { describe, expect, it } from 'vitest'
import { isRestricted, withholdRestrictedDetails } from '../../functions/shared/patients/confidentiality'
import { CONFIDENTIALITY_SYSTEM, DEATH_NOTIFICATION_URL, type Patient } from '../../schemas/fhir/Patient'

// PDS FHIR R4: a patient is restricted (S-flagged) when `meta.security` carries the
// v3-Confidentiality code R (restricted) or V (very restricted); U is unrestricted.

const coding = (code: string, system = CONFIDENTIALITY_SYSTEM) => ({ system, code })

/** A patient with every detail PDS withholds from a restricted record. */
function patientWith(meta?: Patient['meta']): Patient {
  return {
    resourceType: 'Patient',
    id: '9000000009',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: '9000000009' }],
    ...(meta ? { meta } : {}),
    name: [{ use: 'usual', family: 'Smith', given: ['Jane'] }],
    gender: 'female',
    birthDate: '2010-10-22',
    address: [{ use: 'home', line: ['1 Trevelyan Square'], postalCode: 'LS1 6AE' }],
    telecom: [{ system: 'phone', value: '01632960587', use: 'home' }],
    contact: [{ relationship: [{ coding: [{ code: 'C' }] }] }],
    generalPractitioner: [{ type: 'Organization', identifier: { value: 'Y90001' } }],
    managingOrganization: { type: 'Organization', identifier: { value: 'Y90001' } },
    extension: [
      { url: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NominatedPharmacy' },
      { url: DEATH_NOTIFICATION_URL },
    ],
  } as Patient
}

describe('isRestricted', () => {
  it.each([
    ['R (restricted)', [coding('R')]],
    ['V (very restricted)', [coding('V')]],
    ['R after a coding of another system', [coding('N', 'https://example.org/other'), coding('R')]],
  ])('is true for %s', (_label, security) => {
    expect(isRestricted(patientWith({ security }))).toBe(true)
  })

  it.each<[string, Patient['meta'] | undefined]>([
    ['U (unrestricted)', { security: [coding('U')] }],
    ['an empty security list', { security: [] }],
    ['meta without security', { versionId: '2' }],
    ['no meta at all', undefined],
    ['code R of another system', { security: [coding('R', 'https://example.org/other')] }],
  ])('is false for %s', (_label, meta) => {
    expect(isRestricted(patientWith(meta))).toBe(false)
  })
})

describe('withholdRestrictedDetails', () => {
  it('leaves an unrestricted patient as it is', () => {
    // Prepare
    const patient = patientWith({ security: [coding('U')] })

    // Act, Assess
    expect(withholdRestrictedDetails(patient)).toEqual(patientWith({ security: [coding('U')] }))
  })

  it('leaves a patient without meta as it is', () => {
    expect(withholdRestrictedDetails(patientWith())).toEqual(patientWith())
  })

  it('removes address, telecom, contacts, GP, managing organisation and every extension but the death notification', () => {
    // Act
    const shown = withholdRestrictedDetails(patientWith({ security: [coding('R')] }))

    // Assess
    expect(Object.keys(shown).sort()).toEqual(
      ['birthDate', 'extension', 'gender', 'id', 'identifier', 'meta', 'name', 'resourceType'].sort(),
    )
    expect(shown.extension).toEqual([{ url: DEATH_NOTIFICATION_URL }])
  })

  it('leaves no extension list on a restricted patient without a death notification', () => {
    // Prepare
    const patient = { ...patientWith({ security: [coding('V')] }), extension: [] }

    // Act
    const shown = withholdRestrictedDetails(patient)

    // Assess
    expect('extension' in shown).toBe(false)
    expect(shown.name).toEqual(patient.name)
  })
})
