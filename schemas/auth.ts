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

/** Claims every access token carries, checked after the signature. */
export const TokenClaims = z.looseObject({
  sub: z.string().check(z.minLength(1), z.maxLength(256)),
  requesting_organization: OdsCode,
  ics: z.string().check(z.minLength(1), z.maxLength(64)),
  scope: z.string().check(z.maxLength(2048)),
  /** GP Connect's purpose of use; recorded in the audit trail, "directcare" when absent. */
  reason_for_request: z.optional(z.string().check(z.maxLength(64))),
})
export type TokenClaims = z.infer<typeof TokenClaims>

/** The authenticated caller, as the domain sees it. */
export interface Caller {
  sub: string
  organisation: string
  ics: string
  scopes: ReadonlySet<string>
  purposeOfUse: string
}
