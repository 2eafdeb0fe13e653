import { isOdsCode } from '../../schemas/fhir/identifiers'
import { FhirError } from '../shared/errors'
import { normaliseName, normalisePostcode, wildcardPatternOf } from '../shared/patients/matching'
import {
  OPEN_END,
  OPEN_START,
  type PatientSearchCriteria,
  type TextCriterion,
} from '../shared/patients/PatientDirectory'

const KNOWN = new Set([
  'family',
  'given',
  'gender',
  'birthdate',
  'death-date',
  'address-postalcode',
  'address-postcode',
  'general-practitioner',
  'email',
  'phone',
  '_fuzzy-match',
  '_exact-match',
  '_history',
  '_max-results',
])
const REPEATABLE = new Set(['given', 'birthdate', 'death-date'])
const GENDERS = ['male', 'female', 'other', 'unknown'] as const
const DATE = /^(eq|ge|le)?(\d{4}-\d{2}-\d{2})$/
/** PDS healthcare-worker searches return at most 50 results, 50 by default. */
export const MAX_RESULTS_LIMIT = 50
const MINIMUM_NOT_MET =
  "Invalid search data provided - 'No searches were performed as the search criteria did not meet the minimum requirements'"

function invalidValue(value: string, field: string): FhirError {
  return new FhirError('INVALID_VALUE', `Invalid value - '${value}' in field '${field}'`)
}

/**
 * Validates a PDS search (PDS FHIR R4 "Search for a patient"): unknown parameters,
 * formats, the minimum criteria (family and date of birth; fuzzy: one of the three
 * combinations), wildcard placement and `_max-results` 1..50.
 */
export function parseSearchCriteria(query: Record<string, string[]>): PatientSearchCriteria {
  const names = Object.keys(query)
  if (names.length === 0)
    throw new FhirError('UNSUPPORTED_SERVICE', 'Search needs at least family name and date of birth')
  for (const name of names) {
    if (!KNOWN.has(name)) {
      throw new FhirError(
        'ADDITIONAL_PROPERTIES',
        `Invalid request with error - Additional properties are not allowed ('${name}' was unexpected)`,
      )
    }
    if (!REPEATABLE.has(name) && (query[name]?.length ?? 0) > 1) {
      throw new FhirError(
        'INVALID_SEARCH_DATA',
        `Invalid search data provided - '${name}' may appear only once`,
      )
    }
  }
  const one = (name: string) => query[name]?.[0]

  const fuzzy = flag(one('_fuzzy-match'), '_fuzzy-match')
  const exactMatch = flag(one('_exact-match'), '_exact-match')
  flag(one('_history'), '_history')
  if (fuzzy && exactMatch)
    throw new FhirError('INVALID_SEARCH_DATA', '_fuzzy-match and _exact-match exclude each other')

  const maxResults = maxResultsOf(one('_max-results'))
  const genderText = one('gender')
  if (genderText !== undefined && !GENDERS.includes(genderText as (typeof GENDERS)[number])) {
    throw invalidValue(genderText, 'gender')
  }
  const gender = genderText as PatientSearchCriteria['gender']

  const birthDate = dateRange(query.birthdate, 'birthdate')
  const deathDate = dateRange(query['death-date'], 'death-date')
  if (!birthDate) {
    throw new FhirError(
      'MISSING_VALUE',
      "Missing value - 'birth_date/birth_date_range_start/birth_date_range_end'",
    )
  }

  const familyText = one('family')
  const family =
    familyText === undefined ? undefined : textCriterion(familyText, 'family', normaliseName, fuzzy)
  const given = (query.given ?? []).map((value) => textCriterion(value, 'given', normaliseName, fuzzy))
  const postcodeText = one('address-postalcode') ?? one('address-postcode')
  const postcode =
    postcodeText === undefined
      ? undefined
      : textCriterion(postcodeText, 'address-postalcode', normalisePostcode, fuzzy)

  const gpText = one('general-practitioner')
  if (gpText !== undefined && !isOdsCode(gpText)) throw invalidValue(gpText, 'general-practitioner')

  // Minimum criteria: a non-fuzzy search needs family name and date of birth; a fuzzy one
  // needs given+family, family+gender+postcode or given+gender+postcode (all with date of birth).
  const hasGiven = given.length > 0
  const meetsMinimum = fuzzy
    ? (hasGiven && family) || (family && gender && postcode) || (hasGiven && gender && postcode)
    : family !== undefined
  if (!meetsMinimum) throw new FhirError('INVALID_SEARCH_DATA', MINIMUM_NOT_MET)
  if (exactMatch && [family, ...given, postcode].some((criterion) => criterion?.pattern)) {
    throw new FhirError('INVALID_SEARCH_DATA', 'Wildcards cannot be used with _exact-match')
  }

  return {
    family,
    given,
    gender,
    birthDate,
    postcode,
    generalPractitioner: gpText,
    email: one('email'),
    phone: one('phone'),
    deathDate,
    fuzzy,
    exactMatch,
    maxResults,
  }
}

