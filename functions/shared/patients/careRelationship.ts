import { NOMINATED_PHARMACY_URL, type Patient } from '../../../schemas/fhir/Patient'
import type { PatientIndex } from '../patient-index/PatientIndex'

/** Why an organisation counts as caring for a patient (DESIGN.md "Who may see what"). */
export type CareRelationship = 'holder' | 'registered-gp' | 'nominated-pharmacy'

/**
 * The care relationship an organisation has with a patient, if any: it holds records about
 * them (a current entry in the patient index), it is their registered GP practice, or their
 * nominated pharmacy (both from PDS). What lets an organisation read a patient's audit trail;
 * records, appointments and messages can ask the same question.
 *
 * `patient` is the PDS record as the directory holds it (undefined when PDS does not know
 * the number); `nhsNumber` the number the index keys the patient by.
 */
export async function careRelationshipOf(
  ods: string,
  nhsNumber: string,
  patient: Patient | undefined,
  index: Pick<PatientIndex, 'holdersOf'>,
): Promise<CareRelationship | undefined> {
  if (patient?.generalPractitioner?.some((gp) => gp.identifier?.value === ods)) return 'registered-gp'
  if (nominatedPharmacyOf(patient) === ods) return 'nominated-pharmacy'
  const held = await index.holdersOf(nhsNumber, { holderOds: ods }, { limit: 1 })
  return held.entries.length > 0 ? 'holder' : undefined
}

/** The ODS code of a patient's nominated pharmacy (PDS UK Core extension), if any. */
export function nominatedPharmacyOf(patient: Patient | undefined): string | undefined {
  const extension = patient?.extension?.find((item) => item.url === NOMINATED_PHARMACY_URL)
  const value = (extension?.valueReference as { identifier?: { value?: unknown } } | undefined)?.identifier
    ?.value
  return typeof value === 'string' ? value : undefined
}
