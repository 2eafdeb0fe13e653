import { describe, expect, it } from 'vitest'
import { parseSearchCriteria } from '../../functions/patient-lookup/searchCriteria'
import {
  jaroWinkler,
  type SearchFields,
  scoreExact,
  scoreFuzzy,
} from '../../functions/shared/patients/matching'

// PDS search scoring as a caller's query reaches it: each search is parsed from its query
// parameters (PDS FHIR R4 "Search for a patient") and scored against one cached patient.

const JANE_SMITH: SearchFields = {
  family: 'SMITH',
  given: ['JANE', 'ANNE'],
  gender: 'female',
  birthDate: '2010-10-22',
  postcode: 'LS16AE',
}

const search = (query: Record<string, string>, extra: Record<string, string[]> = {}) =>
  parseSearchCriteria({ ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])), ...extra })

describe('scoreExact', () => {
  it('refuses a patient born after the end of the date range', () => {
    // Prepare
    const range = search({ family: 'Smith' }, { birthdate: ['ge2010-01-01', 'le2010-10-21'] })

    // Act, Assess
    expect(scoreExact(range, JANE_SMITH)).toBeUndefined()
    expect(scoreExact(range, { ...JANE_SMITH, birthDate: '2010-10-21' })).toBe(1)
  })

  it('refuses a patient born after the date searched for', () => {
    expect(scoreExact(search({ family: 'Smith', birthdate: '2010-10-21' }), JANE_SMITH)).toBeUndefined()
  })

  it('scores a wildcard by the share of the name it pins down', () => {
    // Prepare: 4 of SMITH's 5 letters, averaged with the date of birth
    const criteria = search({ family: 'Smit*', birthdate: '2010-10-22' })

    // Act, Assess
    expect(scoreExact(criteria, JANE_SMITH)).toBe(0.9)
  })

  it('never scores a wildcard match below one half', () => {
    // Prepare: 2 of 13 letters would be 0.15; the floor makes it 0.5, averaged with the date
    const criteria = search({ family: 'Sm*', birthdate: '2010-10-22' })

    // Act
    const score = scoreExact(criteria, { ...JANE_SMITH, family: 'SMITHERINGTON' })

    // Assess
    expect(score).toBe(0.75)
  })

  it('scores a postcode wildcard by the share of the postcode it pins down', () => {
    // Prepare: LS1 is 3 of LS16AE's 6 characters; family and date score 1
    const criteria = search({ family: 'Smith', birthdate: '2010-10-22', 'address-postalcode': 'LS1*' })

    // Act, Assess
    expect(scoreExact(criteria, JANE_SMITH)).toBe(0.8333)
  })

  it.each([
    ['a postcode', 'LS1 6AE'],
    ['a postcode wildcard', 'LS1*'],
  ])('does not match %s against a patient without a postcode', (_label, postcode) => {
    // Prepare
    const { postcode: _none, ...homeless } = JANE_SMITH
    const criteria = search({ family: 'Smith', birthdate: '2010-10-22', 'address-postalcode': postcode })

    // Act, Assess
    expect(scoreExact(criteria, homeless)).toBeUndefined()
  })

  it('matches a given name against any of the patient’s given names', () => {
    expect(scoreExact(search({ family: 'Smith', given: 'Anne', birthdate: '2010-10-22' }), JANE_SMITH)).toBe(
      1,
    )
  })
})

describe('scoreExact with wildcards', () => {
  const family = (term: string, value: string) =>
    scoreExact(search({ family: term, birthdate: '2010-10-22' }), { ...JANE_SMITH, family: value })

  it.each([
    ['Jo*n*s', 'JONES'],
    ['Jo*n*s', 'JOANS'],
    ['Sm*th*', 'SMITHSON'],
    ['Sm*t*h', 'SMYTTH'],
    ["O'N*l", 'ONEILL'],
  ])('matches %s against %s', (term, value) => {
    expect(family(term, value)).toBeGreaterThanOrEqual(0.75)
  })

  it.each([
    ['Jo*n*s', 'JOHNSON', 'the last part is not at the end'],
    ['Jo*s*n', 'JONES', 'the inner part is not between the others'],
    ['Ha*na*ah', 'HANNAH', 'the inner part overlaps the last'],
    ['Jo*x*s', 'JONES', 'an inner part is missing'],
    ['Ma*ri*ri*na', 'MARINA', 'two inner parts are found only once'],
    ['Ana*na', 'ANA', 'the first and last parts overlap'],
    ['Sm*th', 'SMITHS', 'the value runs on after the last part'],
    ['Sm*th', 'ASMITH', 'the value starts before the first part'],
  ])('does not match %s against %s: %s', (term, value) => {
    expect(family(term, value)).toBeUndefined()
  })
})

