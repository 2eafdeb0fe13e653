import * as z from 'zod/mini'
import { isOdsCode, OdsCode } from './fhir/identifiers'

/** Token scopes (DESIGN.md "Tokens and access"). */
export const Scope = /* @__PURE__ */ z.enum([
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
export const TokenClaims = /* @__PURE__ */ z.looseObject({
  sub: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(256)),
  requesting_organization: OdsCode,
  ics: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(64)),
  scope: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.maxLength(2048)),
  /** GP Connect's purpose of use; recorded in the audit trail, "directcare" when absent. */
  reason_for_request: /* @__PURE__ */ z.optional(
    /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.maxLength(64)),
  ),
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
export const PatientTokenClaims = /* @__PURE__ */ z.looseObject({
  sub: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.regex(/^\d{10}$/)),
  ics: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(64)),
  scope: /* @__PURE__ */ z.string().check(/* @__PURE__ */ z.maxLength(2048)),
  identity_proofing_level: /* @__PURE__ */ z
    .string()
    .check(/* @__PURE__ */ z.minLength(1), /* @__PURE__ */ z.maxLength(16)),
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

/** How one claim is checked: a string (optional or not) within length bounds, maybe a pattern. */
interface ClaimRule {
  optional?: boolean
  min?: number
  max?: number
  /** A further test of the value (an ODS code, an NHS-number shape). */
  test?: (value: string) => boolean
}

/**
 * TokenClaims and PatientTokenClaims as plain rules: the token check runs on every request
 * of every HTTP function, and checking five strings this way keeps zod out of the bundles
 * that validate nothing else. A property test (test/unit/token-claims.test.ts) holds these
 * rules to the zod schemas above, which stay the documented contract.
 */
export const TOKEN_CLAIM_RULES: Readonly<Record<keyof TokenClaims & string, ClaimRule>> = {
  sub: { min: 1, max: 256 },
  requesting_organization: { test: isOdsCode },
  ics: { min: 1, max: 64 },
  scope: { max: 2048 },
  reason_for_request: { optional: true, max: 64 },
}

/** PatientTokenClaims as plain rules (see TOKEN_CLAIM_RULES). */
export const PATIENT_TOKEN_CLAIM_RULES: Readonly<Record<keyof PatientTokenClaims & string, ClaimRule>> = {
  sub: { test: (value) => /^\d{10}$/.test(value) },
  ics: { min: 1, max: 64 },
  scope: { max: 2048 },
  identity_proofing_level: { min: 1, max: 16 },
}

/** The claims that break their rules, in the rules' order (empty when the token's claims are valid). */
export function invalidClaims(
  payload: Record<string, unknown>,
  rules: Readonly<Record<string, ClaimRule>>,
): string[] {
  const invalid: string[] = []
  for (const [claim, rule] of Object.entries(rules)) {
    const value = payload[claim]
    if (value === undefined && rule.optional) continue
    const valid =
      typeof value === 'string' &&
      value.length >= (rule.min ?? 0) &&
      value.length <= (rule.max ?? Number.POSITIVE_INFINITY) &&
      (rule.test?.(value) ?? true)
    if (!valid) invalid.push(claim)
  }
  return invalid
}
