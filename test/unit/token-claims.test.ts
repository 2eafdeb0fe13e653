import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  invalidClaims,
  PATIENT_TOKEN_CLAIM_RULES,
  PatientTokenClaims,
  TOKEN_CLAIM_RULES,
  TokenClaims,
} from '../../schemas/auth'

// Claim values near every rule's edges: empty, at and past each length bound, ODS-like and
// NHS-number-like strings, and values of the wrong type.
const claimValue = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('', 'Y90001', 'y90001', 'RX9', 'AB', 'ABCDEFG', '9000000009', '900000000', 'P9', 'x'),
  fc.string({ maxLength: 3 }),
  fc.nat({ max: 3000 }).map((length) => 'a'.repeat(length)),
  fc.constantFrom(256, 257, 64, 65, 16, 17, 2048, 2049).map((length) => 'b'.repeat(length)),
  fc.integer(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
)
const payloadOf = (claims: readonly string[]) =>
  fc.record(Object.fromEntries(claims.map((claim) => [claim, claimValue])), { requiredKeys: [] })

describe('invalidClaims', () => {
  it('agrees with TokenClaims on which claims are invalid', () => {
    // Prepare
    const payloads = payloadOf([...Object.keys(TOKEN_CLAIM_RULES), 'exp'])
    fc.assert(
      fc.property(payloads, (payload) => {
        // Act
        const parsed = TokenClaims.safeParse(payload)
        const invalid = invalidClaims(payload, TOKEN_CLAIM_RULES)
        // Assess
        const zodFields = parsed.success
          ? []
          : [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))]
        expect(invalid).toEqual(zodFields)
      }),
      { numRuns: 2000 },
    )
  })

  it('agrees with PatientTokenClaims on which claims are invalid', () => {
    // Prepare
    const payloads = payloadOf(Object.keys(PATIENT_TOKEN_CLAIM_RULES))
    fc.assert(
      fc.property(payloads, (payload) => {
        // Act
        const parsed = PatientTokenClaims.safeParse(payload)
        const invalid = invalidClaims(payload, PATIENT_TOKEN_CLAIM_RULES)
        // Assess
        const zodFields = parsed.success
          ? []
          : [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))]
        expect(invalid).toEqual(zodFields)
      }),
      { numRuns: 2000 },
    )
  })

  it('names every rule of the zod schemas, so a claim added to one is not missed by the other', () => {
    // Assess
    expect(Object.keys(TOKEN_CLAIM_RULES).sort()).toEqual(Object.keys(TokenClaims.def.shape).sort())
    expect(Object.keys(PATIENT_TOKEN_CLAIM_RULES).sort()).toEqual(
      Object.keys(PatientTokenClaims.def.shape).sort(),
    )
  })
})
