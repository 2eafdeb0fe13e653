import { Bundle } from '../fhir/Bundle'
import searchAuditEventsExample from './examples/searchAuditEvents.json' with { type: 'json' }
import type { OperationDocs } from './types'

/** The audit trail as FHIR AuditEvents. */
export const auditApi: OperationDocs<'searchAuditEvents'> = {
  searchAuditEvents: {
    description:
      'Who read or wrote what about a patient, from which organisation, when and why, newest first. Each AuditEvent carries its link in the hash chain. Reading the trail is itself audited.',
    parameters: {
      patient: {
        description: 'The patient: `Patient/<NHS number>` (a reference), or the NHS number',
        required: true,
        schema: { type: 'string', pattern: '^((.*/)?Patient/)?\\d{10}$' },
        example: 'Patient/9000000009',
      },
      _count: {
        description: 'Entries a page, 1 to 100 (20 when absent)',
        schema: { type: 'integer', minimum: 1, maximum: 100 },
        example: '20',
      },
      _cursor: {
        description: 'Opaque paging cursor: follow the `next` link',
        schema: { type: 'string', pattern: '^[1-9]\\d{0,15}$' },
        example: '21',
      },
    },
    response: {
      status: 200,
      description:
        'A searchset Bundle of AuditEvents, newest first; `total` counts every record of the patient',
      schema: Bundle,
      example: searchAuditEventsExample,
    },
    errors: [
      { code: 'MISSING_VALUE', when: 'No patient' },
      { code: 'INVALID_NHS_NUMBER', when: 'The patient is not a valid NHS number' },
      { code: 'INVALID_PARAMETER', when: 'An unknown or repeated parameter, a bad _count or cursor' },
    ],
  },
}
