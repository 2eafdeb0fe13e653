import { Bundle } from '../fhir/Bundle'
import { Pointer, PointerRegistration } from '../fhir/DocumentReference'
import { OperationOutcome } from '../fhir/OperationOutcome'
import readPointerExample from './examples/readPointer.json' with { type: 'json' }
import registerPointerExample from './examples/registerPointer.json' with { type: 'json' }
import registerPointerRequest from './examples/registerPointer.request.json' with { type: 'json' }
import searchPointersExample from './examples/searchPointers.json' with { type: 'json' }
import type { OperationDocs, ParameterDoc } from './types'

const NHS = 'https://fhir.nhs.uk/Id/nhs-number'
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code'

const subjectIdentifier: ParameterDoc = {
  description: `The patient: \`${NHS}|<NHS number>\` (NRL's form)`,
  required: true,
  schema: { type: 'string', pattern: '^https://fhir\\.nhs\\.uk/Id/nhs-number\\|\\d{10}$' },
  example: `${NHS}|9000000009`,
}
const subject: ParameterDoc = {
  description:
    'The patient as a FHIR reference, `Patient/<NHS number>`: the alternative to `subject:identifier` (send one)',
  schema: { type: 'string', pattern: '^(.*/)?Patient/\\d{10}$' },
  example: 'Patient/9000000009',
  exampleQuery: 'subject=Patient/9000000009',
}
const custodianIdentifier: ParameterDoc = {
  description: `One holder: \`${ODS}|<ODS code>\``,
  schema: { type: 'string', pattern: '^https://fhir\\.nhs\\.uk/Id/ods-organization-code\\|[A-Z0-9]{3,6}$' },
  example: `${ODS}|Y90001`,
}
const custodian: ParameterDoc = {
  description:
    'One holder as a FHIR reference, `Organization/<ODS code>`: the alternative to `custodian:identifier`',
  schema: { type: 'string', pattern: '^(.*/)?Organization/[A-Z0-9]{3,6}$' },
  example: 'Organization/Y90001',
}
const type: ParameterDoc = {
  description:
    'One record type, `<system>|<code>` (SNOMED CT or the ICS record types); with a system, only that system matches',
  schema: { type: 'string', maxLength: 200 },
  example: 'http://snomed.info/sct|824321000000109',
}
const count: ParameterDoc = {
  description: 'Entries a page, 1 to 100 (20 when absent)',
  schema: { type: 'integer', minimum: 1, maximum: 100 },
  example: '20',
}
const cursor: ParameterDoc = {
  description: 'Opaque paging cursor: follow the `next` link rather than building it',
  schema: { type: 'string', maxLength: 512 },
  example: 'eyJwayI6IlBBVElFTlQjOTAwMDAwMDAwOSJ9',
}
const pointerId: ParameterDoc = {
  description: 'Pointer id, `<ODS code>-<16 hex digits>` (the `Location` of a registration)',
  required: true,
  schema: { type: 'string', pattern: '^[A-Z0-9]{3,6}-[0-9a-f]{16}$' },
  example: 'Y90001-c7147830f5fa589a',
}
const removalReason = (values: readonly string[], fallback: string): ParameterDoc => ({
  description: `Why the pointers go (\`${fallback}\` when absent)`,
  schema: { type: 'string', enum: values },
  example: fallback,
})
const withdrawn = {
  status: 202,
  description: 'Accepted: the pointers will be withdrawn (the index consumer applies the event)',
  schema: OperationOutcome,
  example: {
    resourceType: 'OperationOutcome',
    issue: [
      { severity: 'information', code: 'informational', diagnostics: 'The pointers will be withdrawn' },
    ],
  },
} as const

/** The patient index: NRL-style pointers. */
export const patientIndexApi: OperationDocs<
  'searchPointers' | 'readPointer' | 'registerPointer' | 'withdrawPointers' | 'deletePointer'