function flag(value: string | undefined, field: string): boolean {
  if (value === undefined) return false
  if (value !== 'true' && value !== 'false') throw invalidValue(value, field)
  return value === 'true'
}

function maxResultsOf(value: string | undefined): number {
  if (value === undefined) return MAX_RESULTS_LIMIT
  const parsed = /^\d{1,3}$/.test(value) ? Number(value) : Number.NaN
  if (!(parsed >= 1 && parsed <= MAX_RESULTS_LIMIT)) throw invalidValue(value, '_max-results')
  return parsed
}

/** PDS dates: `[eq|ge|le]yyyy-mm-dd`, once for a date or twice (ge and le) for a range. */
function dateRange(values: string[] | undefined, field: string): { from: string; to: string } | undefined {
  if (!values?.length) return undefined
  if (values.length > 2) throw new FhirError('INVALID_SEARCH_DATA', `'${field}' may appear at most twice`)
  let from = OPEN_START
  let to = OPEN_END
  const prefixes: string[] = []
  for (const value of values) {
    const match = DATE.exec(value)
    if (!match || !isCalendarDate(match[2]!)) throw invalidValue(value, field)
    const prefix = match[1] ?? 'eq'
    prefixes.push(prefix)
    if (prefix === 'eq' || prefix === 'ge') from = match[2]!
    if (prefix === 'eq' || prefix === 'le') to = match[2]!
  }
  if (values.length === 2 && !(prefixes.includes('ge') && prefixes.includes('le'))) {
    throw new FhirError('INVALID_SEARCH_DATA', `A '${field}' range needs one 'ge' and one 'le' value`)
  }
  if (from > to) throw new FhirError('INVALID_SEARCH_DATA', `The '${field}' range ends before it starts`)
  return { from, to }
}

function isCalendarDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text
}

/**
 * A name or postcode criterion. PDS wildcards (PDS FHIR R4 search: "Wildcards must start with
 * at least two characters"; "Multiple wildcards are allowed"): `*` anywhere but the first two
 * characters, in family, given and postcode only, never in a fuzzy search. The pattern is
 * plain data matched in linear time, never a RegExp built from the input.
 */
function textCriterion(
  raw: string,
  field: string,
  normalise: (text: string) => string,
  fuzzy: boolean,
): TextCriterion {
  if (raw.length === 0 || raw.length > 100) throw invalidValue(raw.slice(0, 100), field)
  if (!raw.includes('*')) {
    const text = normalise(raw)
    if (!text) throw invalidValue(raw, field)
    return { text, raw }
  }
  if (fuzzy)
    throw new FhirError('INVALID_SEARCH_DATA', `Wildcards cannot be used in a fuzzy search ('${field}')`)
  const pattern = wildcardPatternOf(raw, normalise)
  if (raw.indexOf('*') < 2 || (pattern.segments[0]?.length ?? 0) < 2) {
    throw new FhirError(
      'INVALID_SEARCH_DATA',
      `Invalid search data provided - wildcards need at least two characters first in '${field}'`,
    )
  }
  return { text: pattern.segments.join(''), pattern, raw }
}
