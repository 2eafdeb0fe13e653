import { NHS_NUMBER_SYSTEM } from '../../../schemas/fhir/identifiers'
import type { Patient } from '../../../schemas/fhir/Patient'
import { normaliseName, normalisePostcode, type SearchFields } from './matching'

/** One NHS number in the ICS's copy of PDS. */
export type CachedPatient = (
  | { nhsNumber: string; status: 'active'; patient: Patient }
  /** Merged into another record: reads follow `supersededBy`; searches skip it. */
  | { nhsNumber: string; status: 'superseded'; supersededBy: string }
  | { nhsNumber: string; status: 'invalidated' }
) & {
  /**
   * Epoch seconds after which the copy is stale (`pds.source: national-with-cache`); DynamoDB
   * TTL deletes it some time later. Absent in an `ics-cache` ICS, whose copy is the source.
   */
  expiresAt?: number
}

export interface CandidatePage {
  patients: Patient[]
  /** True when more candidates exist than the limit allowed to read. */
  truncated: boolean
}

/** Storage for the ICS's copy of PDS. */
export interface PatientCache {
  get(nhsNumber: string): Promise<CachedPatient | undefined>
  /** Active patients whose normalised family name starts with `prefix`, born in the range. */
  byFamilyPrefix(prefix: string, birthFrom: string, birthTo: string, limit: number): Promise<CandidatePage>
  /** Active patients born on the date. */
  byBirthDate(birthDate: string, limit: number): Promise<CandidatePage>
  putAll(records: CachedPatient[]): Promise<void>
}

/** The name PDS searches on: the current usual name, else the first. */
function searchedName(patient: Patient) {
  const names = patient.name ?? []
  return (
    names.find((name) => name.use === 'usual' && !name.period?.end) ??
    names.find((n) => n.use === 'usual') ??
    names[0]
  )
}

/** The normalised facts a search compares (family, given names, gender, birth date, home postcode). */
export function searchFieldsOf(patient: Patient): SearchFields {
  const name = searchedName(patient)
  const home = patient.address?.find((address) => address.use === 'home') ?? patient.address?.[0]
  return {
    family: normaliseName(name?.family ?? ''),
    given: (name?.given ?? []).map(normaliseName),
    gender: patient.gender,
    birthDate: patient.birthDate,
    postcode: home?.postalCode ? normalisePostcode(home.postalCode) : undefined,
  }
}

/** The partition of the family-name index: the first two letters PDS requires before a wildcard. */
export function familyPrefixOf(normalisedFamily: string): string {
  return normalisedFamily.slice(0, 2)
}

/** NHS number of a PDS Patient (its id, checked against the identifier). */
export function nhsNumberOf(patient: Patient): string {
  return patient.identifier?.find((id) => id.system === NHS_NUMBER_SYSTEM)?.value ?? patient.id
}
