import { describe, expect, it } from 'vitest'
import {
  FUZZY_THRESHOLD,
  jaroWinkler,
  normaliseName,
  normalisePostcode,
  type SearchFields,
  scoreExact,
  scoreFuzzy,
} from '../../functions/shared/patients/matching'
import type { PatientSearchCriteria, TextCriterion } from '../../functions/shared/patients/PatientDirectory'

function text(value: string): TextCriterion {
  return { text: value, raw: value }
}

function criteria(overrides: Partial<PatientSearchCriteria>): PatientSearchCriteria {
  return {
    given: [],
    birthDate: { from: '2010-10-22', to: '2010-10-22' },
    fuzzy: false,
    exactMatch: false,
    maxResults: 50,
    ...overrides,
  }
}

const JANE_SMITH: SearchFields = {
  family: 'SMITH',
  given: ['JANE'],
  gender: 'female',
  birthDate: '2010-10-22',
  postcode: 'LS16AE',
}

describe('normaliseName', () => {
  it('upper-cases and drops spaces, hyphens and apostrophes', () => {
    expect(normaliseName("O'Neill")).toBe('ONEILL')
    expect(normaliseName('Lewis-Clarke')).toBe('LEWISCLARKE')
    expect(normaliseName(' van der Berg ')).toBe('VANDERBERG')
  })

  it('folds accented letters to their base letter', () => {
    expect(normaliseName('Zoë')).toBe('ZOE')
    expect(normaliseName('Siân')).toBe('SIAN')
  })

  it('drops digits and wildcard characters', () => {
    expect(normaliseName('Sm1th*')).toBe('SMTH')
  })
})

describe('normalisePostcode', () => {
  it('upper-cases and drops spaces', () => {
    expect(normalisePostcode('ls1 6ae')).toBe('LS16AE')
    expect(normalisePostcode(' LS11  5QQ ')).toBe('LS115QQ')
  })
})

describe('scoreExact', () => {
  it('scores 1 when every criterion matches exactly', () => {
    const search = criteria({
      family: text('SMITH'),
      given: [text('JANE')],
      gender: 'female',
      postcode: text('LS16AE'),
    })

    expect(scoreExact(search, JANE_SMITH)).toBe(1)
  })

  it('scores a wildcard match above 0 and below 1', () => {
    // Prepare
    const search = criteria({ family: { text: 'SM', pattern: { segments: ['SM', ''] }, raw: 'Sm*' } })

    // Act
    const score = scoreExact(search, JANE_SMITH)

    // Assess
    expect(score).toBeGreaterThan(0)
    expect(score).toBeLessThan(1)
  })

  it('scores a longer wildcard prefix higher than a shorter one', () => {
    // Prepare
    const short = criteria({ family: { text: 'SM', pattern: { segments: ['SM', ''] }, raw: 'Sm*' } })
    const long = criteria({ family: { text: 'SMIT', pattern: { segments: ['SMIT', ''] }, raw: 'Smit*' } })

    // Act, Assess
    expect(scoreExact(long, JANE_SMITH)!).toBeGreaterThan(scoreExact(short, JANE_SMITH)!)
  })

  it.each<[string, Partial<PatientSearchCriteria>, SearchFields]>([
    ['family name', { family: text('JONES') }, JANE_SMITH],
    ['given name', { family: text('SMITH'), given: [text('JANET')] }, JANE_SMITH],
    ['gender', { family: text('SMITH'), gender: 'male' }, JANE_SMITH],
    [
      'date of birth',
      { family: text('SMITH'), birthDate: { from: '2010-10-23', to: '2010-12-31' } },
      JANE_SMITH,
    ],
    ['postcode', { family: text('SMITH'), postcode: text('LS27EE') }, JANE_SMITH],
    [
      'wildcard',
      { family: { text: 'SMTH', pattern: { segments: ['SM', 'TH'] }, raw: 'Sm*th' } },
      { ...JANE_SMITH, family: 'SMITHS' },
    ],
  ])('answers undefined when the %s misses', (_label, overrides, fields) => {
    expect(scoreExact(criteria(overrides), fields)).toBeUndefined()
  })

  it('answers undefined for a patient without a date of birth', () => {
    const { birthDate: _birthDate, ...undated } = JANE_SMITH

    expect(scoreExact(criteria({ family: text('SMITH') }), undated)).toBeUndefined()
  })

  it('accepts a date of birth on either end of a range', () => {
    const search = criteria({ family: text('SMITH'), birthDate: { from: '2010-10-22', to: '2010-12-31' } })

    expect(scoreExact(search, JANE_SMITH)).toBe(1)
    expect(scoreExact(search, { ...JANE_SMITH, birthDate: '2010-12-31' })).toBe(1)
  })
})

describe('scoreFuzzy', () => {
  it('scores an exact match 1', () => {
    const search = criteria({ fuzzy: true, family: text('SMITH'), given: [text('JANE')] })

    expect(scoreFuzzy(search, JANE_SMITH)).toBe(1)
  })

  it('still matches a misspelt family name, above the threshold and below 1', () => {
    // Prepare
    const search = criteria({ fuzzy: true, family: text('SMYTH'), given: [text('JANE')] })

    // Act
    const score = scoreFuzzy(search, JANE_SMITH)

    // Assess
    expect(score).toBeGreaterThanOrEqual(FUZZY_THRESHOLD)
    expect(score).toBeLessThan(1)
  })

  it('does not match a different person born the same day', () => {
    const search = criteria({ fuzzy: true, family: text('JONES'), given: [text('HARRY')] })

    expect(scoreFuzzy(search, JANE_SMITH)).toBeUndefined()
  })

  it('does not match the same name born on another day', () => {
    const search = criteria({
      fuzzy: true,
      family: text('SMITH'),
      given: [text('JANE')],
      birthDate: { from: '2010-10-23', to: '2010-10-23' },
    })

    expect(scoreFuzzy(search, JANE_SMITH)).toBeUndefined()
  })

  it('counts gender and postcode against a candidate that differs on them', () => {
    // Prepare
    const search = criteria({
      fuzzy: true,
      family: text('SMITH'),
      gender: 'female',
      postcode: text('LS16AE'),
    })

    // Act
    const same = scoreFuzzy(search, JANE_SMITH)
    const moved = scoreFuzzy(search, { ...JANE_SMITH, postcode: 'LS27EE' })

    // Assess
    expect(same).toBe(1)
    expect(moved).toBeLessThan(1)
  })
})

describe('jaroWinkler', () => {
  it.each([
    ['MARTHA', 'MARHTA', 0.961],
    ['DWAYNE', 'DUANE', 0.84],
    ['DIXON', 'DICKSONX', 0.813],
  ])('scores %s against %s about %s', (a, b, expected) => {
    expect(jaroWinkler(a, b)).toBeCloseTo(expected, 3)
  })

  it('scores identical strings 1 and strings with nothing in common 0', () => {
    expect(jaroWinkler('SMITH', 'SMITH')).toBe(1)
    expect(jaroWinkler('ABC', 'XYZ')).toBe(0)
    expect(jaroWinkler('', 'SMITH')).toBe(0)
  })

  it('is symmetric', () => {
    expect(jaroWinkler('MARHTA', 'MARTHA')).toBeCloseTo(jaroWinkler('MARTHA', 'MARHTA'), 10)
    expect(jaroWinkler('DUANE', 'DWAYNE')).toBeCloseTo(jaroWinkler('DWAYNE', 'DUANE'), 10)
  })
})
