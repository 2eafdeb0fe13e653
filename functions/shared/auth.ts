import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose'
import {
  ACCEPTED_JWT_ALGORITHMS,
  ACCEPTED_TOKEN_TYPES,
  type Caller,
  CLOCK_TOLERANCE_SECONDS,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  invalidClaims,
  PATIENT_PROOFING_LEVEL,
  PATIENT_SCOPES,
  PATIENT_TOKEN_CLAIM_RULES,
  type PatientCaller,
  type PatientTokenClaims,
  type Scope,
  TOKEN_CLAIM_RULES,
  type TokenClaims,
} from '../../schemas/auth'
import { isValidNhsNumber } from '../../schemas/fhir/identifiers'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { FhirError } from './errors'

const keySets = new Map<string, JWTVerifyGetKey>()

/** Most verified tokens remembered per key set (oldest forgotten first). */
const MAX_VERIFIED_TOKENS = 1_000
/** Longest a verified signature is trusted without checking it again: as long as a fetched JWKS is (10 min). */
const MAX_VERIFIED_AGE_MS = 600_000

/** A token whose signature and claims were verified, and until when that holds. */
interface VerifiedToken {
  payload: Record<string, unknown>
  /** Never later than the token's `exp`. */
  until: number
}

/**
 * Tokens already verified, per key set, keyed by the whole token: a partner app sends the same
 * token with every request for its lifetime, and the ES256 signature check is most of the cost
 * of authenticating it. Only the signature check is skipped: every claim check runs on every
 * request (refuseImpossibleToken, then the claims and membership below).
 */
const verifiedTokens = new WeakMap<JWTVerifyGetKey, Map<string, VerifiedToken>>()

function rememberedPayload(keySet: JWTVerifyGetKey, token: string): Record<string, unknown> | undefined {
  const remembered = verifiedTokens.get(keySet)?.get(token)
  if (!remembered) return undefined
  if (Date.now() < remembered.until) return remembered.payload
  verifiedTokens.get(keySet)!.delete(token)
  return undefined
}

function rememberVerified(keySet: JWTVerifyGetKey, token: string, payload: Record<string, unknown>): void {
  if (typeof payload.exp !== 'number') return
  const tokens = verifiedTokens.get(keySet) ?? new Map<string, VerifiedToken>()
  verifiedTokens.set(keySet, tokens)
  tokens.set(token, {
    // The token's own expiry (no clock skew added), or the key set's refresh, whichever is first.
    payload,
    until: Math.min(payload.exp * 1000, Date.now() + MAX_VERIFIED_AGE_MS),
  })
  if (tokens.size > MAX_VERIFIED_TOKENS) tokens.delete(tokens.keys().next().value!)
}

/**
 * The ICS's JWKS, fetched on first use and cached: keys are picked by `kid`, an unknown
 * `kid` triggers at most one refetch per 30 s (cooldown), and the set is refreshed at
 * least every 10 minutes so a rotated key is picked up.
 */
function keySetFor(ics: Pick<IcsRuntimeConfig, 'auth' | 'demoIssuer'>): JWTVerifyGetKey {
  // A demo ICS trusts the demo issuer's public keys from its config and fetches nothing.
  const key = ics.demoIssuer ? `demo:${JSON.stringify(ics.demoIssuer.keys)}` : ics.auth.jwksUrl
  let keySet = keySets.get(key)
  if (!keySet) {
    // Cloud bundles are told which of the two their ICS uses (infra/bundling.ts icsDefine,
    // JOINUP_JWKS), so the other drops out of the bundle.
    keySet = (process.env.JOINUP_JWKS ? process.env.JOINUP_JWKS === 'demo' : ics.demoIssuer !== undefined)
      ? createLocalJWKSet({ keys: ics.demoIssuer?.keys ?? [] })
      : createRemoteJWKSet(new URL(ics.auth.jwksUrl), {
          cooldownDuration: 30_000,
          cacheMaxAge: 600_000,
          timeoutDuration: 3_000,
        })
    keySets.set(key, keySet)
  }
  return keySet
}

/**
 * Refuses, before any key is fetched, a token that could never pass: malformed, an algorithm
 * other than RS256/ES256, another issuer or audience, no `exp` or one already past, or not yet
 * valid. The token is not trusted here (its signature is unchecked): these checks can only
 * refuse, and `jwtVerify` repeats them once the signature holds. So a bad token is a 401 even
 * while the JWKS is unreachable, and garbage never makes the stack call the identity provider.
 */
