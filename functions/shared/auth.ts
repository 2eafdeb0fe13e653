import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose'
import {
  ACCEPTED_JWT_ALGORITHMS,
  type Caller,
  CLOCK_TOLERANCE_SECONDS,
  type Scope,
  TokenClaims,
} from '../../schemas/auth'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { FhirError } from './errors'

const keySets = new Map<string, JWTVerifyGetKey>()

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
    keySet = ics.demoIssuer
      ? createLocalJWKSet({ keys: ics.demoIssuer.keys })
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
  let header: { alg?: unknown }
  let claims: { iss?: unknown; aud?: unknown; exp?: unknown; nbf?: unknown }
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
 * Verifies an access token for this ICS and returns the caller. Signature by the ICS's
 * JWKS (RS256 or ES256 only), issuer, audience, `exp` required, `nbf` honoured, 60 s skew.
 * A valid token from another ICS, or from an organisation outside this ICS, is a 403.
 */
export async function authenticate(
  token: string,
  ics: IcsRuntimeConfig,
  keySet?: JWTVerifyGetKey,
): Promise<Caller> {
  refuseImpossibleToken(token, ics)
  let payload: unknown
  try {
    const verified = await jwtVerify(token, keySet ?? keySetFor(ics), {
      issuer: ics.auth.issuer,
      audience: ics.auth.audience,
      algorithms: [...ACCEPTED_JWT_ALGORITHMS],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['exp'],
    })
    payload = verified.payload
  } catch (error) {
    // No answer from the ICS's JWKS is our outage, not the caller's fault.
    if (isKeySetOutage(error)) {
      throw new FhirError('SERVICE_UNAVAILABLE', 'Could not fetch the ICS signing keys; try again', {
        headers: { 'Retry-After': '5' },
      })
    }
    throw unauthorised(describeTokenFailure(error))
  }
  const claims = TokenClaims.safeParse(payload)
  if (!claims.success) {
    const fields = claims.error.issues.map((issue) => issue.path.join('.')).join(', ')
    throw unauthorised(`Access token is missing or has invalid claims: ${fields}`)
  }
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
    sub,
    organisation: requesting_organization,
    ics: claims.data.ics,
    scopes: new Set(scope.split(' ').filter(Boolean)),
    purposeOfUse: reason_for_request ?? 'directcare',
  }
}

/** Refuses a caller whose token lacks the route's scope. */
export function requireScope(caller: Caller, scope: Scope): void {
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
