import { createServer, type Server } from 'node:http'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authenticate } from '../../functions/shared/auth'
import { FhirError } from '../../functions/shared/errors'
import type { DemoIssuerKey, IcsRuntimeConfig } from '../../schemas/ics-config'
import { testIcs } from '../support/tokens'

// Issue 15, finding 4: the deployed demo answered 503 to every call, because the JWKS was
// fetched (from a placeholder URL) before any claim was looked at. Claims that can only
// refuse are now checked first, and a demo ICS trusts its demo issuer's keys from its config.

let jwksServer: Server
let jwksFetches = 0
let brokenJwksUrl: string
let signingKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']
let demoKey: DemoIssuerKey

beforeAll(async () => {
  // An identity provider whose JWKS endpoint is down (500): every fetch of it is counted.
  jwksServer = createServer((_request, response) => {
    jwksFetches++
    response.writeHead(500)
    response.end()
  })
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve))
  const address = jwksServer.address()
  if (!address || typeof address === 'string') throw new Error('no port')
  brokenJwksUrl = `http://127.0.0.1:${address.port}/jwks.json`
  const pair = await generateKeyPair('ES256', { extractable: true })
  signingKey = pair.privateKey
  const jwk: JWK = await exportJWK(pair.publicKey)
  demoKey = { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, kid: 'demo-1', alg: 'ES256', use: 'sig' }
})

afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())))

function icsWithBrokenJwks(extra: Partial<IcsRuntimeConfig> = {}): IcsRuntimeConfig {
  const base = testIcs()
  return { ...base, auth: { ...base.auth, jwksUrl: brokenJwksUrl }, ...extra }
}

async function token(
  ics: IcsRuntimeConfig,
  options: {
    issuer?: string
    audience?: string
    expiresIn?: number
    alg?: 'ES256' | 'HS256'
    kid?: string
  } = {},
) {
  const jwt = new SignJWT({
    sub: 'clinician-1',
    requesting_organization: 'NX001',
    ics: ics.ics,
    scope: 'patient.read',
  })
    .setProtectedHeader({ alg: options.alg ?? 'ES256', kid: options.kid ?? 'demo-1' })
    .setIssuer(options.issuer ?? ics.auth.issuer)
    .setAudience(options.audience ?? ics.auth.audience)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresIn ?? 300))
  return options.alg === 'HS256'
    ? jwt.sign(new TextEncoder().encode('a shared secret of 32 bytes!!!!!'))
    : jwt.sign(signingKey)
}

async function refusal(promise: Promise<unknown>): Promise<FhirError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(FhirError)
  return error as FhirError
}

describe('authenticate before the JWKS is fetched', () => {
  it.each([
    ['another issuer', { issuer: 'https://someone-else.example' }],
    ['another audience', { audience: 'https://another-stack.example' }],
    ['an expired token', { expiresIn: -3600 }],
    ['an HMAC token', { alg: 'HS256' as const }],
  ])('refuses %s with 401 without fetching the JWKS, even while it is down', async (_, options) => {
    // Prepare
    const ics = icsWithBrokenJwks()
    const before = jwksFetches

    // Act
    const error = await refusal(authenticate(await token(ics, options), ics))

    // Assess
    expect(error.status).toBe(401)
    expect(jwksFetches).toBe(before)
  })

  it('refuses a malformed token with 401 without fetching the JWKS', async () => {
    const before = jwksFetches
    expect((await refusal(authenticate('not.a.token', icsWithBrokenJwks()))).status).toBe(401)
    expect(jwksFetches).toBe(before)
  })

  it('fails closed with 503 when a token that could pass meets a JWKS that cannot be fetched', async () => {
    // Prepare
    const ics = icsWithBrokenJwks()
    const before = jwksFetches

    // Act
    const error = await refusal(authenticate(await token(ics), ics))

    // Assess: the stack could not verify the signature, so it neither accepts nor blames the caller
    expect(error.status).toBe(503)
    expect(jwksFetches).toBeGreaterThan(before)
  })
})

describe('a demo issuer', () => {
  it('accepts a token signed by a key the config lists, and fetches no JWKS', async () => {
    // Prepare
    const ics = icsWithBrokenJwks({ demoIssuer: { keys: [demoKey] } })
    const before = jwksFetches

    // Act
    const caller = await authenticate(await token(ics), ics)

    // Assess
    expect(caller).toMatchObject({ organisation: 'NX001', ics: 'demo' })
    expect(jwksFetches).toBe(before)
  })

  it('refuses, with 401, a token signed by any other key', async () => {
    // Prepare
    const other = await generateKeyPair('ES256')
    const ics = icsWithBrokenJwks({ demoIssuer: { keys: [demoKey] } })
    const forged = await new SignJWT({
      sub: 'x',
      requesting_organization: 'NX001',
      ics: 'demo',
      scope: 'patient.read',
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'demo-1' })
      .setIssuer(ics.auth.issuer)
      .setAudience(ics.auth.audience)
      .setExpirationTime('5m')
      .sign(other.privateKey)

    // Assess
    expect((await refusal(authenticate(forged, ics))).status).toBe(401)
  })

  it('refuses every token while the config lists no demo key yet', async () => {
    const ics = icsWithBrokenJwks({ demoIssuer: { keys: [] } })
    expect((await refusal(authenticate(await token(ics), ics))).status).toBe(401)
  })
})
