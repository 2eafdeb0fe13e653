import { describe, expect, it } from 'vitest'
import { parseStructuredRecordRequest } from '../../functions/record-retrieval/parameters'
import { FhirError } from '../../functions/shared/errors'
import { parametersOf } from '../../functions/shared/records/query'
import { NHS_NUMBER_SYSTEM } from '../../schemas/fhir/identifiers'

// GP Connect 1.6 "Retrieve a patient's structured record": parameters, part parameters and
// the error table, as record retrieval applies them.

/** 2026-03-10 12:00 UK time: "today" for every date rule below. */
const NOW = new Date('2026-03-10T12:00:00Z')
const PATIENT = '9000000009'

const nhsNumber = (value = PATIENT) => ({
  name: 'patientNHSNumber',
  valueIdentifier: { system: NHS_NUMBER_SYSTEM, value },
})
const body = (...parameter: unknown[]) => ({
  resourceType: 'Parameters',
  parameter: [nhsNumber(), ...parameter],
})
const area = (name: string, ...part: unknown[]) => (part.length ? { name, part } : { name })

function refusal(input: unknown): FhirError {
  try {
    parseStructuredRecordRequest(input, NOW)
  } catch (error) {
    expect(error).toBeInstanceOf(FhirError)
    return error as FhirError
  }
  throw new Error('the body was accepted')
}

