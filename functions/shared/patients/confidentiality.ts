import { CONFIDENTIALITY_SYSTEM, DEATH_NOTIFICATION_URL, type Patient } from '../../../schemas/fhir/Patient'

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
