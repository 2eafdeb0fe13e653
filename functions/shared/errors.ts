import { operationOutcome, type SpineCodeName, spineCodes } from '../../schemas/fhir/OperationOutcome'

/**
 * An error the caller should see as a FHIR OperationOutcome. Domain code throws these;
 * the HTTP middleware turns them into responses. The diagnostics are shown to the caller,
 * so they never contain patient data beyond what the caller sent.
 */
export class FhirError extends Error {
  readonly status: number
  readonly code: SpineCodeName
  readonly diagnostics: string | undefined
  readonly headers: Record<string, string>
  /** The NHS number of the patient a refused request was about, when the refusing code knows it (audited). */
  readonly patient: string | undefined

  constructor(
    code: SpineCodeName,
    diagnostics?: string,
    options: { status?: number; headers?: Record<string, string>; patient?: string } = {},
  ) {
    super(diagnostics ? `${code}: ${diagnostics}` : code)
    this.name = 'FhirError'
    this.code = code
    this.status = options.status ?? spineCodes[code].status
    this.diagnostics = diagnostics
    this.headers = options.headers ?? {}
    this.patient = options.patient
  }

  /** The response body. */
  toOperationOutcome() {
    return operationOutcome(this.code, this.diagnostics)
  }
}
