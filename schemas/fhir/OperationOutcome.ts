import * as z from 'zod/mini'

/** The R4 coding system PDS and NRL use for Spine error and warning codes (DESIGN.md). */
export const SPINE_ERROR_SYSTEM = 'https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode'

export const OperationOutcomeIssue = /* @__PURE__ */ z.looseObject({
  severity: /* @__PURE__ */ z.enum(['fatal', 'error', 'warning', 'information']),
  code: /* @__PURE__ */ z.string(),
  details: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.looseObject({
      coding: /* @__PURE__ */ z.array(
        /* @__PURE__ */ z.looseObject({
          system: /* @__PURE__ */ z.string(),
          version: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
          code: /* @__PURE__ */ z.string(),
          display: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
        }),
      ),
    }),
  ),
  diagnostics: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.string()),
  expression: /* @__PURE__ */ z.optional(/* @__PURE__ */ z.array(/* @__PURE__ */ z.string())),
})

/** FHIR R4 OperationOutcome, as every error response of this API carries. */
export const OperationOutcome = /* @__PURE__ */ z.looseObject({
  resourceType: /* @__PURE__ */ z.literal('OperationOutcome'),
  issue: /* @__PURE__ */ z.array(OperationOutcomeIssue).check(/* @__PURE__ */ z.minLength(1)),
})
export type OperationOutcome = z.infer<typeof OperationOutcome>

interface SpineCode {
  /** The HTTP status the national service answers with. */
  status: number
  /** FHIR issue type (http://hl7.org/fhir/issue-type). */
  issueType: string
  display: string
  severity?: 'error' | 'information' | 'warning'
}

/**
 * Every error and warning code this API answers with, with the status and issue type of
 * the national service it comes from (PDS FHIR R4, NRL, GP Connect). One home for codes:
 * handlers name a code and may override the status where a capability's anchor differs
 * (INVALID_PARAMETER is 400 in NRL and 422 in GP Connect).
 */
export const spineCodes = {
  // PDS FHIR R4
  UNSUPPORTED_SERVICE: { status: 400, issueType: 'processing', display: 'Unsupported Service' },
  ADDITIONAL_PROPERTIES: {
    status: 400,
    issueType: 'structure',
    display: 'Additional properties are not allowed',
  },
  INVALID_RESOURCE_ID: { status: 400, issueType: 'value', display: 'Resource Id is invalid' },
  INVALID_SEARCH_DATA: { status: 400, issueType: 'value', display: 'Search data is invalid' },
  MISSING_VALUE: { status: 400, issueType: 'required', display: 'Required value is missing' },
  INVALID_VALUE: { status: 400, issueType: 'value', display: 'Provided value is invalid' },
  RESOURCE_NOT_FOUND: {
    status: 404,
    issueType: 'not-found',
    display: 'Resource not found',
    severity: 'information',
  },
  TOO_MANY_MATCHES: {
    status: 200,
    issueType: 'multiple-matches',
    display: 'Too Many Matches',
    severity: 'information',
  },
  INVALIDATED_RESOURCE: {
    status: 404,
    issueType: 'processing',
    display: 'Resource that has been marked as invalid was requested - invalid resources cannot be retrieved',
  },
  RESOURCE_VERSION_MISMATCH: {
    status: 412,
    issueType: 'conflict',
    display: 'Resource version supplied does not match actual version',
  },
  PRECONDITION_FAILED: {
    status: 412,
    issueType: 'structure',
    display: 'Required condition was not fulfilled',
  },
  // NRL
  INVALID_NHS_NUMBER: { status: 400, issueType: 'value', display: 'Invalid NHS number' },
  INVALID_PARAMETER: { status: 400, issueType: 'invalid', display: 'Invalid parameter' },
  INVALID_CODE_SYSTEM: { status: 400, issueType: 'code-invalid', display: 'Invalid code system' },
  DUPLICATE_REJECTED: { status: 409, issueType: 'duplicate', display: 'Duplicate rejected' },
  AUTHOR_CREDENTIALS_ERROR: {
    status: 403,
    issueType: 'forbidden',
    display: 'Author credentials error: an organisation may only act for its own ODS code',
  },
  MESSAGE_NOT_WELL_FORMED: { status: 400, issueType: 'invalid', display: 'Message not well formed' },
  // GP Connect (STU3 names kept, R4 system)
  BAD_REQUEST: { status: 400, issueType: 'invalid', display: 'Bad request' },
  INVALID_RESOURCE: { status: 422, issueType: 'invalid', display: 'Invalid resource' },
  NO_PATIENT_CONSENT: { status: 403, issueType: 'forbidden', display: 'Patient has not provided consent' },
  'ACCESS DENIED': { status: 403, issueType: 'forbidden', display: 'Access denied' },
  PATIENT_NOT_FOUND: { status: 404, issueType: 'not-found', display: 'Patient not found' },
  NO_RECORD_FOUND: { status: 404, issueType: 'not-found', display: 'No record found' },
  /** GP Connect error handling guidance: a posted resource names one the server does not have (e.g. a Slot). */
  REFERENCE_NOT_FOUND: { status: 422, issueType: 'invalid', display: 'Reference not found' },
  /** GP Connect (provider assurance tests): an update whose If-Match is not the current version. */
  FHIR_CONSTRAINT_VIOLATION: { status: 409, issueType: 'conflict', display: 'FHIR constraint violated' },
  // Everywhere. PDS answers 401 and 403 both with ACCESS_DENIED; the status tells them apart.
  ACCESS_DENIED: { status: 403, issueType: 'forbidden', display: 'Access denied' },
  NOT_FOUND: { status: 404, issueType: 'not-supported', display: 'Resource or operation not found' },
  METHOD_NOT_ALLOWED: { status: 405, issueType: 'not-supported', display: 'Method not allowed' },
  NOT_ACCEPTABLE: {
    status: 406,
    issueType: 'not-supported',
    display: 'Not acceptable: this server answers application/fhir+json only',
  },
  CONFLICT: { status: 409, issueType: 'conflict', display: 'Conflict' },
  PAYLOAD_TOO_LARGE: { status: 413, issueType: 'too-long', display: 'Request body too large' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    issueType: 'not-supported',
    display: 'Unsupported media type: send application/fhir+json',
  },
  TOO_MANY_REQUESTS: { status: 429, issueType: 'throttled', display: 'Too many requests' },
  INTERNAL_SERVER_ERROR: { status: 500, issueType: 'exception', display: 'Unexpected internal server error' },
  SERVICE_UNAVAILABLE: { status: 503, issueType: 'transient', display: 'Service unavailable' },
} as const satisfies Record<string, SpineCode>

/** A Spine error or warning code this API can answer with. */
export type SpineCodeName = keyof typeof spineCodes

/** Builds the OperationOutcome for a code, shaped as the PDS sandbox examples. */
export function operationOutcome(code: SpineCodeName, diagnostics?: string): OperationOutcome {
  const spec: SpineCode = spineCodes[code]
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: spec.severity ?? 'error',
        code: spec.issueType,
        details: { coding: [{ system: SPINE_ERROR_SYSTEM, version: '1', code, display: spec.display }] },
        ...(diagnostics ? { diagnostics } : {}),
      },
    ],
  }
}
