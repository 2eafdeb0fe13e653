import { CONFIDENTIALITY_SYSTEM, DEATH_NOTIFICATION_URL, type Patient } from '../../../schemas/fhir/Patient'
import type { PatientSearchCriteria } from './PatientDirectory'

/** True for a PDS S-flagged patient (`meta.security` R or V). */
export function isRestricted(patient: Patient): boolean {
  return (patient.meta?.security ?? []).some(
    (coding) => coding.system === CONFIDENTIALITY_SYSTEM && (coding.code === 'R' || coding.code === 'V'),
  )
}

/**
 * What any response may show of a restricted patient. PDS removes address, telecom and
 * general practitioner; its sensitive-patient example also drops contacts, the managing
 * organisation and every extension but the death notification (nominated pharmacy,
 * preferred dispenser, birthplace). We drop the larger set: it is the one PDS ships.
 */
export function withholdRestrictedDetails(patient: Patient): Patient {
  if (!isRestricted(patient)) return patient
  const {
    address: _address,
    telecom: _telecom,
    contact: _contact,
    generalPractitioner: _gp,
    managingOrganization: _managing,
    extension,
    ...kept
  } = patient
  const deathNotification = (extension ?? []).filter((item) => item.url === DEATH_NOTIFICATION_URL)
  return deathNotification.length ? { ...kept, extension: deathNotification } : kept
}

/** Who is looking at what a route reveals about a patient: an organisation, or the patient themselves. */
export type Viewer = { kind: 'organisation'; ods: string } | { kind: 'patient'; nhsNumber: string }

/**
 * The one rule for restricted (S-flag) patients on every route that reveals organisations
 * (the patient index, the audit trail, record retrieval, appointments, messages). PDS hides
 * where a restricted patient is (address, telecom, GP, pharmacy); an organisation that holds
 * their records, accessed them, books them or sends them messages says much the same. So for
 * a restricted patient an organisation is revealed only to itself (it knows already) and to
 * the patient; everyone else sees nothing of it, and nothing that says it was hidden (an empty
 * result reads as "none"). Unrestricted patients: no restriction from this rule.
 *
 * `patient` is the PDS record as the directory holds it (undefined when PDS does not know the
 * number: nothing is withheld for a record PDS does not have).
 */
export function mayRevealOrganisation(patient: Patient | undefined, viewer: Viewer, ods: string): boolean {
  if (!patient || !isRestricted(patient)) return true
  if (viewer.kind === 'patient') return viewer.nhsNumber === patient.id
  return viewer.ods === ods
}

/**
 * Whether a search uses a field PDS withholds from a restricted patient's record (postcode,
 * GP practice, email, phone): such a search must never find a restricted patient, or it
 * would confirm the withheld value (PDS FHIR: "If address-postalcode, address-postcode or
 * general-practitioner are included ... no restricted patients are returned"; we apply the
 * same to email and phone, which PDS withholds too).
 */
export function searchUsesWithheldFields(
  criteria: Pick<PatientSearchCriteria, 'postcode' | 'generalPractitioner' | 'email' | 'phone'>,
): boolean {
  return (
    criteria.postcode !== undefined ||
    criteria.generalPractitioner !== undefined ||
    criteria.email !== undefined ||
    criteria.phone !== undefined
  )
}
