import type { Patient } from '../../../schemas/fhir/Patient'

/**
 * A `*` wildcard search term as plain data (never a RegExp built from input): the literal
 * runs between the stars, normalised, with runs of stars collapsed. A value matches when it
 * starts with the first segment, ends with the last (`''` when the term ended with `*`) and
 * holds the others in order between them (matching.ts `wildcardMatches`, linear, no backtracking).
 */
export interface WildcardPattern {
  /** At least two segments; the first holds the two or more characters PDS requires before a `*`. */
  segments: readonly string[]
}

/** A name or postcode as searched, normalised; `*` wildcards become a pattern. */
export interface TextCriterion {
  /** Normalised text without wildcards (the literal letters searched for). */
  text: string
  /** Present when the search used `*`: matches the normalised value from its start. */
  pattern?: WildcardPattern
  /** As the caller sent it, for passing the search on to the national PDS. */
  raw?: string
}

/** The ends of an open date range (`ge` without `le`, or `le` without `ge`). */
export const OPEN_START = '0000-01-01'
export const OPEN_END = '9999-12-31'

/** A PDS demographic search, validated (PDS FHIR R4 search rules). */
export interface PatientSearchCriteria {
  family?: TextCriterion
  given: TextCriterion[]
  gender?: Patient['gender']
  /** Inclusive range of dates of birth, yyyy-mm-dd; equal ends for an exact date. */
  birthDate: { from: string; to: string }
  postcode?: TextCriterion
  /** ODS code of the registered GP practice (PDS `general-practitioner`). */
  generalPractitioner?: string
  email?: string
  phone?: string
  /** Inclusive range of dates of death (PDS `death-date`). */
  deathDate?: { from: string; to: string }
  fuzzy: boolean
  exactMatch: boolean
  maxResults: number
}

export interface ScoredPatient {
  patient: Patient
  /** 0..1, 1 for an exact match (PDS `search.score`). */
  score: number
}

export type PatientReadResult =
  /** `dissentsFromSharing`: the ICS's record of the patient's dissent (never known to the national PDS). */
  | { kind: 'found'; patient: Patient; dissentsFromSharing?: true }
  | { kind: 'not-found' }
  /** PDS: an invalidated record that was not superseded. */
  | { kind: 'invalidated' }

export type PatientSearchResult = { kind: 'matches'; matches: ScoredPatient[] } | { kind: 'too-many' }

/** Ids of the API request a directory call serves, passed on to the national services. */
export interface CallContext {
  requestId: string
  correlationId: string
}

/**
 * Where demographics come from: the ICS's cache of PDS (DynamoDB) or the national PDS FHIR
 * API. A superseded NHS number reads as the record that replaced it, as PDS does.
 */
export interface PatientDirectory {
  read(nhsNumber: string, context: CallContext): Promise<PatientReadResult>
  search(criteria: PatientSearchCriteria, context: CallContext): Promise<PatientSearchResult>
}