describe('scoreFuzzy', () => {
  const fuzzy = (query: Record<string, string>, extra: Record<string, string[]> = {}) =>
    search({ '_fuzzy-match': 'true', ...query }, extra)

  it('refuses a patient born after the end of the date range, however well the names match', () => {
    // Prepare
    const criteria = fuzzy(
      { family: 'Smith', given: 'Jane' },
      { birthdate: ['ge2010-01-01', 'le2010-10-21'] },
    )

    // Act, Assess
    expect(scoreFuzzy(criteria, JANE_SMITH)).toBeUndefined()
    expect(scoreFuzzy(criteria, { ...JANE_SMITH, birthDate: '2010-01-01' })).toBe(1)
  })

  it('counts a gender mismatch against the candidate', () => {
    // Prepare: family (weight 3) and given (2) match, gender (1) does not: 5 / 6
    const criteria = fuzzy({ family: 'Smith', given: 'Jane', gender: 'male', birthdate: '2010-10-22' })

    // Act, Assess
    expect(scoreFuzzy(criteria, JANE_SMITH)).toBe(0.8333)
    expect(scoreFuzzy({ ...criteria, gender: 'female' }, JANE_SMITH)).toBe(1)
  })

  it('counts a postcode mismatch against the candidate', () => {
    // Prepare: family (3) and gender (1) match, postcode (1) does not: 4 / 5
    const criteria = fuzzy({
      family: 'Smith',
      gender: 'female',
      'address-postalcode': 'LS2 7EE',
      birthdate: '2010-10-22',
    })

    // Act, Assess
    expect(scoreFuzzy(criteria, JANE_SMITH)).toBe(0.8)
  })

  it('does not match the same family name with a different given name', () => {
    // Prepare: HARRY against JANE is about 0.48; with the family name, (3 + 2 × 0.48) / 5 < 0.8
    const criteria = fuzzy({ family: 'Smith', given: 'Harry', birthdate: '2010-10-22' })

    // Act, Assess
    expect(scoreFuzzy(criteria, JANE_SMITH)).toBeUndefined()
  })

  it('scores a misspelt given name by its similarity to the closest given name', () => {
    // Prepare: JAYNE against JANE is 0.9467 (against ANNE less): (3 + 2 × 0.9467) / 5
    const criteria = fuzzy({ family: 'Smith', given: 'Jayne', birthdate: '2010-10-22' })

    // Act, Assess
    expect(scoreFuzzy(criteria, JANE_SMITH)).toBe(0.9787)
  })

  it('scores a search without a family name on given name, gender and postcode', () => {
    // Prepare
    const criteria = fuzzy({
      given: 'Jane',
      gender: 'female',
      'address-postalcode': 'LS1 6AE',
      birthdate: '2010-10-22',
    })

    // Act, Assess
    expect(scoreFuzzy(criteria, JANE_SMITH)).toBe(1)
    expect(scoreFuzzy(criteria, { ...JANE_SMITH, family: 'JONES' })).toBe(1)
  })
})

describe('jaroWinkler', () => {
  it('scores two empty strings as identical', () => {
    expect(jaroWinkler('', '')).toBe(1)
  })

  it('matches letters no further apart than half the longer string, less one', () => {
    // Prepare: four letters, so the window is 1 either side
    // Act, Assess: C is two places away in both directions, then one place away
    expect(jaroWinkler('ABCD', 'CXXX')).toBe(0)
    expect(jaroWinkler('CPQR', 'WXCY')).toBe(0)
    expect(jaroWinkler('CPQR', 'WCXY')).toBe(0.5)
  })

  it('scores CRATE against TRACE 0.7333, with T outside the window', () => {
    // Three matches (R, A, E), no transpositions, no common prefix: (3/5 + 3/5 + 1) / 3
    expect(jaroWinkler('CRATE', 'TRACE')).toBeCloseTo(0.7333, 4)
  })

  it('boosts a common prefix of at most four letters', () => {
    // Prepare: six of seven letters match in place: Jaro = (6/7 + 6/7 + 1) / 3
    const jaro = (6 / 7 + 6 / 7 + 1) / 3

    // Act, Assess: the six-letter common prefix counts as four
    expect(jaroWinkler('ABCDEFG', 'ABCDEFH')).toBeCloseTo(jaro + 4 * 0.1 * (1 - jaro), 10)
  })
})