> = {
  searchPointers: {
    description:
      'NRL-style consumer search: one current pointer per (organisation, record type) holding a record about the patient; `custodian` is the ODS code. `total` is given on the last page.',
    parameters: {
      'subject:identifier': subjectIdentifier,
      subject,
      'custodian:identifier': custodianIdentifier,
      custodian,
      type,
      _count: count,
      _cursor: cursor,
    },
    response: {
      status: 200,
      description: 'A searchset Bundle of DocumentReference pointers',
      schema: Bundle,
      example: searchPointersExample,
    },
    errors: [
      {
        code: 'INVALID_PARAMETER',
        when: 'An unknown, repeated or malformed parameter, or a cursor from another search',
      },
      { code: 'INVALID_NHS_NUMBER', when: 'The subject is not a valid NHS number' },
    ],
  },
  readPointer: {
    parameters: { id: pointerId },
    response: { status: 200, description: 'The pointer', schema: Pointer, example: readPointerExample },
    errors: [
      { code: 'INVALID_RESOURCE_ID', when: 'The id is not a pointer id' },
      {
        code: 'NO_RECORD_FOUND',
        when: 'No current pointer has this id (or it is not indexed yet: retry shortly)',
      },
    ],
  },
  registerPointer: {
    description:
      'An organisation announces it holds a record about a patient, for its own ODS code only. Answers 202: the index consumer applies the registration within moments, after which the pointer is read at `Location`.',
    request: {
      description:
        'The pointer: status, type, subject (NHS number), custodian (your ODS code), optionally where the record is served',
      schema: PointerRegistration,
      example: registerPointerRequest,
    },
    response: {
      status: 202,
      description: 'Accepted: the pointer as the index will hold it',
      schema: Pointer,
      example: registerPointerExample,
      headers: ['Location', 'Content-Location'],
    },
    errors: [
      {
        code: 'INVALID_RESOURCE',
        status: 400,
        when: 'The DocumentReference is missing fields or has invalid ones',
      },
      { code: 'INVALID_NHS_NUMBER', when: 'subject.identifier is not a valid NHS number' },
      { code: 'INVALID_CODE_SYSTEM', when: 'type.coding is not an ICS record type' },
      { code: 'AUTHOR_CREDENTIALS_ERROR', when: 'The custodian is not your organisation' },
      { code: 'DUPLICATE_REJECTED', when: 'You already hold a current pointer of this type for the patient' },
    ],
  },
  withdrawPointers: {
    description:
      "FHIR conditional delete by the custodian: with `subject`, one patient's pointers (of one `type`, or all); without, everything the organisation holds (it closes or leaves the ICS).",
    parameters: {
      'custodian:identifier': {
        ...custodianIdentifier,
        description: `Your organisation: \`${ODS}|<ODS code>\``,
        required: true,
      },
      custodian,
      'subject:identifier': { ...subjectIdentifier, required: false },
      subject,
      type,
      reason: removalReason(
        [
          'record-deleted',
          'patient-objection',
          'patient-moved',
          'entered-in-error',
          'organisation-closed',
          'left-ics',
          'sharing-suspended',
        ],
        'record-deleted',
      ),
    },
    response: withdrawn,
    errors: [
      {
        code: 'INVALID_PARAMETER',
        when: 'An unknown or repeated parameter, no custodian, or a reason that does not fit',
      },
      { code: 'INVALID_NHS_NUMBER', when: 'The subject is not a valid NHS number' },
      { code: 'INVALID_CODE_SYSTEM', when: 'type is not an ICS record type' },
      { code: 'AUTHOR_CREDENTIALS_ERROR', when: 'The custodian is not your organisation' },
      { code: 'NO_RECORD_FOUND', when: 'You hold no current pointer for this patient' },
    ],
  },
  deletePointer: {
    parameters: {
      id: pointerId,
      reason: removalReason(
        ['record-deleted', 'patient-objection', 'patient-moved', 'entered-in-error'],
        'record-deleted',
      ),
    },
    response: { ...withdrawn, description: 'Accepted: the pointer will be withdrawn' },
    errors: [
      { code: 'INVALID_RESOURCE_ID', when: 'The id is not a pointer id' },
      { code: 'INVALID_PARAMETER', when: 'An unknown parameter or reason' },
      { code: 'AUTHOR_CREDENTIALS_ERROR', when: "The pointer is another organisation's" },
      { code: 'NO_RECORD_FOUND', when: 'No current pointer has this id' },
    ],
  },
}