function refuseImpossibleToken(token: string, ics: IcsRuntimeConfig): void {
  let header: { alg?: unknown; typ?: unknown }
  let claims: { iss?: unknown; aud?: unknown; exp?: unknown; nbf?: unknown; iat?: unknown }
  try {
    // The two JSON parts, read as they are (no signature check): jose's decoders add bytes for nothing more.
    const [encodedHeader, encodedClaims] = token.split('.')
    header = JSON.parse(Buffer.from(encodedHeader ?? '', 'base64url').toString('utf8'))
    claims = JSON.parse(Buffer.from(encodedClaims ?? '', 'base64url').toString('utf8'))
    if (!header || typeof header !== 'object' || !claims || typeof claims !== 'object')
      throw new Error('not objects')
  } catch {
    throw unauthorised('Access token is malformed or invalid')
  }
  if (!(ACCEPTED_JWT_ALGORITHMS as readonly string[]).includes(String(header.alg)))
    throw unauthorised('Access token algorithm is not accepted (RS256 or ES256)')
  if (claims.iss !== ics.auth.issuer)
    throw unauthorised('Access token claim "iss" is invalid (unexpected "iss" claim value)')
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
  if (!audiences.includes(ics.auth.audience))
    throw unauthorised('Access token claim "aud" is invalid (unexpected "aud" claim value)')
  const now = Math.floor(Date.now() / 1000)
  if (typeof claims.exp !== 'number')
    throw unauthorised('Access token claim "exp" is invalid (missing required "exp" claim)')
  if (claims.exp <= now - CLOCK_TOLERANCE_SECONDS) throw unauthorised('Access token has expired')
  if (typeof claims.nbf === 'number' && claims.nbf > now + CLOCK_TOLERANCE_SECONDS)
    throw unauthorised('Access token claim "nbf" is invalid ("nbf" claim timestamp check failed)')
  checkTokenType(header.typ)
  checkLifetime(
    { exp: claims.exp, iat: claims.iat },
    ics.auth.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  )
}

