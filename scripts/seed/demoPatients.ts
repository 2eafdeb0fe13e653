import type { CachedPatient } from '../../functions/shared/patients/PatientCache'
import { isValidNhsNumber, NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import {
  CONFIDENTIALITY_SYSTEM,
  DEATH_NOTIFICATION_URL,
  NHS_NUMBER_VERIFICATION_URL,
  NOMINATED_PHARMACY_URL,
  type Patient,
} from '../../schemas/fhir/Patient'

/**
 * The synthetic patients of the local demo ICS (DESIGN.md "The local demo ICS"). Every
 * name, address and number is made up; the NHS numbers are valid test numbers (9000…
 * and the 999 range). Deterministic: the same list on every start and in every test.
 */
export const DEMO_PATIENTS = {
  /** Alive and unrestricted here (unlike the PDS sandbox's copy); GP Y90001, pharmacy FX001. */
  registered: '9000000009',
  /** PDS S-flag: address, telecom, GP and pharmacy never leave the API. */
  restricted: '9000000025',
  /** Died 2024-03-02; PDS still returns the record, with the death notification. */
  deceased: '9000000033',
  /** Merged into `supersededBy`: reading it returns the newer record. */
  superseded: '9000000017',
  supersededBy: '9000000041',
  /** Valid by modulus 11 and never seeded: "not found". (DESIGN.md's 4857773456 fails modulus 11.) */
  neverSeeded: '4857773457',
  /**
   * Moved from Y90001 to Y90002 and treated at RX9: three holders, one allergy both practices
   * hold (transferred GP to GP), so record retrieval merges three answers and one duplicate.
   */
  federated: '9000000076',
  /** Registered at Y90001; has dissented from sharing their record (record retrieval: NO_PATIENT_CONSENT). */
  dissented: '9000000084',
  /** Not registered with a GP and held by no organisation: the patient index lists nobody. */
  unindexed: '9000000092',
} as const

const FAMILY = [
  'Smith',
  'Jones',
  'Taylor',
  'Brown',
  'Williams',
  'Wilson',
  'Johnson',
  'Davies',
  'Patel',
  'Robinson',
  'Wright',
  'Thompson',
  'Evans',
  'Walker',
  'White',
  'Roberts',
  'Green',
  'Hall',
  'Khan',
  "O'Neill",
  'Lewis-Clarke',
]
const GIVEN_FEMALE = ['Olivia', 'Amelia', 'Isla', 'Ava', 'Mia', 'Grace', 'Freya', 'Priya', 'Sophie', 'Ruth']
const GIVEN_MALE = ['Oliver', 'George', 'Harry', 'Noah', 'Jack', 'Arjun', 'Leo', 'Oscar', 'Thomas', 'David']
const STREETS = ['Market Street', 'Mill Lane', 'Station Road', 'Church Walk', 'Park View', 'Canal Side']
const POSTCODES = ['LS1 6AE', 'LS2 7EE', 'LS6 1AA', 'LS7 3BB', 'LS9 8JJ', 'LS11 5QQ']
const GP_PRACTICES = ['Y90001', 'Y90002'] as const
const PHARMACIES = ['FX001', 'FX002'] as const

/** A seeded pseudo-random sequence (mulberry32): the same demo data on every run. */
export function seededRandom(seed: number) {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Valid NHS numbers in the 999 test range, in order, starting at `from` (about 900,000 exist). */
export function testRangeNhsNumbers(count: number, from = 9990000000): string[] {
  const numbers: string[] = []
  for (let candidate = from; numbers.length < count; candidate++) {
    if (candidate > 9999999999)
      throw new Error(`The 999 range holds fewer than ${count} valid NHS numbers after ${from}`)
    if (isValidNhsNumber(String(candidate))) numbers.push(String(candidate))
  }
  return numbers
}

interface Demographics {
  nhsNumber: string
  family: string
  given: string[]
  gender: 'male' | 'female'
  birthDate: string
  postcode: string
  line: string
  /** ODS code of the registered GP practice; absent for a patient not registered anywhere. */
  gp?: string
  pharmacy?: string
  phone?: string
  email?: string
  restricted?: boolean
  diedAt?: string
  dissentsFromSharing?: true
}

/** A PDS-shaped Patient, as the PDS FHIR R4 sandbox examples shape them. */
export function pdsPatient(d: Demographics): Patient {
  const patient: Patient = {
    resourceType: 'Patient',
    id: d.nhsNumber,
    identifier: [
      {
        system: NHS_NUMBER_SYSTEM,
        value: d.nhsNumber,
        extension: [
          {
            url: NHS_NUMBER_VERIFICATION_URL,
            valueCodeableConcept: {
              coding: [
                {
                  system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatus',
                  version: '1.0.0',
                  code: '01',
                  display: 'Number present and verified',
                },
              ],
            },
          },
        ],
      },
    ],
    meta: {
      versionId: '1',
      security: [
        d.restricted
          ? { system: CONFIDENTIALITY_SYSTEM, code: 'R', display: 'restricted' }
          : { system: CONFIDENTIALITY_SYSTEM, code: 'U', display: 'unrestricted' },
      ],
    },
    name: [{ id: 'n1', use: 'usual', period: { start: d.birthDate }, given: d.given, family: d.family }],
    gender: d.gender,
    birthDate: d.birthDate,
    address: [
      {
        id: 'a1',
        use: 'home',
        period: { start: d.birthDate },
        line: [d.line, 'Demo Town'],
        postalCode: d.postcode,
      },
    ],
  }
  if (d.gp) {
    patient.generalPractitioner = [
      {
        id: 'g1',
        type: 'Organization',
        identifier: { system: ODS_CODE_SYSTEM, value: d.gp, period: { start: '2020-01-01' } },
      },
    ]
  }
  const telecom = []
  if (d.phone) telecom.push({ id: 't1', system: 'phone', value: d.phone, use: 'home' })
  if (d.email) telecom.push({ id: 't2', system: 'email', value: d.email, use: 'home' })
  if (telecom.length) patient.telecom = telecom
  const extension = []
  if (d.pharmacy) {
    extension.push({
      url: NOMINATED_PHARMACY_URL,
      valueReference: { identifier: { system: ODS_CODE_SYSTEM, value: d.pharmacy } },
    })
  }
  if (d.diedAt) {
    patient.deceasedDateTime = d.diedAt
    extension.push({
      url: DEATH_NOTIFICATION_URL,
      extension: [
        {
          url: 'deathNotificationStatus',
          valueCodeableConcept: {
            coding: [
              {
                system: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-DeathNotificationStatus',
                version: '1.0.0',
                code: '2',
                display: 'Formal - death notice received from Registrar of Deaths',
              },
            ],
          },
        },
        { url: 'systemEffectiveDate', valueDateTime: d.diedAt },
      ],
    })
  }
  if (extension.length) patient.extension = extension
  return patient
}

/** The demo ICS's copy of PDS: the named cases above and `extra` generated patients. */
export function demoPatientRecords(extra = 100): CachedPatient[] {
  const named: Demographics[] = [
    {
      nhsNumber: DEMO_PATIENTS.registered,
      family: 'Smith',
      given: ['Jane'],
      gender: 'female',
      birthDate: '2010-10-22',
      postcode: 'LS1 6AE',
      line: '1 Trevelyan Square',
      gp: 'Y90001',
      pharmacy: 'FX001',
      phone: '01632960587',
      email: 'jane.smith@example.com',
    },
    {
      nhsNumber: DEMO_PATIENTS.restricted,
      family: 'Smythe',
      given: ['Janet'],
      gender: 'female',
      birthDate: '2010-10-22',
      postcode: 'LS2 7EE',
      line: '2 Hidden Court',
      gp: 'Y90002',
      pharmacy: 'FX002',
      phone: '01632960123',
      email: 'janet.smythe@example.com',
      restricted: true,
    },
    {
      nhsNumber: DEMO_PATIENTS.deceased,
      family: 'Taylor',
      given: ['Arthur', 'James'],
      gender: 'male',
      birthDate: '1931-05-14',
      postcode: 'LS6 1AA',
      line: '14 Mill Lane',
      gp: 'Y90001',
      diedAt: '2024-03-02T09:15:00+00:00',
    },
    {
      nhsNumber: DEMO_PATIENTS.federated,
      family: 'Okafor',
      given: ['Grace', 'Adaeze'],
      gender: 'female',
      birthDate: '1958-09-03',
      postcode: 'LS7 3BB',
      line: '9 Chapel Lane',
      gp: 'Y90002',
      pharmacy: 'FX001',
    },
    {
      nhsNumber: DEMO_PATIENTS.dissented,
      family: 'Lindqvist',
      given: ['Erik'],
      gender: 'male',
      birthDate: '1979-02-11',
      postcode: 'LS6 1AA',
      line: '31 Orchard Road',
      gp: 'Y90001',
      dissentsFromSharing: true,
    },
    {
      nhsNumber: DEMO_PATIENTS.unindexed,
      family: 'Nakamura',
      given: ['Hana'],
      gender: 'female',
      birthDate: '2001-12-19',
      postcode: 'LS11 5QQ',
      line: '4 Wharf Street',
    },
    {
      nhsNumber: DEMO_PATIENTS.supersededBy,
      family: 'Cuff',
      given: ['Jane'],
      gender: 'female',
      birthDate: '1926-01-07',
      postcode: 'LS9 8JJ',
      line: '2 Church Close',
      gp: 'Y90002',
      pharmacy: 'FX002',
    },
  ]
  const random = seededRandom(20261121)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const generated = testRangeNhsNumbers(extra).map((nhsNumber, index): Demographics => {
    const gender = random() < 0.5 ? 'female' : 'male'
    const year = 1935 + Math.floor(random() * 85)
    const month = String(1 + Math.floor(random() * 12)).padStart(2, '0')
    const day = String(1 + Math.floor(random() * 28)).padStart(2, '0')
    return {
      nhsNumber,
      // Every tenth patient is a Smith, so demographic searches can match many.
      family: index % 10 === 0 ? 'Smith' : pick(FAMILY),
      given: [pick(gender === 'female' ? GIVEN_FEMALE : GIVEN_MALE)],
      gender,
      birthDate: `${year}-${month}-${day}`,
      postcode: pick(POSTCODES),
      line: `${1 + Math.floor(random() * 200)} ${pick(STREETS)}`,
      gp: pick(GP_PRACTICES),
      pharmacy: random() < 0.7 ? pick(PHARMACIES) : undefined,
      phone: random() < 0.5 ? `0163296${String(Math.floor(random() * 10_000)).padStart(4, '0')}` : undefined,
    }
  })
  return [
    ...[...named, ...generated].map(
      (d): CachedPatient => ({
        nhsNumber: d.nhsNumber,
        status: 'active',
        patient: pdsPatient(d),
        ...(d.dissentsFromSharing ? { dissentsFromSharing: true as const } : {}),
      }),
    ),
    { nhsNumber: DEMO_PATIENTS.superseded, status: 'superseded', supersededBy: DEMO_PATIENTS.supersededBy },
  ]
}