describe('parseStructuredRecordRequest', () => {
  it.each([
    ['the patient alone', body(), { nhsNumber: PATIENT }],
    [
      'allergies with resolved ones',
      body(area('includeAllergies', { name: 'includeResolvedAllergies', valueBoolean: true })),
      { nhsNumber: PATIENT, allergies: { includeResolved: true } },
    ],
    [
      'medication from a date, without issues',
      body(
        area(
          'includeMedication',
          { name: 'medicationSearchFromDate', valueDate: '2025-03-10' },
          { name: 'includePrescriptionIssues', valueBoolean: false },
        ),
      ),
      { nhsNumber: PATIENT, medication: { fromDate: '2025-03-10', includePrescriptionIssues: false } },
    ],
    ['medication, no parts', body(area('includeMedication')), { nhsNumber: PATIENT, medication: {} }],
    [
      'consultations in a period',
      body(
        area('includeConsultations', {
          name: 'consultationSearchPeriod',
          valuePeriod: { start: '2025-01-01', end: '2026-03-10' },
        }),
      ),
      { nhsNumber: PATIENT, consultations: { period: { start: '2025-01-01', end: '2026-03-10' } } },
    ],
    [
      'the three most recent consultations',
      body(area('includeConsultations', { name: 'includeNumberOfMostRecent', valuePositiveInt: 3 })),
      { nhsNumber: PATIENT, consultations: { mostRecent: 3 } },
    ],
    [
      'active problems',
      body(area('includeProblems', { name: 'filterStatus', valueCode: 'active' })),
      { nhsNumber: PATIENT, problems: { status: 'active' } },
    ],
    [
      'immunisations with those not given',
      body(
        area(
          'includeImmunisations',
          { name: 'includeNotGiven', valueBoolean: true },
          { name: 'includeStatus', valueBoolean: false },
        ),
      ),
      { nhsNumber: PATIENT, immunisations: { includeNotGiven: true, includeStatus: false } },
    ],
    [
      'investigations, referrals and uncategorised data in periods',
      body(
        area('includeInvestigations', {
          name: 'investigationSearchPeriod',
          valuePeriod: { start: '2025-01-01' },
        }),
        area('includeReferrals', { name: 'referralSearchPeriod', valuePeriod: { end: '2026-01-01' } }),
        area('includeUncategorisedData', {
          name: 'uncategorisedDataSearchPeriod',
          valuePeriod: { start: '2024-01-01' },
        }),
      ),
      {
        nhsNumber: PATIENT,
        investigations: { period: { start: '2025-01-01' } },
        referrals: { period: { end: '2026-01-01' } },
        uncategorised: { period: { start: '2024-01-01' } },
      },
    ],
    [
      'diary entries up to a future date',
      body(area('includeDiaryEntries', { name: 'diaryEntriesSearchDate', valueDate: '2026-04-01' })),
      { nhsNumber: PATIENT, diaryEntries: { searchDate: '2026-04-01' } },
    ],
    [
      "GP Connect's predefined search 1: three consultations, a year of medication, allergies, problems",
      body(
        area('includeConsultations', { name: 'includeNumberOfMostRecent', valuePositiveInt: 3 }),
        area('includeProblems'),
        area('includeAllergies', { name: 'includeResolvedAllergies', valueBoolean: true }),
        area('includeMedication', { name: 'medicationSearchFromDate', valueDate: '2025-03-10' }),
      ),
      {
        nhsNumber: PATIENT,
        consultations: { mostRecent: 3 },
        problems: {},
        allergies: { includeResolved: true },
        medication: { fromDate: '2025-03-10' },
      },
    ],
  ])('reads %s', (_name, input, expected) => {
    // Act
    const query = parseStructuredRecordRequest(input, NOW)

    // Assess
    expect(query).toEqual(expected)
  })

  it('round-trips through the Parameters body a holder is sent', () => {
    // Prepare
    const input = body(
      area('includeAllergies', { name: 'includeResolvedAllergies', valueBoolean: false }),
      area(
        'includeMedication',
        { name: 'includePrescriptionIssues', valueBoolean: true },
        { name: 'medicationSearchFromDate', valueDate: '2025-01-01' },
      ),
      area('includeImmunisations'),
      area('includeInvestigations', {
        name: 'investigationSearchPeriod',
        valuePeriod: { start: '2024-01-01', end: '2025-01-01' },
      }),
      area('includeReferrals', { name: 'referralSearchPeriod', valuePeriod: { start: '2025-01-01' } }),
    )
    const query = parseStructuredRecordRequest(input, NOW)

    // Act
    const forwarded = parseStructuredRecordRequest(parametersOf(query), NOW)

    // Assess
    expect(forwarded).toEqual(query)
    expect(parametersOf(query).parameter).toEqual(input.parameter)
  })

  describe('refuses what GP Connect refuses', () => {
    it.each([
      ['a body that is not Parameters', { resourceType: 'Patient' }, 422, 'INVALID_RESOURCE'],
      ['a JSON array', [], 422, 'INVALID_RESOURCE'],
      ['an element Parameters does not have', { ...body(), extra: 1 }, 422, 'INVALID_RESOURCE'],
      [
        'a parameter without a name',
        { resourceType: 'Parameters', parameter: [{ value: 1 }] },
        422,
        'INVALID_RESOURCE',
      ],
      ['no parameters at all', { resourceType: 'Parameters', parameter: [] }, 422, 'INVALID_PARAMETER'],
      [
        'no patientNHSNumber',
        { resourceType: 'Parameters', parameter: [area('includeProblems')] },
        422,
        'INVALID_PARAMETER',
      ],
      [
        'an NHS number failing modulus 11',
        { resourceType: 'Parameters', parameter: [nhsNumber('9000000001')] },
        400,
        'INVALID_NHS_NUMBER',
      ],
      [
        'an NHS number of nine digits',
        { resourceType: 'Parameters', parameter: [nhsNumber('900000000')] },
        400,
        'INVALID_NHS_NUMBER',
      ],
      [
        'an NHS number in another system',
        {
          resourceType: 'Parameters',
          parameter: [{ name: 'patientNHSNumber', valueIdentifier: { system: 'urn:x', value: PATIENT } }],
        },
        422,
        'INVALID_PARAMETER',
      ],
      ['an unknown parameter', body(area('includeEverything')), 422, 'INVALID_PARAMETER'],
      [
        'a parameter given twice',
        body(area('includeProblems'), area('includeProblems')),
        422,
        'INVALID_PARAMETER',
      ],
      ['patientNHSNumber given twice', body(nhsNumber()), 422, 'INVALID_PARAMETER'],
      [
        'an unknown part parameter',
        body(area('includeProblems', { name: 'includeStatus', valueCode: 'active' })),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'includeAllergies without its mandatory part',
        body(area('includeAllergies')),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a part parameter without a value',
        body(area('includeAllergies', { name: 'includeResolvedAllergies' })),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a part parameter of the wrong type',
        body(area('includeAllergies', { name: 'includeResolvedAllergies', valueString: 'true' })),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a value on an area parameter',
        body({ name: 'includeProblems', valueBoolean: true }),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a partial date (year and month)',
        body(area('includeMedication', { name: 'medicationSearchFromDate', valueDate: '2025-03' })),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a partial date (year)',
        body(area('includeMedication', { name: 'medicationSearchFromDate', valueDate: '2025' })),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a date with a time',
        body(
          area('includeMedication', {
            name: 'medicationSearchFromDate',
            valueDate: '2025-03-10T10:00:00+00:00',
          }),
        ),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a date that does not exist',
        body(area('includeMedication', { name: 'medicationSearchFromDate', valueDate: '2025-02-30' })),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a future medication date',
        body(area('includeMedication', { name: 'medicationSearchFromDate', valueDate: '2026-03-11' })),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a future consultation period end',
        body(
          area('includeConsultations', {
            name: 'consultationSearchPeriod',
            valuePeriod: { start: '2025-01-01', end: '2026-03-11' },
          }),
        ),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a consultation period that starts after it ends',
        body(
          area('includeConsultations', {
            name: 'consultationSearchPeriod',
            valuePeriod: { start: '2025-02-01', end: '2025-01-01' },
          }),
        ),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'an empty period',
        body(area('includeInvestigations', { name: 'investigationSearchPeriod', valuePeriod: {} })),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a partial date in a period',
        body(area('includeReferrals', { name: 'referralSearchPeriod', valuePeriod: { start: '2025-01' } })),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'both consultation options',
        body(
          area(
            'includeConsultations',
            { name: 'consultationSearchPeriod', valuePeriod: { start: '2025-01-01' } },
            { name: 'includeNumberOfMostRecent', valuePositiveInt: 3 },
          ),
        ),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a count of zero',
        body(area('includeConsultations', { name: 'includeNumberOfMostRecent', valuePositiveInt: 0 })),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a problem status other than active or inactive',
        body(area('includeProblems', { name: 'filterStatus', valueCode: 'resolved' })),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a diary date in the past',
        body(area('includeDiaryEntries', { name: 'diaryEntriesSearchDate', valueDate: '2026-03-09' })),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a medication date with consultations (not a predefined search)',
        body(
          area('includeConsultations'),
          area('includeMedication', { name: 'medicationSearchFromDate', valueDate: '2025-06-01' }),
        ),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a problem filter with consultations',
        body(
          area('includeConsultations'),
          area('includeProblems', { name: 'filterStatus', valueCode: 'active' }),
        ),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'a referral period with problems',
        body(
          area('includeProblems'),
          area('includeReferrals', { name: 'referralSearchPeriod', valuePeriod: { start: '2025-01-01' } }),
        ),
        422,
        'INVALID_PARAMETER',
      ],
      [
        'an immunisation filter with problems',
        body(
          area('includeProblems'),
          area('includeImmunisations', { name: 'includeNotGiven', valueBoolean: true }),
        ),
        422,
        'INVALID_PARAMETER',
      ],
    ])('%s', (_name, input, status, code) => {
      // Act
      const error = refusal(input)

      // Assess
      expect(error.status).toBe(status)
      expect(error.code).toBe(code)
      expect(error.diagnostics).toBeTruthy()
    })

    it('echoes an unknown name only as safe text, never markup', () => {
      // Act
      const error = refusal(body(area('<script>alert(1)</script>')))

      // Assess
      expect(error.diagnostics).not.toContain('<')
      expect(error.diagnostics).toBe('Unknown parameter ?script?alert?1???script?')
    })

    it('echoes at most 60 characters of an unknown name', () => {
      const error = refusal(body(area(`include${'X'.repeat(100)}`)))

      expect(error.diagnostics).toBe(`Unknown parameter include${'X'.repeat(53)}`)
    })
  })

  // Each refusal names the rule that refused it: a body that breaks one rule must not slip
  // past it and be refused, by luck, by a later one.
  describe('names the rule that refused', () => {
    const part = (name: string, element: Record<string, unknown>) => ({ name, ...element })
    const period = (name: string, valuePeriod: unknown) => part(name, { valuePeriod })
    const aYearAgo = '2025-03-10'
    it.each([
      [
        'no parameter element',
        { resourceType: 'Parameters' },
        'INVALID_PARAMETER',
        /^No recognised parameters/,
      ],
      [
        'an empty parameter list',
        { resourceType: 'Parameters', parameter: [] },
        'INVALID_PARAMETER',
        /^No recognised parameters/,
      ],
      ['a null body', null, 'INVALID_RESOURCE', /must be a FHIR Parameters resource/],
      ['a text body', 'Parameters', 'INVALID_RESOURCE', /must be a FHIR Parameters resource/],
      [
        'patientNHSNumber without its identifier',
        { resourceType: 'Parameters', parameter: [{ name: 'patientNHSNumber' }] },
        'INVALID_PARAMETER',
        /needs a valueIdentifier/,
      ],
      [
        'patientNHSNumber with another element',
        { resourceType: 'Parameters', parameter: [{ ...nhsNumber(), valueString: PATIENT }] },
        'INVALID_PARAMETER',
        /takes valueIdentifier only, not valueString/,
      ],
      [
        'an NHS number given as a number',
        {
          resourceType: 'Parameters',
          parameter: [
            { name: 'patientNHSNumber', valueIdentifier: { system: NHS_NUMBER_SYSTEM, value: 9000000009 } },
          ],
        },
        'INVALID_NHS_NUMBER',
        /not a valid NHS number/,
      ],
      [
        'part parameters that are not a list',
        body({ name: 'includeProblems', part: { name: 'filterStatus', valueCode: 'active' } }),
        'INVALID_RESOURCE',
        /includeProblems\.part must be an array/,
      ],
      [
        'a part parameter without a name',
        body(area('includeProblems', { valueCode: 'active' })),
        'INVALID_RESOURCE',
        /Every part parameter of includeProblems needs a name/,
      ],
      [
        'a part parameter that is not an object',
        body(area('includeProblems', 'filterStatus')),
        'INVALID_RESOURCE',
        /Every part parameter of includeProblems needs a name/,
      ],
      [
        'a part parameter given twice',
        body(
          area(
            'includeImmunisations',
            part('includeNotGiven', { valueBoolean: true }),
            part('includeNotGiven', { valueBoolean: false }),
          ),
        ),
        'INVALID_PARAMETER',
        /includeNotGiven of includeImmunisations may appear once/,
      ],
      [
        'a part parameter without a value',
        body(area('includeAllergies', { name: 'includeResolvedAllergies' })),
        'INVALID_PARAMETER',
        /has no value/,
      ],
      [
        'a part parameter with two values',
        body(
          area(
            'includeAllergies',
            part('includeResolvedAllergies', { valueBoolean: true, valueString: 'x' }),
          ),
        ),
        'INVALID_PARAMETER',
        /takes valueBoolean/,
      ],
      [
        'a part parameter of the wrong type',
        body(area('includeAllergies', part('includeResolvedAllergies', { valueString: 'true' }))),
        'INVALID_PARAMETER',
        /takes valueBoolean/,
      ],
      [
        'a part parameter with an element besides its value',
        body(
          area('includeAllergies', part('includeResolvedAllergies', { valueBoolean: true, extension: [] })),
        ),
        'INVALID_PARAMETER',
        /has an unexpected element extension/,
      ],
      [
        'a boolean written as text',
        body(area('includeAllergies', part('includeResolvedAllergies', { valueBoolean: 'true' }))),
        'INVALID_PARAMETER',
        /must be true or false/,
      ],
      [
        'a count that is not whole',
        body(area('includeConsultations', part('includeNumberOfMostRecent', { valuePositiveInt: 3.5 }))),
        'INVALID_PARAMETER',
        /must be a positive integer/,
      ],
      [
        'a count written as text',
        body(area('includeConsultations', part('includeNumberOfMostRecent', { valuePositiveInt: '3' }))),
        'INVALID_PARAMETER',
        /must be a positive integer/,
      ],
      [
        'a count beyond FHIR positiveInt',
        body(
          area(
            'includeConsultations',
            part('includeNumberOfMostRecent', { valuePositiveInt: 2_147_483_648 }),
          ),
        ),
        'INVALID_PARAMETER',
        /must be a positive integer/,
      ],
      [
        'a date given as a list',
        body(area('includeMedication', part('medicationSearchFromDate', { valueDate: ['2025-03-10'] }))),
        'INVALID_PARAMETER',
        /must be a whole date/,
      ],
      [
        'a period that is text',
        body(area('includeInvestigations', period('investigationSearchPeriod', '2025-01-01'))),
        'INVALID_PARAMETER',
        /investigationSearchPeriod must be a Period/,
      ],
      [
        'a period that is a list',
        body(area('includeInvestigations', period('investigationSearchPeriod', ['2025-01-01']))),
        'INVALID_PARAMETER',
        /investigationSearchPeriod must be a Period/,
      ],
      [
        'a period that is null',
        body(area('includeInvestigations', period('investigationSearchPeriod', null))),
        'INVALID_PARAMETER',
        /investigationSearchPeriod must be a Period/,
      ],
      [
        'a period with an element besides start and end',
        body(
          area(
            'includeInvestigations',
            period('investigationSearchPeriod', { start: '2025-01-01', after: '2025-02-01' }),
          ),
        ),
        'INVALID_PARAMETER',
        /investigationSearchPeriod has an unexpected element after/,
      ],
      [
        'a partial date in a period',
        body(area('includeReferrals', period('referralSearchPeriod', { start: '2025-01' }))),
        'INVALID_PARAMETER',
        /^referralSearchPeriod\.start must be a whole date/,
      ],
      [
        'a referral period with consultations',
        body(
          area('includeConsultations'),
          area('includeReferrals', period('referralSearchPeriod', { start: '2025-01-01' })),
        ),
        'INVALID_PARAMETER',
        /^includeReferrals\.referralSearchPeriod may not be combined with includeConsultations/,
      ],
      [
        'an uncategorised data period with problems',
        body(
          area('includeProblems'),
          area('includeUncategorisedData', period('uncategorisedDataSearchPeriod', { start: '2025-01-01' })),
        ),
        'INVALID_PARAMETER',
        /^includeUncategorisedData\.uncategorisedDataSearchPeriod may not be combined with includeProblems/,
      ],
      [
        'a diary date with consultations',
        body(
          area('includeConsultations'),
          area('includeDiaryEntries', part('diaryEntriesSearchDate', { valueDate: '2026-04-01' })),
        ),
        'INVALID_PARAMETER',
        /^includeDiaryEntries\.diaryEntriesSearchDate may not be combined with includeConsultations/,
      ],
      [
        'an immunisation filter with problems',
        body(
          area('includeProblems'),
          area('includeImmunisations', part('includeNotGiven', { valueBoolean: true })),
        ),
        'INVALID_PARAMETER',
        /^includeImmunisations\.includeNotGiven may not be combined with includeProblems/,
      ],
      [
        'an immunisation status filter with consultations',
        body(
          area('includeConsultations'),
          area('includeImmunisations', part('includeStatus', { valueBoolean: true })),
        ),
        'INVALID_PARAMETER',
        /^includeImmunisations\.includeStatus may not be combined with includeConsultations/,
      ],
      [
        'a problem filter with consultations',
        body(
          area('includeConsultations'),
          area('includeProblems', part('filterStatus', { valueCode: 'active' })),
        ),
        'INVALID_PARAMETER',
        /^includeProblems\.filterStatus may not be combined with includeConsultations/,
      ],
      [
        'a medication date other than a year ago with problems',
        body(
          area('includeProblems'),
          area('includeMedication', part('medicationSearchFromDate', { valueDate: '2025-06-01' })),
        ),
        'INVALID_PARAMETER',
        /^includeMedication\.medicationSearchFromDate may not be combined with includeProblems/,
      ],
      [
        'a year of medication with consultations in a period (not the three most recent)',
        body(
          area('includeConsultations', period('consultationSearchPeriod', { start: '2025-01-01' })),
          area('includeMedication', part('medicationSearchFromDate', { valueDate: aYearAgo })),
        ),
        'INVALID_PARAMETER',
        /^includeMedication\.medicationSearchFromDate may not be combined with includeConsultations/,
      ],
      [
        'a year of medication with the five most recent consultations',
        body(
          area('includeConsultations', part('includeNumberOfMostRecent', { valuePositiveInt: 5 })),
          area('includeMedication', part('medicationSearchFromDate', { valueDate: aYearAgo })),
        ),
        'INVALID_PARAMETER',
        /^includeMedication\.medicationSearchFromDate may not be combined with includeConsultations/,
      ],
      [
        'a predefined search with a referral period besides',
        body(
          area('includeConsultations', part('includeNumberOfMostRecent', { valuePositiveInt: 3 })),
          area('includeMedication', part('medicationSearchFromDate', { valueDate: aYearAgo })),
          area('includeReferrals', period('referralSearchPeriod', { start: '2025-01-01' })),
        ),
        'INVALID_PARAMETER',
        /^includeReferrals\.referralSearchPeriod may not be combined with includeConsultations/,
      ],
    ])('%s', (_name, input, code, diagnostics) => {
      // Act
      const error = refusal(input)

      // Assess
      expect(error.code).toBe(code)
      expect(error.diagnostics).toMatch(diagnostics)
    })
  })

  describe('accepts values at the edges of each rule', () => {
    it.each([
      [
        'a Parameters resource with id, meta, language and implicitRules',
        {
          ...body(),
          id: 'request-1',
          meta: {
            profile: [
              'https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-GetStructuredRecord-Operation-1',
            ],
          },
          language: 'en-GB',
          implicitRules: 'https://example.org/rules',
        },
        { nhsNumber: PATIENT },
      ],
      [
        'one consultation, the smallest count',
        body(area('includeConsultations', { name: 'includeNumberOfMostRecent', valuePositiveInt: 1 })),
        { nhsNumber: PATIENT, consultations: { mostRecent: 1 } },
      ],
      [
        'the largest positiveInt',
        body(
          area('includeConsultations', {
            name: 'includeNumberOfMostRecent',
            valuePositiveInt: 2_147_483_647,
          }),
        ),
        { nhsNumber: PATIENT, consultations: { mostRecent: 2_147_483_647 } },
      ],
      [
        'inactive problems',
        body(area('includeProblems', { name: 'filterStatus', valueCode: 'inactive' })),
        { nhsNumber: PATIENT, problems: { status: 'inactive' } },
      ],
      [
        'medication from today',
        body(area('includeMedication', { name: 'medicationSearchFromDate', valueDate: '2026-03-10' })),
        { nhsNumber: PATIENT, medication: { fromDate: '2026-03-10' } },
      ],
      [
        'diary entries up to today',
        body(area('includeDiaryEntries', { name: 'diaryEntriesSearchDate', valueDate: '2026-03-10' })),
        { nhsNumber: PATIENT, diaryEntries: { searchDate: '2026-03-10' } },
      ],
      [
        'a period of one day',
        body(
          area('includeInvestigations', {
            name: 'investigationSearchPeriod',
            valuePeriod: { start: '2025-05-01', end: '2025-05-01' },
          }),
        ),
        { nhsNumber: PATIENT, investigations: { period: { start: '2025-05-01', end: '2025-05-01' } } },
      ],
      [
        'a year of medication with problems (a predefined search without consultations)',
        body(
          area('includeProblems'),
          area('includeMedication', { name: 'medicationSearchFromDate', valueDate: '2025-03-10' }),
        ),
        { nhsNumber: PATIENT, problems: {}, medication: { fromDate: '2025-03-10' } },
      ],
    ])('%s', (_name, input, expected) => {
      expect(parseStructuredRecordRequest(input, NOW)).toEqual(expected)
    })
  })
})
