import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, type JWTVerifyGetKey, SignJWT } from 'jose'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { authenticate, bearerToken, requireScope } from '../../functions/shared/auth'
import { FhirError } from '../../functions/shared/errors'
import { routedHttpHandler } from '../../functions/shared/http'
import type { RouteDeclaration } from '../../infra/routes'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { lambdaContext, proxyEvent } from '../support/events'
import { testIcs } from '../support/tokens'

// Token verification (DESIGN.md "Tokens and access"): RS256/ES256 against the ICS's JWKS,
// `aud` checked, `exp` enforced, 60 s skew. A refusal is 401 with an RFC 6750
// WWW-Authenticate header; an ICS key set that cannot be fetched is our outage: 503 with
// Retry-After, never a 401 that would tell a valid caller their token is bad.

type Keys = Awaited<ReturnType<typeof generateKeyPair>>
let keys: Keys
let otherKeys: Keys
let publicJwk: JWK

beforeAll(async () => {
  keys = await generateKeyPair('ES256', { extractable: true })
  otherKeys = await generateKeyPair('ES256', { extractable: true })
  publicJwk = { ...(await exportJWK(keys.publicKey)), kid: 'ics-key', alg: 'ES256' }
})

const now = () => Math.floor(Date.now() / 1000)

/** A token with the claims every test ICS token carries; `omit` leaves registered claims out. */
function tokenFor(
  ics: IcsRuntimeConfig,
  options: {
    claims?: Record<string, unknown>
    omit?: ('exp' | 'aud')[]
    kid?: string
    key?: Keys['privateKey']
    lifetime?: number
    notBefore?: number
    expiresAt?: number
  } = {},
): Promise<string> {
  const jwt = new SignJWT({
    sub: 'clinician-1',
    requesting_organization: 'NX001',
    ics: ics.ics,
    scope: 'patient.read',
    ...options.claims,
  })
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'ics-key' })
    .setIssuer(ics.auth.issuer)
    .setIssuedAt()
  if (!options.omit?.includes('aud') && !options.claims?.aud) jwt.setAudience(ics.auth.audience)
  if (!options.omit?.includes('exp'))
    jwt.setExpirationTime(options.expiresAt ?? now() + (options.lifetime ?? 300))
  if (options.notBefore !== undefined) jwt.setNotBefore(options.notBefore)
  return jwt.sign(options.key ?? keys.privateKey)
}

/**
 * The FhirError `authenticate` refuses with; fails the test when it accepts. By default the
 * keys are a local set; `'jwks'` leaves `authenticate` to fetch the ICS's JWKS itself.
 */
async function refusalOf(
  token: string,
  ics: IcsRuntimeConfig,
  keySet: NonNullable<Parameters<typeof authenticate>[2]> | 'jwks' = createLocalJWKSet({ keys: [publicJwk] }),
) {
  try {
    await (keySet === 'jwks' ? authenticate(token, ics) : authenticate(token, ics, keySet))
  } catch (error) {
    if (error instanceof FhirError) return error
    throw error
  }
  throw new Error('expected the token to be refused')
}

function refusalOfHeader(header: string | undefined): FhirError {
  try {
    bearerToken(header)
  } catch (error) {
    if (error instanceof FhirError) return error
    throw error
  }
  throw new Error(`expected ${JSON.stringify(header)} to be refused`)
}

function expectUnauthorised(error: FhirError) {
  expect(error.status).toBe(401)
  expect(error.code).toBe('ACCESS_DENIED')
  expect(error.headers['WWW-Authenticate']).toBe('Bearer error="invalid_token"')
}

/** What the ICS's JWKS endpoint does, switchable per test. */
type JwksBehaviour = 'keys' | 'server-error' | 'not-json' | 'not-a-key-set' | 'silent'

