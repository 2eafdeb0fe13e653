import type { Patient } from '../../../schemas/fhir/Patient'
import { FhirError } from '../errors'
import { isRestricted, searchUsesWithheldFields } from './confidentiality'
import { scoreExact, scoreFuzzy } from './matching'
import type { CachedPatient, CandidatePage, PatientCache } from './PatientCache'
import { familyPrefixOf, searchFieldsOf } from './PatientCache'
import type {
  PatientDirectory,
  PatientReadResult,
  PatientSearchCriteria,
  PatientSearchResult,
  ScoredPatient,
} from './PatientDirectory'

/** Most candidates one search reads before answering TOO_MANY_MATCHES. */
export const CANDIDATE_LIMIT = 2_000
/** Longest birth-date range a fuzzy search may span (it reads one partition per day). */
export const FUZZY_MAX_DAYS = 31
const MAX_SUPERSESSION_HOPS = 5

/** PDS lookups answered from the ICS's copy of PDS, with PDS's matching rules. */
export class CachedPatientDirectory implements PatientDirectory {
  constructor(private readonly cache: PatientCache) {}

  async read(nhsNumber: string): Promise<PatientReadResult> {
    let record: CachedPatient | undefined = await this.cache.get(nhsNumber)
    for (let hop = 0; record?.status === 'superseded' && hop < MAX_SUPERSESSION_HOPS; hop++) {
      record = await this.cache.get(record.supersededBy)
    }
    if (!record || record.status === 'superseded') return { kind: 'not-found' }
    if (record.status === 'invalidated') return { kind: 'invalidated' }
    return {
      kind: 'found',
      patient: record.patient,
      ...(record.dissentsFromSharing ? { dissentsFromSharing: true as const } : {}),
    }
  }

  async search(criteria: PatientSearchCriteria): Promise<PatientSearchResult> {
    const page = criteria.fuzzy ? await this.fuzzyCandidates(criteria) : await this.exactCandidates(criteria)
    if (page.truncated) return { kind: 'too-many' }
    const score = criteria.fuzzy ? scoreFuzzy : scoreExact
    // No search on a field PDS withholds may find a restricted patient (confidentiality.ts).
    const hidesRestricted = searchUsesWithheldFields(criteria)
    const matches: ScoredPatient[] = []
    for (const patient of page.patients) {
      if (hidesRestricted && isRestricted(patient)) continue
      if (!passesFilters(criteria, patient)) continue
      const value = score(criteria, searchFieldsOf(patient))
      if (value === undefined || (criteria.exactMatch && value < 1)) continue
      matches.push({ patient, score: value })
    }
    matches.sort((a, b) => b.score - a.score || a.patient.id.localeCompare(b.patient.id))
    return matches.length > criteria.maxResults ? { kind: 'too-many' } : { kind: 'matches', matches }
  }

  private exactCandidates(criteria: PatientSearchCriteria): Promise<CandidatePage> {
    const family = criteria.family!
    return this.cache.byFamilyPrefix(
      familyPrefixOf(family.text),
      criteria.birthDate.from,
      criteria.birthDate.to,
      CANDIDATE_LIMIT,
    )
  }

  private async fuzzyCandidates(criteria: PatientSearchCriteria): Promise<CandidatePage> {
    const { from, to } = criteria.birthDate
    const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1
    if (!(days <= FUZZY_MAX_DAYS)) {
      throw new FhirError(
        'INVALID_SEARCH_DATA',
        `A fuzzy search here needs a date of birth, or a range of at most ${FUZZY_MAX_DAYS} days`,
      )
    }
    const patients: Patient[] = []
    for (const day of daysBetween(criteria.birthDate.from, criteria.birthDate.to)) {
      const page = await this.cache.byBirthDate(day, CANDIDATE_LIMIT - patients.length)
      patients.push(...page.patients)
      if (page.truncated) return { patients, truncated: true }
    }
    return { patients, truncated: false }
  }
}

/** The PDS parameters that narrow a search without taking part in the score. */
function passesFilters(criteria: PatientSearchCriteria, patient: Patient): boolean {
  if (criteria.generalPractitioner) {
    const gps = (patient.generalPractitioner ?? []).map((gp) => gp.identifier?.value)
    if (!gps.includes(criteria.generalPractitioner)) return false
  }
  const telecom = patient.telecom ?? []
  if (criteria.email) {
    const email = criteria.email.toLowerCase()
    if (!telecom.some((point) => point.system === 'email' && point.value?.toLowerCase() === email))
      return false
  }
  if (criteria.phone) {
    const phone = criteria.phone.replace(/\s/g, '')
    if (!telecom.some((point) => point.system === 'phone' && point.value?.replace(/\s/g, '') === phone))
      return false
  }
  if (criteria.deathDate) {
    const died = patient.deceasedDateTime?.slice(0, 10)
    if (!died || died < criteria.deathDate.from || died > criteria.deathDate.to) return false
  }
  return true
}

/** Every date from `from` to `to` inclusive (yyyy-mm-dd). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = []
  for (let day = new Date(`${from}T00:00:00Z`); day.toISOString().slice(0, 10) <= to; ) {
    days.push(day.toISOString().slice(0, 10))
    day = new Date(day.getTime() + 86_400_000)
  }
  return days
}
