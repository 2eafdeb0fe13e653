import { describe, expect, it } from 'vitest'
import { searchPatients } from '../../functions/patient-lookup/lookup'
import {
  mayRevealOrganisation,
  searchUsesWithheldFields,
} from '../../functions/shared/patients/confidentiality'
import { DEMO_PATIENTS, demoPatientRecords } from '../../scripts/seed/demoPatients'
import { memoryDirectory } from '../support/memory-directory'

// Security review, finding 3: phone= and email= matched a restricted patient's withheld
// telecom, so a caller could confirm a hidden phone number by guessing it.

const CONTEXT = { requestId: 'req-1', correlationId: 'corr-1' }
const deps = { directory: memoryDirectory(), clock: () => new Date('2026-11-21T12:00:00Z') }

async function idsFound(query: Record<string, string>): Promise<string[]> {
  const asLists = Object.fromEntries(Object.entries(query).map(([name, value]) => [name, [value]]))
  const { body } = await searchPatients(asLists, 'https://api.test', CONTEXT, deps)
  const entries = (body as { entry?: { resource: { id: string } }[] }).entry ?? []
  return entries.map((entry) => entry.resource.id)
}

describe('searches on a field PDS withholds from a restricted patient', () => {
  it('never find the restricted patient by the withheld phone number (the review’s repro)', async () => {
    const found = await idsFound({ family: 'Smythe', birthdate: '2010-10-22', phone: '01632960123' })

    expect(found).not.toContain(DEMO_PATIENTS.restricted)
  })

  it.each([
    ['phone', { phone: '01632960123' }],
    ['email', { email: 'janet.smythe@example.com' }],
    ['postcode', { 'address-postalcode': 'LS2 7EE' }],
    ['general practitioner', { 'general-practitioner': 'Y90002' }],
  ])('never find the restricted patient when the search uses %s', async (_label, extra) => {
    const found = await idsFound({ family: 'Smythe', birthdate: '2010-10-22', ...extra })

    expect(found).toEqual([])
  })

  it('still find the restricted patient by name and date of birth, details withheld', async () => {
    const found = await idsFound({ family: 'Smythe', birthdate: '2010-10-22' })

    expect(found).toEqual([DEMO_PATIENTS.restricted])
  })

  it('still find an unrestricted patient by phone and email', async () => {
    const found = await idsFound({
      family: 'Smith',
      birthdate: '2010-10-22',
      phone: '01632960587',
      email: 'jane.smith@example.com',
    })

    expect(found).toEqual([DEMO_PATIENTS.registered])
  })

  it('name every withheld field', () => {
    expect(searchUsesWithheldFields({ phone: '0' })).toBe(true)
    expect(searchUsesWithheldFields({ email: 'a@b' })).toBe(true)
    expect(searchUsesWithheldFields({})).toBe(false)
  })
})

describe('mayRevealOrganisation', () => {
  const patientOf = (nhs: string) => {
    const record = demoPatientRecords().find((candidate) => candidate.nhsNumber === nhs)
    return record && 'patient' in record ? record.patient : undefined
  }
  const restricted = patientOf(DEMO_PATIENTS.restricted)
  const unrestricted = patientOf(DEMO_PATIENTS.registered)

  it.each([
    [
      'an unrestricted patient, to any organisation',
      unrestricted,
      { kind: 'organisation', ods: 'FX002' },
      'Y90001',
      true,
    ],
    [
      'a restricted patient, to the organisation itself',
      restricted,
      { kind: 'organisation', ods: 'Y90002' },
      'Y90002',
      true,
    ],
    [
      'a restricted patient, to another organisation',
      restricted,
      { kind: 'organisation', ods: 'FX001' },
      'Y90002',
      false,
    ],
    [
      'a restricted patient, to the patient',
      restricted,
      { kind: 'patient', nhsNumber: DEMO_PATIENTS.restricted },
      'Y90002',
      true,
    ],
    [
      'a restricted patient, to another patient',
      restricted,
      { kind: 'patient', nhsNumber: DEMO_PATIENTS.registered },
      'Y90002',
      false,
    ],
    ['a patient PDS does not know', undefined, { kind: 'organisation', ods: 'FX001' }, 'Y90002', true],
  ] as const)('reveals an organisation of %s: %s', (_label, patient, viewer, ods, expected) => {
    expect(mayRevealOrganisation(patient, viewer, ods)).toBe(expected)
  })
})
