import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'

/** The demo ICS as the functions see it, trusting a test issuer. */
export function testIcs(overrides: Partial<IcsRuntimeConfig> = {}): IcsRuntimeConfig {
  return {
    ics: 'demo',
    name: 'Demo ICS',
    members: [
      { ods: 'Y90001', name: 'Demo Surgery North', role: 'gp-practice' },
      { ods: 'Y90002', name: 'Demo Surgery South', role: 'gp-practice' },
      { ods: 'RX9', name: 'Demo General Hospital', role: 'acute-trust' },
      { ods: 'FX001', name: 'Demo Pharmacy', role: 'community-pharmacy' },
      { ods: 'FX002', name: 'Second Demo Pharmacy', role: 'community-pharmacy' },
      { ods: 'NX001', name: 'Demo Urgent Care', role: 'urgent-care' },
    ],
    auth: {
      issuer: 'https://issuer.test',
      audience: 'https://api.test',
      jwksUrl: 'https://issuer.test/jwks.json',
    },
    rateLimit: { requestsPerMinute: 1000 },
    pds: { source: 'ics-cache' },
    ...overrides,
  }
}

export interface TestSigner {
  /** A JWKS the stack trusts (the ICS's keys). */
  keySet: ReturnType<typeof createLocalJWKSet>
  /** A well-formed token for the test ICS, with claims overridable. */
  token(
    claims?: Record<string, unknown>,
    options?: { expiresIn?: number; notBefore?: number; issuedAt?: number },
  ): Promise<string>
  /** Same claims, signed by a key the ICS does not publish. */
  foreignToken(claims?: Record<string, unknown>): Promise<string>
  /** An unsigned token (`alg: none`). */
  unsignedToken(claims?: Record<string, unknown>): string
  /** An HS256 token, signed with the public key's bytes as the secret (the classic confusion attack). */
  hmacToken(claims?: Record<string, unknown>): Promise<string>
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** Keys and token factories for the access rules. */
export async function testSigner(ics = testIcs()): Promise<TestSigner> {
  const trusted = await generateKeyPair('ES256', { extractable: true })
  const foreign = await generateKeyPair('ES256', { extractable: true })
  const publicJwk: JWK = { ...(await exportJWK(trusted.publicKey)), kid: 'trusted', alg: 'ES256' }
  const keySet = createLocalJWKSet({ keys: [publicJwk] })
  const claimsOf = (claims: Record<string, unknown> = {}) => ({
    sub: 'clinician-1',
    requesting_organization: 'NX001',
    ics: ics.ics,
    scope: 'patient.read',
    ...claims,
  })
  const now = () => Math.floor(Date.now() / 1000)
  return {
    keySet,
    token: async (claims, options = {}) => {
      const issuedAt = options.issuedAt ?? now()
      const jwt = new SignJWT(claimsOf(claims))
        .setProtectedHeader({ alg: 'ES256', kid: 'trusted' })
        .setIssuer(ics.auth.issuer)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + (options.expiresIn ?? 300))
      if (!claims || !('aud' in claims)) jwt.setAudience(ics.auth.audience)
      if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore)
      return jwt.sign(trusted.privateKey)
    },
    foreignToken: (claims) =>
      new SignJWT(claimsOf(claims))
        .setProtectedHeader({ alg: 'ES256', kid: 'trusted' })
        .setIssuer(ics.auth.issuer)
        .setAudience(ics.auth.audience)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(foreign.privateKey),
    unsignedToken: (claims) =>
      `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({
        ...claimsOf(claims),
        iss: ics.auth.issuer,
        aud: ics.auth.audience,
        exp: now() + 300,
      })}.`,
    hmacToken: async (claims) =>
      new SignJWT(claimsOf(claims))
        .setProtectedHeader({ alg: 'HS256', kid: 'trusted' })
        .setIssuer(ics.auth.issuer)
        .setAudience(ics.auth.audience)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(JSON.stringify(publicJwk))),
  }
}
