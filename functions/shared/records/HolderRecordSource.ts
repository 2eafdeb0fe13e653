import type { Caller } from '../../../schemas/auth'
import type { DirectoryEntry } from '../../../schemas/ics-config'
import type { FhirResource } from '../gpconnect/stu3ToR4'
import type { StructuredRecordQuery } from './query'

/** One holder asked for its part of a patient's structured record. */
export interface HolderRequest {
  holder: DirectoryEntry
  query: StructuredRecordQuery
  caller: Caller
  /** The caller's organisation name, as the ICS lists it (GP Connect: requesting_organization). */
  callerOrganisationName: string
  /** This API's public base URL (GP Connect: the consumer's `iss`). */
  consumerBaseUrl: string
  requestId: string
  correlationId: string
  /** Aborted when the holder's time is up (reason: a TimeoutError) or the retrieval ends. */
  signal: AbortSignal
}

/** How a holder's part of a retrieval ended when it gave no record. */
export type HolderFailure =
  /** No answer in time. */
  | 'timeout'
  /** No connection, or the answer broke off. */
  | 'unreachable'
  /** It answered with a server error. */
  | 'error'
  /** It refused the request (no consent, access denied, a parameter it would not take). */
  | 'refused'
  /** It does not hold a record of the patient (any more). */
  | 'not-found'
  /** It answered something that is not a structured record of this patient in valid FHIR. */
  | 'invalid'
  /** The directory lists no way to ask it for a structured record. */
  | 'not-reachable'

/** What the holder's protocol said, for the retrieval's one log line (an HTTP status and a trace id). */
export interface HolderExchange {
  status: number
  /** GP Connect's Ssp-TraceID: what the provider's support desk asks for. */
  traceId: string
}

/** What one holder gave back. */
export type HolderAnswer =
  /**
   * R4 resources exactly as the holder holds them (its own ids and references), with
   * GP Connect's section Lists. `notes` say what was left out, for the warnings.
   */
  (
    | { kind: 'answered'; resources: FhirResource[]; notes: string[] }
    /** `detail` is shown to the caller: it never carries what the holder said about the patient. */
    | { kind: 'failed'; failure: HolderFailure; detail: string }
  ) & { exchange?: HolderExchange }

/** One way of asking holders for structured records (a protocol of the directory). */
export interface HolderRecordSource {
  /** Never rejects: every way it can go wrong is a HolderAnswer of kind `failed`. */
  structuredRecord(request: HolderRequest): Promise<HolderAnswer>
}

/** True when the signal was aborted because time ran out. */
export function timedOut(signal: AbortSignal): boolean {
  const reason = signal.reason as { name?: string } | undefined
  return signal.aborted && reason?.name === 'TimeoutError'
}
