import type { Caller } from '../../schemas/auth'

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

/** One appended audit record, before the chain fields are added. */
export interface AuditEntry extends AuditFacts {
  recordedAt: string
  requestId: string
  correlationId: string
  operation: string
  caller: Pick<Caller, 'sub' | 'organisation' | 'purposeOfUse'> & { scopes: string[] }
  /** HTTP status of the response: the outcome the caller saw. */
  status: number
}

/** The append-only, per-patient hash-chained audit trail. */
export interface AuditTrail {
  append(entries: AuditEntry[]): Promise<void>
}

/** Per-organisation request budget. */
export interface RateLimiter {
  consume(organisation: string, now: Date): Promise<{ allowed: boolean; retryAfterSeconds: number }>
}
