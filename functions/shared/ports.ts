/** What a route touched of one patient's data; the middleware turns it into an audit record. */
export interface AuditFacts {
  /** NHS number of the patient whose data was read or written. */
  patient: string
  /** FHIR AuditEvent action: C create, R read, U update, D delete, E execute (search, operation). */
  action: 'C' | 'R' | 'U' | 'D' | 'E'
  /** References to what was touched: `Patient/…`, `DocumentReference/…`, holder ODS codes. */
  entities: string[]
  /** A short outcome per entity, where it had one (record retrieval: `answered`, `timeout`… per holder). */
  entityOutcomes?: Record<string, string>
}

/**
 * A bulk change an organisation made that names no one patient (it withdrew everything it
 * holds): audited in the organisation's own chain, keyed by its ODS code.
 */
export interface OrganisationAuditFacts {
  /** ODS code of the organisation whose chain records the change. */
  organisation: string
  action: AuditFacts['action']
  entities: string[]
}

/**
 * Who made an audited request. Organisation staff carry all fields; a patient's own request
 * has the NHS number as `sub` and no organisation; a refused request without a verified
 * token has neither, and records where it came from and what its token claimed, unverified.
 */
export interface AuditCaller {
  /** Absent on records made before patient tokens: organisation staff. */
  kind?: 'organisation' | 'patient' | 'unauthenticated'
  sub: string
  /** ODS code; '' for a patient or an unauthenticated caller. */
  organisation: string
  purposeOfUse: string
  scopes: string[]
  /** Unauthenticated callers only: the source address API Gateway saw. */
  sourceIp?: string
  /** Unauthenticated callers only: what the refused token said, never verified. */
  claimed?: { organisation?: string; sub?: string }
}

/** What every audit record says about the request, besides what it touched. */
interface AuditedRequest {
  recordedAt: string
  requestId: string
  correlationId: string
  operation: string
  caller: AuditCaller
  /** HTTP status of the response: the outcome the caller saw. */
  status: number
  /** The Spine code of a refusal (ACCESS_DENIED, PATIENT_NOT_FOUND…), absent on success. */
  outcomeCode?: string
}

/** One appended audit record, before the chain fields are added. */
export interface AuditEntry extends AuditFacts, AuditedRequest {}

/** One appended record of an organisation's own chain (bulk changes). */
export interface OrganisationAuditEntry extends OrganisationAuditFacts, AuditedRequest {}

/** The append-only, per-patient hash-chained audit trail (and per-organisation for bulk changes). */
export interface AuditTrail {
  append(entries: AuditEntry[]): Promise<void>
  /** Appends to organisations' chains; required of any trail a route with bulk changes uses. */
  appendForOrganisation?(entries: OrganisationAuditEntry[]): Promise<void>
  /**
   * Hints that a patient's chain is about to be appended to, so its head can be read in
   * parallel with the data (never fails; the append stays correct without it).
   */
  prepare?(patient: string): void
}

/** Per-organisation request budget. */
export interface RateLimiter {
  consume(organisation: string, now: Date): Promise<{ allowed: boolean; retryAfterSeconds: number }>
}

/**
 * How many refused attempts on one patient are audited one by one in a window: `record`,
 * then one `summarise` record saying the rest are not, then `skip`. So refusals (401s cost
 * an attacker nothing) cannot grow a patient's chain without bound.
 */
export interface RefusalAuditBudget {
  admit(patient: string, now: Date): Promise<'record' | 'summarise' | 'skip'>
}