/** A JWKS endpoint over HTTP that counts its fetches; each path is its own key-set URL. */
async function startJwksEndpoint() {
  const fetches = new Map<string, number>()
  let behaviour: JwksBehaviour = 'keys'
  const hanging = new Set<ServerResponse>()
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = request.url ?? '/'
    fetches.set(path, (fetches.get(path) ?? 0) + 1)
    if (behaviour === 'silent') {
      hanging.add(response)
      return
    }
    if (behaviour === 'server-error') {
      response.writeHead(500).end('upstream failure')
      return
    }
    response.writeHead(200, { 'Content-Type': 'application/json' })
    if (behaviour === 'not-json') response.end('<html>maintenance</html>')
    else if (behaviour === 'not-a-key-set') response.end(JSON.stringify({ keys: 'none' }))
    else response.end(JSON.stringify({ keys: [publicJwk] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  let sequence = 0
  return {
    /** An ICS whose key set lives at a fresh URL on this endpoint, so no earlier test's cache applies. */
    freshIcs(): IcsRuntimeConfig {
      const path = `/jwks/${++sequence}`
      return testIcs({
        auth: {
          issuer: 'https://issuer.test',
          audience: 'https://api.test',
          jwksUrl: `http://127.0.0.1:${port}${path}`,
        },
      })
    },
    fetchesOf: (ics: IcsRuntimeConfig) => fetches.get(new URL(ics.auth.jwksUrl).pathname) ?? 0,
    behave(next: JwksBehaviour) {
      behaviour = next
    },
    close() {
      for (const response of hanging) response.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

describe('bearerToken', () => {
  it('reads the token after "Bearer "', () => {
    expect(bearerToken('Bearer abc.DEF-123_x.y')).toBe('abc.DEF-123_x.y')
  })

  it('ignores spaces and tabs around the header value', () => {
    expect(bearerToken('  Bearer abc.def.ghi \t')).toBe('abc.def.ghi')
  })

  it('refuses a missing header with 401, saying the header is missing', () => {
    const error = refusalOfHeader(undefined)

    expectUnauthorised(error)
    expect(error.diagnostics).toMatch(/missing/i)
  })

  it.each([
    ['words after the token', 'Bearer abc.def.ghi junk'],
    ['characters before the scheme', 'xBearer abc.def.ghi'],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['no token', 'Bearer '],
    ['two spaces after the scheme', 'Bearer  abc.def.ghi'],
    ['a token with characters outside base64url', 'Bearer abc.def.ghi/+='],
  ])('refuses %s with 401 and says what the header must look like', (_label, header) => {
    // Act
    const error = refusalOfHeader(header)

    // Assess
    expectUnauthorised(error)
    expect(error.diagnostics).toContain('Bearer <token>')
  })
})

describe('authenticate', () => {
  const ics = testIcs()
  const keySet = () => createLocalJWKSet({ keys: [publicJwk] })

  it('returns the caller a valid token names', async () => {
    // Act
    const caller = await authenticate(
      await tokenFor(ics, { claims: { sub: 'dr-a', reason_for_request: 'secondaryuses' } }),
      ics,
      keySet(),
    )

    // Assess
    expect(caller).toMatchObject({
      sub: 'dr-a',
      organisation: 'NX001',
      ics: 'demo',
      scopes: new Set(['patient.read']),
      purposeOfUse: 'secondaryuses',
    })
  })

  it('reads space-separated scopes, ignoring extra spaces', async () => {
    // Prepare
    const token = await tokenFor(ics, { claims: { scope: ' patient.read  record.read ' } })

    // Act
    const caller = await authenticate(token, ics, keySet())

    // Assess
    expect([...caller.scopes].sort()).toEqual(['patient.read', 'record.read'])
  })

  it('refuses a token without exp, naming the claim', async () => {
    // Act
    const error = await refusalOf(await tokenFor(ics, { omit: ['exp'] }), ics)

    // Assess
    expectUnauthorised(error)
    expect(error.diagnostics).toContain('"exp"')
  })

  it('refuses an expired token, saying it expired', async () => {
    const error = await refusalOf(await tokenFor(ics, { lifetime: -120 }), ics)

    expectUnauthorised(error)
    expect(error.diagnostics).toMatch(/expired/)
  })

  it('refuses a token that is not valid yet, naming nbf', async () => {
    const error = await refusalOf(await tokenFor(ics, { notBefore: now() + 600 }), ics)

    expectUnauthorised(error)
    expect(error.diagnostics).toContain('"nbf"')
  })

  it('refuses a token from another issuer, naming iss', async () => {
    const error = await refusalOf(
      await tokenFor({ ...ics, auth: { ...ics.auth, issuer: 'https://elsewhere.test' } }),
      ics,
    )

    expectUnauthorised(error)
    expect(error.diagnostics).toContain('"iss"')
  })

  it('refuses a token for another audience, naming aud', async () => {
    const error = await refusalOf(await tokenFor(ics, { claims: { aud: 'https://elsewhere.test' } }), ics)

    expectUnauthorised(error)
    expect(error.diagnostics).toContain('"aud"')
  })

  it('refuses a token whose signature does not verify', async () => {
    const error = await refusalOf(await tokenFor(ics, { key: otherKeys.privateKey }), ics)

    expectUnauthorised(error)
    expect(error.diagnostics).toMatch(/signature is invalid/)
  })

  it('refuses a token signed by a key the ICS does not publish', async () => {
    const error = await refusalOf(await tokenFor(ics, { kid: 'someone-else' }), ics)

    expectUnauthorised(error)
    expect(error.diagnostics).toMatch(/not signed by a key of this ICS/)
  })

  it('refuses an HMAC token, naming the accepted algorithms', async () => {
    // Prepare: HS256 with the public key as the secret (algorithm confusion)
    const token = await new SignJWT({ sub: 'x', requesting_organization: 'NX001', ics: 'demo', scope: '' })
      .setProtectedHeader({ alg: 'HS256', kid: 'ics-key' })
      .setIssuer(ics.auth.issuer)
      .setAudience(ics.auth.audience)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(JSON.stringify(publicJwk)))

    // Act
    const error = await refusalOf(token, ics)

    // Assess
    expectUnauthorised(error)
    expect(error.diagnostics).toMatch(/RS256 or ES256/)
  })

  it('refuses a token that is not a JWT at all', async () => {
    const error = await refusalOf('abc.def.ghi', ics)

    expectUnauthorised(error)
    expect(error.diagnostics).toMatch(/malformed/)
  })

  it.each([
    ['now', 0],
    ['60 s ahead, the clock skew allowed', 60],
  ])('accepts a token whose nbf is %s', async (_label, ahead) => {
    const caller = await authenticate(await tokenFor(ics, { notBefore: now() + ahead }), ics, keySet())

    expect(caller.organisation).toBe('NX001')
  })

  it('refuses a token whose nbf is not a number, naming the claim', async () => {
    const error = await refusalOf(await tokenFor(ics, { claims: { nbf: 'soon' } }), ics)

    expectUnauthorised(error)
    expect(error.diagnostics).toContain('"nbf"')
  })

  it('refuses a token with a fourth part as malformed', async () => {
    const error = await refusalOf(`${await tokenFor(ics)}.extra`, ics)

    expectUnauthorised(error)
    expect(error.diagnostics).toMatch(/malformed/)
  })

  describe('with the clock under test control', () => {
    afterEach(() => {
      vi.useRealTimers()
    })

    it('refuses a token that expires while its key is being fetched, saying it expired', async () => {
      // Prepare: valid for 10 s more when it arrives; the key set answers 100 s later
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(new Date('2026-07-01T09:00:00Z'))
      const token = await tokenFor(ics, { lifetime: 10 })
      const local = keySet()
      const slowKeySet: JWTVerifyGetKey = async (header, input) => {
        vi.setSystemTime(new Date('2026-07-01T09:01:40Z'))
        return local(header, input)
      }

      // Act
      const error = await refusalOf(token, ics, slowKeySet)

      // Assess
      expectUnauthorised(error)
      expect(error.diagnostics).toMatch(/expired/)
    })
  })

  it.each([
    ['without a scope', { scope: undefined }, 'scope'],
    [
      'with a requesting_organization that is not an ODS code',
      { requesting_organization: 'rx-9' },
      'requesting_organization',
    ],
  ])('refuses a signed token %s, naming the claim', async (_label, claims, named) => {
    // Act
    const error = await refusalOf(await tokenFor(ics, { claims }), ics)

    // Assess
    expectUnauthorised(error)
    expect(error.diagnostics).toContain(named)
  })

  it('refuses a token for another ICS with 403, naming that ICS', async () => {
    const error = await refusalOf(await tokenFor(ics, { claims: { ics: 'elsewhere' } }), ics)

    expect(error.status).toBe(403)
    expect(error.code).toBe('ACCESS_DENIED')
    expect(error.diagnostics).toContain('"elsewhere"')
  })

  it('refuses an organisation outside the ICS with 403, naming it', async () => {
    const error = await refusalOf(await tokenFor(ics, { claims: { requesting_organization: 'ZZ999' } }), ics)

    expect(error.status).toBe(403)
    expect(error.diagnostics).toContain('ZZ999')
  })
})

describe('requireScope', () => {
  const caller = {
    sub: 's',
    organisation: 'NX001',
    ics: 'demo',
    scopes: new Set(['patient.read']),
    purposeOfUse: 'directcare',
  }

  it('lets a caller with the scope through', () => {
    expect(() => requireScope(caller, 'patient.read')).not.toThrow()
  })

  it('refuses a caller without the scope with 403, naming the scope', () => {
    // Act
    let error: unknown
    try {
      requireScope(caller, 'record.read')
    } catch (thrown) {
      error = thrown
    }

    // Assess
    expect(error).toBeInstanceOf(FhirError)
    expect((error as FhirError).status).toBe(403)
    expect((error as FhirError).diagnostics).toContain('"record.read"')
  })
})

describe("the ICS's key set over HTTP", () => {
  let endpoint: Awaited<ReturnType<typeof startJwksEndpoint>>

  beforeAll(async () => {
    endpoint = await startJwksEndpoint()
  })

  afterAll(async () => {
    await endpoint.close()
  })

  /** The outage `authenticate` answers, or a failure when it answers anything else. */
  async function outageOf(ics: IcsRuntimeConfig): Promise<FhirError> {
    const outcome = await authenticate(await tokenFor(ics), ics).then(
      () => new Error('expected an outage, the token was accepted'),
      (error: unknown) => error,
    )
    if (!(outcome instanceof FhirError)) throw outcome
    return outcome
  }

  function expectOutage(error: FhirError) {
    expect(error.status).toBe(503)
    expect(error.code).toBe('SERVICE_UNAVAILABLE')
    expect(error.headers['Retry-After']).toBe('5')
    expect(error.headers['WWW-Authenticate']).toBeUndefined()
  }

  describe('a token that could never pass, while the JWKS endpoint is down', () => {
    const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

    afterEach(() => {
      vi.useRealTimers()
    })

    it.each<[string, (ics: IcsRuntimeConfig) => Promise<string>]>([
      ['without exp', (ics) => tokenFor(ics, { omit: ['exp'] })],
      ['not valid for another 10 minutes', (ics) => tokenFor(ics, { notBefore: now() + 600 })],
    ])('is refused %s with 401, without fetching the key set', async (_label, tokenOf) => {
      // Prepare
      endpoint.behave('server-error')
      const ics = endpoint.freshIcs()

      // Act
      const error = await refusalOf(await tokenOf(ics), ics, 'jwks')

      // Assess
      expectUnauthorised(error)
      expect(endpoint.fetchesOf(ics)).toBe(0)
    })

    it.each([
      ['a null header', null, {}],
      ['a number for a header', 1, {}],
      ['null claims', { alg: 'ES256' }, null],
      ['a number for claims', { alg: 'ES256' }, 1],
    ])('is refused as malformed with %s, without fetching the key set', async (_label, header, claims) => {
      // Prepare
      endpoint.behave('server-error')
      const ics = endpoint.freshIcs()

      // Act
      const error = await refusalOf(`${encoded(header)}.${encoded(claims)}.c2ln`, ics, 'jwks')

      // Assess
      expectUnauthorised(error)
      expect(error.diagnostics).toMatch(/malformed/)
      expect(endpoint.fetchesOf(ics)).toBe(0)
    })

    it('is refused expired exactly 60 s after exp, without fetching the key set', async () => {
      // Prepare
      vi.useFakeTimers({ toFake: ['Date'] })
      vi.setSystemTime(new Date('2026-07-01T09:00:00Z'))
      endpoint.behave('server-error')
      const ics = endpoint.freshIcs()
      const token = await tokenFor(ics, { expiresAt: now() - 60 })

      // Act
      const error = await refusalOf(token, ics, 'jwks')

      // Assess
      expectUnauthorised(error)
      expect(error.diagnostics).toMatch(/expired/)
      expect(endpoint.fetchesOf(ics)).toBe(0)
    })
  })

  it('fetches the key set once and verifies later tokens with the cached keys', async () => {
    // Prepare
    endpoint.behave('keys')
    const ics = endpoint.freshIcs()

    // Act
    await authenticate(await tokenFor(ics), ics)
    await authenticate(await tokenFor(ics, { claims: { sub: 'dr-b' } }), ics)
    await authenticate(await tokenFor(ics, { claims: { sub: 'dr-c' } }), ics)

    // Assess
    expect(endpoint.fetchesOf(ics)).toBe(1)
  })

  it('keeps a key set per JWKS URL', async () => {
    // Prepare
    endpoint.behave('keys')
    const first = endpoint.freshIcs()
    const second = endpoint.freshIcs()

    // Act
    await authenticate(await tokenFor(first), first)
    await authenticate(await tokenFor(second), second)
    await authenticate(await tokenFor(first), first)

    // Assess
    expect([endpoint.fetchesOf(first), endpoint.fetchesOf(second)]).toEqual([1, 1])
  })

  it.each<[string, JwksBehaviour]>([
    ['answers 500', 'server-error'],
    ['answers something other than JSON', 'not-json'],
    ['answers JSON that is not a key set', 'not-a-key-set'],
  ])('answers 503 with Retry-After, not 401, when the JWKS endpoint %s', async (_label, behaviour) => {
    // Prepare
    endpoint.behave(behaviour)

    // Act
    const error = await outageOf(endpoint.freshIcs())

    // Assess
    expectOutage(error)
  })

  it('answers 503 with Retry-After when the JWKS endpoint refuses connections', async () => {
    // Prepare: a port nobody listens on any more
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const ics = testIcs({ auth: { ...testIcs().auth, jwksUrl: `http://127.0.0.1:${port}/jwks` } })

    // Act
    const error = await outageOf(ics)

    // Assess
    expectOutage(error)
  })

  it('gives up on a JWKS endpoint that does not answer within 3 s, with 503', async () => {
    // Prepare
    endpoint.behave('silent')
    const started = performance.now()

    // Act
    const error = await outageOf(endpoint.freshIcs())

    // Assess: jose's own default would wait 5 s; the margin allows for a loaded machine
    expectOutage(error)
    expect(performance.now() - started).toBeLessThan(4_900)
  })

  describe('at the HTTP stack', () => {
    const routes: RouteDeclaration[] = [
      {
        operationId: 'readThing',
        method: 'GET',
        path: '/Thing/{id}',
        function: 'metadata',
        scope: 'patient.read',
        summary: 'read',
      },
    ]

    async function get(ics: IcsRuntimeConfig, authorization: string) {
      const handler = routedHttpHandler(
        'test',
        routes,
        { readThing: async () => ({ status: 200, body: { resourceType: 'Basic' } }) },
        { ics: () => ics },
      )
      return handler(
        proxyEvent({
          method: 'GET',
          resource: '/Thing/{id}',
          path: '/Thing/1',
          pathParameters: { id: '1' },
          headers: { Authorization: authorization },
        }),
        lambdaContext(),
      )
    }

    it('answers a refused token with 401 and a WWW-Authenticate challenge', async () => {
      // Prepare
      endpoint.behave('keys')
      const ics = endpoint.freshIcs()

      // Act
      const response = await get(ics, `Bearer ${await tokenFor(ics, { omit: ['exp'] })}`)

      // Assess
      expect(response.statusCode).toBe(401)
      expect(response.headers?.['WWW-Authenticate']).toBe('Bearer error="invalid_token"')
    })

    it('answers a key-set outage with 503 and Retry-After', async () => {
      // Prepare
      endpoint.behave('server-error')
      const ics = endpoint.freshIcs()

      // Act
      const response = await get(ics, `Bearer ${await tokenFor(ics)}`)

      // Assess
      expect(response.statusCode).toBe(503)
      expect(response.headers?.['Retry-After']).toBe('5')
      expect(JSON.parse(response.body).resourceType).toBe('OperationOutcome')
    })
  })
})
