import * as z from 'zod/mini'
import { Bundle } from '../fhir/Bundle'
import { OperationOutcome, operationOutcome } from '../fhir/OperationOutcome'
import { Patient } from '../fhir/Patient'
import readPatientExample from './examples/readPatient.json' with { type: 'json' }
import searchPatientsExample from './examples/searchPatients.json' with { type: 'json' }
import type { OperationDocs, ParameterDoc } from './types'

const date = (what: string, example: string): ParameterDoc => ({
  description: `${what}: \`[eq|ge|le]yyyy-mm-dd\`; twice (one \`ge\`, one \`le\`) for a range`,
  repeats: 2,
  schema: { type: 'string', pattern: '^(eq|ge|le)?\\d{4}-\\d{2}-\\d{2}$' },
  example,
})
const name = (what: string, example: string): ParameterDoc => ({
  description: `${what}; \`*\` is a wildcard after at least two characters (not in a fuzzy search)`,
  schema: { type: 'string', maxLength: 100 },
  example,
})
const flag = (description: string): ParameterDoc => ({
  description,
  schema: { type: 'string', enum: ['true', 'false'] },
  example: 'true',
})

/** PDS lookup (PDS FHIR R4). */
export const patientLookupApi: OperationDocs<'readPatient' | 'searchPatients'> = {
  readPatient: {
    description:
      'PDS FHIR R4 read: the patient with NHS number verification, `meta.security`, GP and nominated pharmacy. A superseded NHS number answers the record that replaced it (its `id` differs). A restricted (S-flag) patient has address, telecom and GP removed.',
    parameters: {
      nhsNumber: {
        description: 'NHS number: 10 digits passing the modulus 11 check',
        required: true,
        schema: { type: 'string', pattern: '^\\d{10}$' },
        example: '9000000009',
      },
    },
    response: {
      status: 200,
      description: 'The patient, PDS-shaped',
      schema: Patient,
      example: readPatientExample,
      headers: ['ETag'],
    },
    errors: [
      { code: 'INVALID_RESOURCE_ID', when: 'The NHS number fails the modulus 11 check' },
      { code: 'RESOURCE_NOT_FOUND', when: 'No patient has this NHS number' },
      { code: 'INVALIDATED_RESOURCE', when: 'The record was marked invalid' },
    ],
  },
  searchPatients: {
    description:
      'PDS FHIR R4 search. Non-fuzzy: family name and date of birth at least. Fuzzy (`_fuzzy-match=true`): given+family, family+gender+postcode or given+gender+postcode, all with date of birth. More than `_max-results` matches answer 200 with a TOO_MANY_MATCHES OperationOutcome.',
    parameters: {
      family: name('Family name (needed unless a fuzzy search names given, gender and postcode)', 'Smith'),
      given: { ...name('Given name; repeat for middle names', 'Jane'), repeats: 5 },
      gender: {
        description: 'Administrative gender',
        schema: { type: 'string', enum: ['male', 'female', 'other', 'unknown'] },
        example: 'female',
      },
      birthdate: { ...date('Date of birth', 'eq2010-10-22'), required: true },
      'death-date': {
        ...date('Date of death', 'ge2024-01-01'),
        exampleQuery: 'family=Taylor&birthdate=eq1931-05-14&death-date=ge2024-01-01',
      },
      'address-postalcode': name('Postcode of an address', 'LS1 6AE'),
      'address-postcode': name('Postcode (the alias PDS also accepts)', 'LS1 6AE'),
      'general-practitioner': {
        description: 'ODS code of the registered GP practice',
        schema: { type: 'string', pattern: '^[A-Z0-9]{3,6}$' },
        example: 'Y90001',
      },
      email: {
        description: 'Email address (exact)',
        schema: { type: 'string', maxLength: 100 },
        example: 'jane.smith@example.com',
      },
      phone: {
        description: 'Phone number (exact)',
        schema: { type: 'string', maxLength: 100 },
        example: '01632960587',
      },
      '_fuzzy-match': {
        ...flag('Fuzzy (phonetic) matching'),
        exampleQuery: 'family=Smith&given=Jane&birthdate=eq2010-10-22&_fuzzy-match=true',
      },
      '_exact-match': flag('Exact matching only, no wildcards'),
      _history: flag('Also match historic names and addresses'),
      '_max-results': {
        description: 'Most matches to return (1 to 50); more matches than this answer TOO_MANY_MATCHES',
        schema: { type: 'integer', minimum: 1, maximum: 50 },
        example: '10',
      },
    },
    exampleQuery: 'family=Smith&birthdate=eq2010-10-22',
    response: {
      status: 200,
      description: 'A searchset Bundle of Patients, best match first with `search.score`',
      schema: z.union([Bundle, OperationOutcome]),
      example: searchPatientsExample,
    },
    alternatives: [
      {
        summary: 'More patients match than _max-results allows',
        example: operationOutcome('TOO_MANY_MATCHES'),
      },
    ],
    errors: [
      { code: 'UNSUPPORTED_SERVICE', when: 'No search parameters at all' },
      { code: 'ADDITIONAL_PROPERTIES', when: 'A parameter this search does not know' },
      { code: 'MISSING_VALUE', when: 'No birthdate' },
      { code: 'INVALID_VALUE', when: 'A parameter value in the wrong format' },
      {
        code: 'INVALID_SEARCH_DATA',
        when: 'The minimum criteria are not met, a wildcard is misplaced or a range is malformed',
      },
    ],
  },
}
