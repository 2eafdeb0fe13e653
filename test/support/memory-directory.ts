import { CachedPatientDirectory } from '../../functions/shared/patients/CachedPatientDirectory'
import type { SearchFields } from '../../functions/shared/patients/matching'
import {
  type CachedPatient,
  type CandidatePage,
  familyPrefixOf,
  type PatientCache,
  searchFieldsOf,
} from '../../functions/shared/patients/PatientCache'
import { demoPatientRecords } from '../../scripts/seed/demoPatients'

/**
 * PDS lookup over the demo seed's patients (or the records given), in memory: the real
 * CachedPatientDirectory over a Map with the DynamoDB cache's contract, so reads, searches,
 * superseded numbers, invalidated and restricted records behave as against the ICS's cache.
 */
export function memoryDirectory(records: CachedPatient[] = demoPatientRecords()): CachedPatientDirectory {
  const byNumber = new Map(records.map((record) => [record.nhsNumber, record]))
  const page = (matches: (fields: SearchFields) => boolean, limit: number): CandidatePage => {
    const patients = [...byNumber.values()]
      .filter((record) => record.status === 'active')
      .map((record) => structuredClone(record.patient))
      .filter((patient) => matches(searchFieldsOf(patient)))
    return { patients: patients.slice(0, limit), truncated: patients.length > limit }
  }
  const cache: PatientCache = {
    get: async (nhsNumber) => structuredClone(byNumber.get(nhsNumber)),
    byFamilyPrefix: async (prefix, from, to, limit) =>
      page(
        (fields) =>
          familyPrefixOf(fields.family) === prefix &&
          fields.birthDate !== undefined &&
          fields.birthDate >= from &&
          fields.birthDate <= to,
        limit,
      ),
    byBirthDate: async (birthDate, limit) => page((fields) => fields.birthDate === birthDate, limit),
    putAll: async (more) => {
      for (const record of more) byNumber.set(record.nhsNumber, record)
    },
  }
  return new CachedPatientDirectory(cache)
}
