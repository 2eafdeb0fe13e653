import * as z from 'zod/mini'
import { OdsCode } from './fhir/identifiers'

/** Token scopes (DESIGN.md "Tokens and access"). */
export const Scope = z.enum([
  'patient.read',
  'record.read',
  'appointment.read',
  'appointment.write',
  'slot.write',
  'pointer.write',
  'message.write',
  'subscription.write',
  'audit.read',
])
export type Scope = z.infer<typeof Scope>

/** JWT algorithms the stack accepts: asymmetric only, so `none` and HMAC tokens are refused. */
export const ACCEPTED_JWT_ALGORITHMS = ['RS256', 'ES256'] as const

/** Largest clock skew tolerated on `exp`, `nbf` and `iat` (DESIGN.md: at most 60 s). */
export const CLOCK_TOLERANCE_SECONDS = 60

/** Longest token lifetime (`exp - iat`) an ICS accepts unless its config says otherwise: one hour. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 3600

/**
 * JOSE `typ` header values accepted when the issuer sets one, compared case-insensitively
 * without an `application/` prefix (RFC 7515 4.1.9, RFC 8725 3.11, RFC 9068 2.1).
 */
export const ACCEPTED_TOKEN_TYPES = ['jwt', 'at+jwt'] as const

/** Claims every organisation access token carries, checked after the signature. */
export const TokenClaims = z.looseObject({
  sub: z.string().check(z.minLength(1), z.maxLength(256)),
  requesting_organization: OdsCode,
  ics: z.string().check(z.minLength(1), z.maxLength(64)),
  scope: z.string().check(z.maxLength(2048)),
  /** GP Connect's purpose of use; recorded in the audit trail, "directcare" when absent. */
  reason_for_request: z.optional(z.string().check(z.maxLength(64))),
})
export type TokenClaims = z.infer<typeof TokenClaims>

/** The scopes a patient's own token may carry: reading who looked at their record, nothing else. */
export const PATIENT_SCOPES: readonly Scope[] = ['audit.read']

/** NHS login's identity proofing level for full access to one's own health record (P9, "high"). */
export const PATIENT_PROOFING_LEVEL = 'P9'

/**
 * Claims of a patient's own token, NHS-login style: `sub` is the patient's NHS number, the
 * identity proofing level says how well NHS login verified them, and there is no
 * `requesting_organization` (that is how the two kinds of token are told apart: a token
 * with `requesting_organization` is an organisation's, checked as TokenClaims).
 */
export const PatientTokenClaims = z.looseObject({
  sub: z.string().check(z.regex(/^\d{10}$/)),
  ics: z.string().check(z.minLength(1), z.maxLength(64)),
  scope: z.string().check(z.maxLength(2048)),
  identity_proofing_level: z.string().check(z.minLength(1), z.maxLength(16)),
})
export type PatientTokenClaims = z.infer<typeof PatientTokenClaims>

/** The authenticated caller, as the domain sees it: a member organisation's staff or app. */
export interface Caller {
  /** Absent on callers made before patient tokens existed: an organisation. */
  kind?: 'organisation'
  sub: string
  organisation: string
  ics: string
  scopes: ReadonlySet<string>
  purposeOfUse: string
}

/** A patient calling with their own token; only routes that declare `patientAccess` accept one. */
export interface PatientCaller {
  kind: 'patient'
  /** The patient's NHS number (the token's `sub`). */
  sub: string
  nhsNumber: string
  ics: string
  scopes: ReadonlySet<string>
  /** GP Connect's reason for a patient's own request. */
  purposeOfUse: 'patientrequest'
}
