import { StructuredRecordBundle, StructuredRecordParameters } from '../fhir/StructuredRecord'
import getStructuredRecordExample from './examples/getStructuredRecord.json' with { type: 'json' }
import getStructuredRecordRequest from './examples/getStructuredRecord.request.json' with { type: 'json' }
import type { OperationDocs } from './types'

/** Record retrieval: GP Connect Access Record Structured, federated across the ICS. */
export const recordsApi: OperationDocs<'getStructuredRecord'> = {
  getStructuredRecord: {
    description:
      "GP Connect 1.6 Access Record Structured, federated: every organisation the patient index lists for the patient is asked at once (GP Connect providers over GP Connect, others from the ICS's own store), each for at most the ICS's holder timeout (2 s by default), and their answers are merged into one FHIR R4 `collection` Bundle in GP Connect's structured-record shape: the Patient (from PDS), one Organization per holder, the practitioners, one List per section, and the clinical resources, each with `meta.source` naming its holder. A statement several holders hold (same code, dates and asserting organisation) is shown once, and its List says so. A holder that times out, fails, refuses or answers something that is not a valid structured record adds an OperationOutcome warning naming its ODS code; the call still answers, within the timeout plus 500 ms.",
    request: {
      description:
        "GP Connect's Parameters: `patientNHSNumber` and the clinical areas wanted (`includeAllergies` with `includeResolvedAllergies`, `includeMedication`, `includeConsultations`, `includeProblems`, `includeImmunisations`, `includeUncategorisedData`, `includeInvestigations`, `includeReferrals`, `includeDiaryEntries`) with their part parameters",
      schema: StructuredRecordParameters,
      example: getStructuredRecordRequest,
    },
    response: {
      status: 200,
      description:
        'A collection Bundle: the structured record merged from every holder, with a warning OperationOutcome per holder that gave nothing',
      schema: StructuredRecordBundle,
      example: getStructuredRecordExample,
    },
    errors: [
      { code: 'INVALID_RESOURCE', when: 'The body is not a FHIR Parameters resource' },
      { code: 'INVALID_NHS_NUMBER', when: 'patientNHSNumber fails the format or modulus 11 check' },
      {
        code: 'INVALID_PARAMETER',
        status: 422,
        when: 'No patientNHSNumber; an unknown or repeated parameter; a missing mandatory part (includeResolvedAllergies); a part without a value or of the wrong type; a partial date, or one with a time; a date after today (before today for diary entries); a period that ends before it starts; both consultation options; a combination GP Connect does not permit',
      },
      { code: 'NO_PATIENT_CONSENT', when: 'The patient has dissented from sharing their record' },
      {
        code: 'PATIENT_NOT_FOUND',
        when: 'PDS does not know the NHS number, or the patient is restricted (S-flag), deceased, or superseded by a record that cannot be found',
      },
      { code: 'NO_RECORD_FOUND', when: 'No organisation in the ICS holds a record of the patient' },
    ],
  },
}
