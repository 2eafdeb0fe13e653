import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { slotIdOf } from '../../functions/shared/appointments/AppointmentBook'
import { parseUkDateTime } from '../../functions/shared/time'
import { ICS_CONFIG_DIR } from '../../infra/ics-configs'
import { Scope } from '../../schemas/auth'
import { isValidNhsNumber, NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import { LOCAL_RECORD_TYPES, RECORD_TYPES, SNOMED } from '../../schemas/fhir/recordTypes'
import { IcsConfig } from '../../schemas/ics-config'
import { DEMO_PATIENTS, testRangeNhsNumbers } from '../../scripts/seed/demoPatients'
import { DEMO_SLOT_PUBLISHERS, demoSlotPublication } from '../../scripts/seed/demoSlots'

/** The demo ICS's member ODS codes, read from its config so a new member is fuzzed too. */
export const MEMBERS: readonly string[] = IcsConfig.parse(
  JSON.parse(readFileSync(join(ICS_CONFIG_DIR, 'demo.json'), 'utf8')),
).members.map((member) => member.ods)

/** Every scope a token can carry (schemas/auth.ts), plus look-alikes no route accepts. */
export const SCOPES: readonly string[] = [
  ...Scope.options,
  'admin',
  '*',
  'patient.*',
  'PATIENT.READ',
  'patient.read.write',
]

/** NHS numbers the demo seed holds: the named cases and a few of the generated 999 range. */
export const SEEDED_NHS_NUMBERS: readonly string[] = [
  DEMO_PATIENTS.registered,
  DEMO_PATIENTS.restricted,
  DEMO_PATIENTS.deceased,
  DEMO_PATIENTS.superseded,
  DEMO_PATIENTS.supersededBy,
  DEMO_PATIENTS.federated,
  DEMO_PATIENTS.dissented,
  DEMO_PATIENTS.unindexed,
  ...testRangeNhsNumbers(100).filter((_, index) => index % 10 === 0),
]

/** An NHS number that passes modulus 11 (NHS Data Dictionary), seeded or not. */
export const validNhsNumber: fc.Arbitrary<string> = fc
  .integer({ min: 0, max: 999_999_999 })
  .map((first9) => {
    const digits = String(first9).padStart(9, '0')
    let sum = 0
    for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i)
    const check = 11 - (sum % 11)
    return check === 10 ? undefined : `${digits}${check === 11 ? 0 : check}`
  })
  .filter((value): value is string => value !== undefined && isValidNhsNumber(value))

/** NHS-number-shaped strings: seeded, valid unseeded, failing modulus 11, wrong length, padded. */
export const nhsNumberLike: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SEEDED_NHS_NUMBERS, DEMO_PATIENTS.neverSeeded) },
  { weight: 2, arbitrary: validNhsNumber },
  { weight: 1, arbitrary: fc.stringMatching(/^\d{10}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '9000000008',
      '900000000',
      '90000000099',
      ' 9000000009',
      '900 000 0009',
      '-900000009',
    ),
  },
)

/** ODS-code-shaped strings: members, a valid non-member, lower case, too long, empty. */
export const odsCodeLike: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...MEMBERS) },
  { weight: 1, arbitrary: fc.constantFrom('ZZ999', 'rx9', 'Y900011', 'X', '', 'RX9 ') },
)

/** Record types as a token `<system>|<code>` or a Coding: the ICS's own and unknown ones. */
export const recordTypeCoding: fc.Arbitrary<{ system: string; code: string; display: string }> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      ...RECORD_TYPES.map(({ system, code, display }) => ({ system, code, display })),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      system: fc.constantFrom(SNOMED, LOCAL_RECORD_TYPES, 'http://loinc.org', ''),
      code: fc.oneof(fc.stringMatching(/^\d{6,18}$/), fc.constantFrom('toString', '__proto__', '')),
      display: fc.string({ maxLength: 20 }),
    }),
  },
)

/** The ICS's record types as FHIR token search values, `<system>|<code>`. */
export const RECORD_TYPE_TOKENS: readonly string[] = RECORD_TYPES.map(
  ({ system, code }) => `${system}|${code}`,
)

export { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM, SNOMED }

/** A demo slot as a booking references it: its id, UK start and end, and where it is. */
export interface DemoSlot {
  id: string
  start: string
  end: string
  location: string
}

/**
 * The first demo slots of each practice, from the seed's own publication (so they exist
 * in the fuzzed stack), with their times as the API shows them.
 */
export const DEMO_SLOTS: readonly DemoSlot[] = (() => {
  const now = new Date()
  return DEMO_SLOT_PUBLISHERS.flatMap((ods) =>
    demoSlotPublication(ods, now)
      .entry.map(
        (entry) =>
          entry.resource as {
            resourceType: string
            start: string
            end: string
            schedule: { reference: string }
          },
      )
      .filter((resource) => resource.resourceType === 'Slot')
      .slice(0, 40)
      .map((slot) => ({
        id: slotIdOf(
          `${ods}.${slot.schedule.reference.split('/')[1]}`,
          parseUkDateTime(slot.start)!.toISOString(),
        ),
        start: slot.start,
        end: slot.end,
        location: `${ods}.surgery`,
      })),
  )
})()

export const DEMO_SLOT_IDS: readonly string[] = DEMO_SLOTS.map((slot) => slot.id)

/** Appointment-id-shaped strings: of demo slots (booked by the fuzzer or not), and near misses. */
export const appointmentIdLike: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ slot: fc.constantFrom(...DEMO_SLOT_IDS), n: fc.integer({ min: 1, max: 3 }) })
      .map(({ slot, n }) => `${slot}.${n}`),
  },
  { weight: 2, arbitrary: fc.constantFrom(...DEMO_SLOT_IDS) },
  // Appointments at Y90002, on GP Connect: passed through to its sandbox provider (appt-<n>), and near misses.
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.integer({ min: 1, max: 5 }).map((n) => `Y90002.appt-${n}`),
      fc.constantFrom('Y90002.', 'Y90002..', 'Y90002.appt-0', 'Y90002.%2e', `Y90002.${'a'.repeat(70)}`),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'Y90001.gp.209912310900.1',
      'Y90001.nobody.209912310900.1',
      'Y90001.gp.202613450900.1',
      'Y90001.gp.202701010900.0',
      'Y90001.gp.202701010900.01',
      'ZZ999.gp.202701010900.1',
      'y90001.gp.202701010900.1',
      '...',
    ),
  },
)
