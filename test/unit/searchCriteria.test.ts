import { describe, expect, it } from 'vitest'
import { MAX_RESULTS_LIMIT, parseSearchCriteria } from '../../functions/patient-lookup/searchCriteria'
import { FhirError } from '../../functions/shared/errors'
import { scoreExact, wildcardMatches } from '../../functions/shared/patients/matching'
import type { TextCriterion } from '../../functions/shared/patients/PatientDirectory'

/** Whether a parsed wildcard criterion matches a normalised value. */
function matches(criterion: TextCriterion | undefined, value: string): boolean {
  return criterion?.pattern ? wildcardMatches(criterion.pattern, value) : false
}

// PDS FHIR R4 "Search for a patient": parameter names, formats, minimum criteria,
// wildcard placement and `_max-results` 1..50.

/** The FhirError a query is refused with; fails the test if it is accepted. */
function refusalOf(query: Record<string, string[]>): FhirError {
  try {
    parseSearchCriteria(query)
  } catch (error) {
    if (error instanceof FhirError) return error
    throw error
  }
  throw new Error(`expected ${JSON.stringify(query)} to be refused`)
}

const MINIMUM = { family: ['Smith'], birthdate: ['2010-10-22'] }

describe('parseSearchCriteria', () => {
  describe('parameters', () => {
    it('refuses a search with no parameters as UNSUPPORTED_SERVICE', () => {
      const error = refusalOf({})

      expect(error.code).toBe('UNSUPPORTED_SERVICE')
      expect(error.status).toBe(400)
    })

    it('refuses an unknown parameter as ADDITIONAL_PROPERTIES, naming it', () => {
      const error = refusalOf({ ...MINIMUM, nhsnumber: ['9000000009'] })

      expect(error.code).toBe('ADDITIONAL_PROPERTIES')
      expect(error.status).toBe(400)
      expect(error.diagnostics).toContain("'nhsnumber'")
    })

    it.each(['family', 'gender', 'address-postalcode', '_max-results', '_fuzzy-match'])(
      'refuses %s given twice',
      (name) => {
        // Prepare
        const values: Record<string, string[]> = {
          family: ['Smith', 'Jones'],
          gender: ['female', 'male'],
          'address-postalcode': ['LS1 6AE', 'LS2 7EE'],
          '_max-results': ['5', '6'],
          '_fuzzy-match': ['true', 'false'],
        }

        // Act
        const error = refusalOf({ ...MINIMUM, [name]: values[name]! })

        // Assess
        expect(error.code).toBe('INVALID_SEARCH_DATA')
        expect(error.status).toBe(400)
      },
    )

    it('accepts given names repeated', () => {
      const criteria = parseSearchCriteria({ ...MINIMUM, given: ['Jane', 'Anne'] })

      expect(criteria.given.map((given) => given.text)).toEqual(['JANE', 'ANNE'])
    })

    it('returns at most 50 results by default', () => {
      const criteria = parseSearchCriteria(MINIMUM)

      expect(criteria.maxResults).toBe(50)
      expect(MAX_RESULTS_LIMIT).toBe(50)
    })

    it('takes _max-results from 1 to 50', () => {
      expect(parseSearchCriteria({ ...MINIMUM, '_max-results': ['1'] }).maxResults).toBe(1)
      expect(parseSearchCriteria({ ...MINIMUM, '_max-results': ['50'] }).maxResults).toBe(50)
    })

    it('normalises names and postcodes and keeps what the caller sent', () => {
      // Act
      const criteria = parseSearchCriteria({
        family: ["o'neill"],
        given: ['Mary-Jane'],
        birthdate: ['2010-10-22'],
        'address-postalcode': ['ls1 6ae'],
      })

      // Assess
      expect(criteria.family).toEqual({ text: 'ONEILL', raw: "o'neill" })
      expect(criteria.given).toEqual([{ text: 'MARYJANE', raw: 'Mary-Jane' }])
      expect(criteria.postcode).toEqual({ text: 'LS16AE', raw: 'ls1 6ae' })
      expect(criteria.fuzzy).toBe(false)
      expect(criteria.exactMatch).toBe(false)
    })
  })

  describe('minimum criteria', () => {
    it('refuses a search without a date of birth as MISSING_VALUE', () => {
      const error = refusalOf({ family: ['Smith'], given: ['Jane'] })

      expect(error.code).toBe('MISSING_VALUE')
      expect(error.status).toBe(400)
    })

    it('refuses a non-fuzzy search with a date of birth but no family name', () => {
      const error = refusalOf({ given: ['Jane'], birthdate: ['2010-10-22'], gender: ['female'] })

      expect(error.code).toBe('INVALID_SEARCH_DATA')
      expect(error.status).toBe(400)
    })

    it('accepts family name and date of birth', () => {
      const criteria = parseSearchCriteria(MINIMUM)

      expect(criteria.family?.text).toBe('SMITH')
      expect(criteria.birthDate).toEqual({ from: '2010-10-22', to: '2010-10-22' })
    })

    it.each([
      ['given and family', { given: ['Jane'], family: ['Smith'] }],
      [
        'family, gender and postcode',
        { family: ['Smith'], gender: ['female'], 'address-postalcode': ['LS1 6AE'] },
      ],
      [
        'given, gender and postcode',
        { given: ['Jane'], gender: ['female'], 'address-postalcode': ['LS1 6AE'] },
      ],
    ])('accepts a fuzzy search on %s with a date of birth', (_label, query) => {
      const criteria = parseSearchCriteria({ ...query, birthdate: ['2010-10-22'], '_fuzzy-match': ['true'] })

      expect(criteria.fuzzy).toBe(true)
    })

    it.each([
      ['family alone', { family: ['Smith'] }],
      ['given and gender', { given: ['Jane'], gender: ['female'] }],
      ['family and postcode', { family: ['Smith'], 'address-postalcode': ['LS1 6AE'] }],
      ['given and postcode', { given: ['Jane'], 'address-postalcode': ['LS1 6AE'] }],
      ['gender and postcode', { gender: ['female'], 'address-postalcode': ['LS1 6AE'] }],
    ])('refuses a fuzzy search on %s only', (_label, query) => {
      const error = refusalOf({ ...query, birthdate: ['2010-10-22'], '_fuzzy-match': ['true'] })

      expect(error.code).toBe('INVALID_SEARCH_DATA')
      expect(error.status).toBe(400)
    })

    it('refuses _fuzzy-match and _exact-match together', () => {
      const error = refusalOf({
        ...MINIMUM,
        given: ['Jane'],
        '_fuzzy-match': ['true'],
        '_exact-match': ['true'],
      })

      expect(error.code).toBe('INVALID_SEARCH_DATA')
    })
  })

  describe('invalid values', () => {
    it.each([
      ['gender', 'F'],
      ['gender', 'Female'],
      ['birthdate', '22/10/2010'],
      ['birthdate', '2010-02-30'],
      ['birthdate', 'gt2010-10-22'],
      ['_max-results', '0'],
      ['_max-results', '51'],
      ['_max-results', 'x'],
      ['_max-results', '-1'],
      ['_fuzzy-match', 'yes'],
      ['_exact-match', 'TRUE'],
      ['_history', '1'],
      ['general-practitioner', 'not an ODS code'],
    ])("refuses %s '%s' as INVALID_VALUE", (field, value) => {
      const error = refusalOf({ ...MINIMUM, [field]: [value] })

      expect(error.code).toBe('INVALID_VALUE')
      expect(error.status).toBe(400)
      expect(error.diagnostics).toBe(`Invalid value - '${value}' in field '${field}'`)
    })

    it('refuses a family name that normalises to nothing', () => {
      const error = refusalOf({ family: ['--'], birthdate: ['2010-10-22'] })

      expect(error.code).toBe('INVALID_VALUE')
      expect(error.diagnostics).toBe("Invalid value - '--' in field 'family'")
    })
  })

  describe('dates of birth', () => {
    it('reads a bare date and an eq date as that one day', () => {
      expect(parseSearchCriteria(MINIMUM).birthDate).toEqual({ from: '2010-10-22', to: '2010-10-22' })
      expect(parseSearchCriteria({ ...MINIMUM, birthdate: ['eq2010-10-22'] }).birthDate).toEqual({
        from: '2010-10-22',
        to: '2010-10-22',
      })
    })

    it('reads ge and le as an inclusive range, in either order', () => {
      // Act
      const range = parseSearchCriteria({ ...MINIMUM, birthdate: ['ge2010-01-01', 'le2010-12-31'] })
      const reversed = parseSearchCriteria({ ...MINIMUM, birthdate: ['le2010-12-31', 'ge2010-01-01'] })

      // Assess
      expect(range.birthDate).toEqual({ from: '2010-01-01', to: '2010-12-31' })
      expect(reversed.birthDate).toEqual(range.birthDate)
    })

    it('refuses two ge values', () => {
      const error = refusalOf({ ...MINIMUM, birthdate: ['ge2010-01-01', 'ge2011-01-01'] })

      expect(error.code).toBe('INVALID_SEARCH_DATA')
      expect(error.status).toBe(400)
    })

    it('refuses a range that ends before it starts', () => {
      const error = refusalOf({ ...MINIMUM, birthdate: ['ge2011-01-01', 'le2010-01-01'] })

      expect(error.code).toBe('INVALID_SEARCH_DATA')
      expect(error.status).toBe(400)
    })

    it('refuses three dates', () => {
      const error = refusalOf({ ...MINIMUM, birthdate: ['ge2010-01-01', 'le2010-12-31', 'eq2010-06-01'] })

      expect(error.code).toBe('INVALID_SEARCH_DATA')
    })
  })

  describe('wildcards', () => {
    it('accepts a wildcard after the first two characters', () => {
      const criteria = parseSearchCriteria({ ...MINIMUM, family: ['Sm*'] })

      expect(criteria.family?.pattern).toEqual({ segments: ['SM', ''] })
      expect(criteria.family?.raw).toBe('Sm*')
    })

    it.each(['S*', '*mith', 'S*ith'])("refuses a wildcard in the first two characters ('%s')", (family) => {
      const error = refusalOf({ ...MINIMUM, family: [family] })

      expect(error.code).toBe('INVALID_SEARCH_DATA')
      expect(error.status).toBe(400)
    })

    it('refuses a wildcard in a fuzzy search', () => {
      const error = refusalOf({ ...MINIMUM, family: ['Smi*'], given: ['Jane'], '_fuzzy-match': ['true'] })

      expect(error.code).toBe('INVALID_SEARCH_DATA')
      expect(error.status).toBe(400)
    })

    it('refuses a wildcard with _exact-match', () => {
      const error = refusalOf({ ...MINIMUM, family: ['Smi*'], '_exact-match': ['true'] })

      expect(error.code).toBe('INVALID_SEARCH_DATA')
    })

    it('matches Sm*th against SMITH but not SMITHS', () => {
      // Prepare
      const { family } = parseSearchCriteria({ ...MINIMUM, family: ['Sm*th'] })

      // Act, Assess
      expect(matches(family, 'SMITH')).toBe(true)
      expect(matches(family, 'SMYTH')).toBe(true)
      expect(matches(family, 'SMITHS')).toBe(false)
      expect(matches(family, 'ASMITH')).toBe(false)
    })

    it('matches a trailing wildcard against any ending', () => {
      const { family } = parseSearchCriteria({ ...MINIMUM, family: ['Sm*'] })

      expect(matches(family, 'SM')).toBe(true)
      expect(matches(family, 'SMYTHE')).toBe(true)
      expect(matches(family, 'JONES')).toBe(false)
    })

    it('scores a wildcard match below an exact one', () => {
      // Prepare
      const wildcard = parseSearchCriteria({ ...MINIMUM, family: ['Sm*th'] })
      const exact = parseSearchCriteria(MINIMUM)
      const fields = { family: 'SMITH', given: ['JANE'], gender: 'female', birthDate: '2010-10-22' }

      // Act
      const wildcardScore = scoreExact(wildcard, fields)
      const exactScore = scoreExact(exact, fields)

      // Assess
      expect(exactScore).toBe(1)
      expect(wildcardScore).toBeLessThan(1)
    })
  })
})
