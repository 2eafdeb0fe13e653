import type { PatientSearchCriteria, TextCriterion, WildcardPattern } from './PatientDirectory'

/** The searchable facts of one cached patient, normalised as the criteria are. */
export interface SearchFields {
  family: string
  given: string[]
  gender?: string
  birthDate?: string
  postcode?: string
}

/** Upper-case letters only: PDS name search ignores case, spaces, hyphens and apostrophes. */
export function normaliseName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toUpperCase()
    .replace(/[^A-Z]/g, '')
}

/** Upper case without spaces: PDS ignores spaces in postcodes. */
export function normalisePostcode(postcode: string): string {
  return postcode.toUpperCase().replace(/[^A-Z0-9]/g, '')
}

/**
 * Whether a normalised value matches a wildcard pattern. Each inner segment is placed at its
 * leftmost occurrence after the previous one: for `*`-only patterns that is always safe, so
 * the match never backtracks. At most one `indexOf` per segment, over a value and a pattern
 * of at most 100 characters each (searchCriteria.ts): no input makes it slow.
 */
export function wildcardMatches(pattern: WildcardPattern, value: string): boolean {
  const { segments } = pattern
  const first = segments[0] ?? ''
  if (segments.length === 1) return value === first
  const last = segments[segments.length - 1] ?? ''
  if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last)) {
    return false
  }
  let position = first.length
  const end = value.length - last.length
  for (let index = 1; index < segments.length - 1; index++) {
    const segment = segments[index] ?? ''
    const found = value.indexOf(segment, position)
    if (found < 0 || found + segment.length > end) return false
    position = found + segment.length
  }
  return true
}

/**
 * A wildcard term as a pattern: split at the stars, each part normalised, empty inner parts
 * (runs of stars, or characters the normalisation drops) removed. `Le**X` and `Le*-*X` are `Le*X`.
 */
export function wildcardPatternOf(raw: string, normalise: (text: string) => string): WildcardPattern {
  const parts = raw.split('*').map(normalise)
  const inner = parts.slice(1, -1).filter((part) => part.length > 0)
  return { segments: [parts[0] ?? '', ...inner, parts[parts.length - 1] ?? ''] }
}

function textMatches(criterion: TextCriterion, value: string | undefined): boolean {
  if (value === undefined) return false
  return criterion.pattern ? wildcardMatches(criterion.pattern, value) : value === criterion.text
}

/** How much of the value the criterion pinned down: 1 for equality, less for a wildcard. */
function textScore(criterion: TextCriterion, value: string): number {
  return criterion.pattern ? Math.max(0.5, Math.min(1, criterion.text.length / Math.max(value.length, 1))) : 1
}

/**
 * Scores a candidate against a non-fuzzy search: undefined when any criterion fails, else
 * the mean of per-criterion scores (1 when every criterion matched exactly).
 */
export function scoreExact(criteria: PatientSearchCriteria, fields: SearchFields): number | undefined {
  const scores: number[] = []
  if (criteria.family) {
    if (!textMatches(criteria.family, fields.family)) return undefined
    scores.push(textScore(criteria.family, fields.family))
  }
  for (const given of criteria.given) {
    const hit = fields.given.find((name) => textMatches(given, name))
    if (hit === undefined) return undefined
    scores.push(textScore(given, hit))
  }
  if (criteria.gender) {
    if (fields.gender !== criteria.gender) return undefined
    scores.push(1)
  }
  if (
    !fields.birthDate ||
    fields.birthDate < criteria.birthDate.from ||
    fields.birthDate > criteria.birthDate.to
  ) {
    return undefined
  }
  scores.push(1)
  if (criteria.postcode) {
    if (!textMatches(criteria.postcode, fields.postcode)) return undefined
    scores.push(textScore(criteria.postcode, fields.postcode ?? ''))
  }
  return roundScore(scores.reduce((sum, score) => sum + score, 0) / scores.length)
}

/** Below this a fuzzy candidate is not a match. */
export const FUZZY_THRESHOLD = 0.8

/**
 * Scores a candidate for a fuzzy search (PDS `_fuzzy-match`): names by Jaro-Winkler
 * similarity, gender and postcode exactly, weighted towards names.
 */
export function scoreFuzzy(criteria: PatientSearchCriteria, fields: SearchFields): number | undefined {
  if (
    !fields.birthDate ||
    fields.birthDate < criteria.birthDate.from ||
    fields.birthDate > criteria.birthDate.to
  ) {
    return undefined
  }
  let weighted = 0
  let weights = 0
  const add = (score: number, weight: number) => {
    weighted += score * weight
    weights += weight
  }
  if (criteria.family) add(jaroWinkler(criteria.family.text, fields.family), 3)
  for (const given of criteria.given) {
    add(Math.max(0, ...fields.given.map((name) => jaroWinkler(given.text, name))), 2)
  }
  if (criteria.gender) add(fields.gender === criteria.gender ? 1 : 0, 1)
  if (criteria.postcode) add(fields.postcode === criteria.postcode.text ? 1 : 0, 1)
  const score = weights === 0 ? 0 : weighted / weights
  return score >= FUZZY_THRESHOLD ? roundScore(score) : undefined
}

function roundScore(score: number): number {
  return Math.round(score * 10_000) / 10_000
}

/** Jaro-Winkler string similarity, 0..1. */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1
  if (!a.length || !b.length) return 0
  const window = Math.max(0, Math.floor(Math.max(a.length, b.length) / 2) - 1)
  const aMatched = new Array<boolean>(a.length).fill(false)
  const bMatched = new Array<boolean>(b.length).fill(false)
  let matches = 0
  for (let i = 0; i < a.length; i++) {
    for (let j = Math.max(0, i - window); j < Math.min(b.length, i + window + 1); j++) {
      if (bMatched[j] || a[i] !== b[j]) continue
      aMatched[i] = true
      bMatched[j] = true
      matches++
      break
    }
  }
  if (matches === 0) return 0
  let transpositions = 0
  let k = 0
  for (let i = 0; i < a.length; i++) {
    if (!aMatched[i]) continue
    while (!bMatched[k]) k++
    if (a[i] !== b[k]) transpositions++
    k++
  }
  const jaro = (matches / a.length + matches / b.length + (matches - transpositions / 2) / matches) / 3
  let prefix = 0
  while (prefix < 4 && a[prefix] === b[prefix]) prefix++
  return jaro + prefix * 0.1 * (1 - jaro)
}