/** RFC 8725 3.11: a token of another kind (an ID token, a logout token) is not an access token. */
function checkTokenType(typ: unknown): void {
  if (typ === undefined) return
  const type = String(typ)
    .toLowerCase()
    .replace(/^application\//, '')
  if (!(ACCEPTED_TOKEN_TYPES as readonly string[]).includes(type)) {
    throw unauthorised('Access token "typ" header must be JWT or at+jwt')
  }
}

/**
 * A token may live at most `maxSeconds` (`exp - iat`; `exp - now` when it has no `iat`), and
 * may not claim to be issued later than now plus the skew: a stolen long-lived token, or one
 * minted ahead of time, is refused.
 */
function checkLifetime(claims: { exp: number; iat: unknown }, maxSeconds: number): void {
  const now = Math.floor(Date.now() / 1000)
  const iat = typeof claims.iat === 'number' ? claims.iat : undefined
  if (claims.iat !== undefined && iat === undefined) throw unauthorised('Access token claim "iat" is invalid')
  if (iat !== undefined && iat > now + CLOCK_TOLERANCE_SECONDS) {
    throw unauthorised('Access token "iat" is in the future')
  }
  const lifetime = iat !== undefined ? claims.exp - iat : claims.exp - now - CLOCK_TOLERANCE_SECONDS
  if (lifetime > maxSeconds) {
    throw unauthorised(`Access token lifetime exceeds the ${maxSeconds} s this ICS allows`)
  }
}

function unauthorised(diagnostics: string): FhirError {
  return new FhirError('ACCESS_DENIED', diagnostics, {
    status: 401,
    headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
  })
}

/** Reads the bearer token from an Authorization header value. */
export function bearerToken(header: string | undefined): string {
  if (!header) throw unauthorised('Missing Authorization header')
  const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(header.trim())
  if (!match?.[1]) throw unauthorised('Authorization header must be "Bearer <token>"')
  return match[1]
}

/**
 * Verifies an organisation's access token for this ICS and returns the caller: as
 * `authenticateCaller`, and a patient's own token is refused (403) here. A patient token
 * never counts as a member organisation.
 */
export async function authenticate(
  token: string,
  ics: IcsRuntimeConfig,
  keySet?: JWTVerifyGetKey,
): Promise<Caller> {
  const caller = await authenticateCaller(token, ics, keySet)
  if (caller.kind === 'patient')
    throw new FhirError('ACCESS_DENIED', 'This operation does not accept a patient token')
  return caller
}

/**
 * Verifies an access token for this ICS and returns the caller. Signature by the ICS's
 * JWKS (RS256 or ES256 only), issuer, audience, `exp` required, `nbf` honoured, 60 s skew;
 * a lifetime no longer than the ICS allows, no `iat` in the future, and a `typ` of JWT or
 * at+jwt when the issuer sets one. A valid token from another ICS, or from an organisation
 * outside this ICS, is a 403.
 *
 * Two kinds of token, told apart by `requesting_organization`: with it, a member
 * organisation's (TokenClaims); without it, a patient's own, NHS-login style
 * (PatientTokenClaims: `sub` their NHS number, identity proofing level P9, `audit.read`
 * only). Routes accept a patient only when they declare `patientAccess` (http.ts).
 */
export async function authenticateCaller(
  token: string,
  ics: IcsRuntimeConfig,
  keySet?: JWTVerifyGetKey,
): Promise<Caller | PatientCaller> {
  refuseImpossibleToken(token, ics)
  const keys = keySet ?? keySetFor(ics)
  let payload: Record<string, unknown>
  try {
    const remembered = rememberedPayload(keys, token)
    if (remembered) payload = remembered
    else {
      const verified = await jwtVerify(token, keys, {
        issuer: ics.auth.issuer,
        audience: ics.auth.audience,
        algorithms: [...ACCEPTED_JWT_ALGORITHMS],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp'],
      })
      payload = verified.payload
      rememberVerified(keys, token, payload)
    }
  } catch (error) {
    // No answer from the ICS's JWKS is our outage, not the caller's fault.
    if (isKeySetOutage(error)) {
      throw new FhirError('SERVICE_UNAVAILABLE', 'Could not fetch the ICS signing keys; try again', {
        headers: { 'Retry-After': '5' },
      })
    }
    throw unauthorised(describeTokenFailure(error))
  }
  if (!Object.hasOwn(payload, 'requesting_organization')) return patientOf(payload, ics)
  const invalid = invalidClaims(payload, TOKEN_CLAIM_RULES)
  if (invalid.length) {
    throw unauthorised(`Access token is missing or has invalid claims: ${invalid.join(', ')}`)
  }
  const claims = { data: payload as TokenClaims }
  const { sub, requesting_organization, scope, reason_for_request } = claims.data
  if (claims.data.ics !== ics.ics) {
    throw new FhirError('ACCESS_DENIED', `Token is for ICS "${claims.data.ics}", not this ICS`)
  }
  if (!ics.members.some((member) => member.ods === requesting_organization)) {
    throw new FhirError(
      'ACCESS_DENIED',
      `Organisation ${requesting_organization} is not a member of this ICS`,
    )
  }
  return {
    kind: 'organisation',
    sub,
    organisation: requesting_organization,
    ics: claims.data.ics,
    scopes: new Set(scope.split(' ').filter(Boolean)),
    purposeOfUse: reason_for_request ?? 'directcare',
  }
}

/** A patient's own token: their NHS number, proofed to P9, for this ICS, with patient scopes only. */
function patientOf(payload: Record<string, unknown>, ics: IcsRuntimeConfig): PatientCaller {
  const invalid = invalidClaims(payload, PATIENT_TOKEN_CLAIM_RULES)
  if (!invalid.length && !isValidNhsNumber(payload.sub as string)) invalid.push('sub')
  if (invalid.length) {
    throw unauthorised(`Access token is missing or has invalid claims: ${invalid.join(', ')}`)
  }
  const claims = { data: payload as PatientTokenClaims }
  const { sub, scope, identity_proofing_level } = claims.data
  if (claims.data.ics !== ics.ics) {
    throw new FhirError('ACCESS_DENIED', `Token is for ICS "${claims.data.ics}", not this ICS`)
  }
  // NHS login: P9 is the level that gives a patient access to their own health record.
  if (identity_proofing_level !== PATIENT_PROOFING_LEVEL) {
    throw new FhirError(
      'ACCESS_DENIED',
      `A patient token needs identity proofing level ${PATIENT_PROOFING_LEVEL}`,
    )
  }
  const scopes = scope.split(' ').filter(Boolean)
  if (scopes.some((candidate) => !(PATIENT_SCOPES as readonly string[]).includes(candidate))) {
    throw new FhirError('ACCESS_DENIED', `A patient token may carry only ${PATIENT_SCOPES.join(' ')}`)
  }
  return {
    kind: 'patient',
    sub,
    nhsNumber: sub,
    ics: claims.data.ics,
    scopes: new Set(scopes),
    purposeOfUse: 'patientrequest',
  }
}

/** Refuses a caller whose token lacks the route's scope. */
export function requireScope(caller: Caller | PatientCaller, scope: Scope): void {
  if (!caller.scopes.has(scope)) {
    throw new FhirError('ACCESS_DENIED', `This operation needs the scope "${scope}"`)
  }
}

function isKeySetOutage(error: unknown): boolean {
  if (!(error instanceof joseErrors.JOSEError)) return true // fetch failed: network or DNS
  return (
    error instanceof joseErrors.JWKSTimeout ||
    error instanceof joseErrors.JWKSInvalid ||
    error.code === 'ERR_JOSE_GENERIC' // non-200 from the JWKS endpoint
  )
}

function describeTokenFailure(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'Access token has expired'
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return `Access token claim "${error.claim}" is invalid (${error.reason})`
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return 'Access token algorithm is not accepted (RS256 or ES256)'
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'Access token signature is invalid'
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'Access token is not signed by a key of this ICS'
  return 'Access token is malformed or invalid'
}
