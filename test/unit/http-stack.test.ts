import { beforeAll, describe, expect, it, vi } from 'vitest'
import { authenticate } from '../../functions/shared/auth'
import { FhirError } from '../../functions/shared/errors'
import { MAX_BODY_BYTES, routedHttpHandler } from '../../functions/shared/http'
import type { AuditEntry, RateLimiter } from '../../functions/shared/ports'
import type { RouteDeclaration } from '../../infra/routes'
import { OperationOutcome, SPINE_ERROR_SYSTEM } from '../../schemas/fhir/OperationOutcome'
import { lambdaContext, proxyEvent } from '../support/events'
import { type TestSigner, testIcs, testSigner } from '../support/tokens'

const routes: RouteDeclaration[] = [
  {
    operationId: 'publicInfo',
    method: 'GET',
    path: '/info',
    function: 'metadata',
    scope: null,
    summary: 'public',
  },
  {
    operationId: 'readThing',
    method: 'GET',
    path: '/Thing/{id}',
    function: 'metadata',
    scope: 'patient.read',
    summary: 'read',
  },
  {
    operationId: 'createThing',
    method: 'POST',
    path: '/Thing',
    function: 'metadata',
    scope: 'pointer.write',
    summary: 'create',
    hasBody: true,
  },
  {
    operationId: 'explode',
    method: 'GET',
    path: '/Explode',
    function: 'metadata',
    scope: 'patient.read',
    summary: 'fails',
  },
]

const ics = testIcs()
let signer: TestSigner

function stack(options: { rateLimiter?: RateLimiter; audit?: AuditEntry[] } = {}) {
  const domain = {
    readThing: vi.fn(async () => ({
      status: 200,
      body: { resourceType: 'Basic', id: '1' },
      audit: [{ patient: '9000000009', action: 'R' as const, entities: ['Basic/1'] }],
    })),
    createThing: vi.fn(async (request: { body: unknown }) => ({ status: 201, body: request.body })),
    publicInfo: vi.fn(async () => ({ status: 200, body: { resourceType: 'Basic' } })),
    explode: vi.fn(async () => {
      throw new Error('boom at /var/task/index.mjs:1:2 for 9000000009')
    }),
  }
  const handler = routedHttpHandler('test', routes, domain, {
    ics: () => ics,
    authenticate: (token, config) => authenticate(token, config, signer.keySet),
    rateLimiter: options.rateLimiter,
    audit: options.audit ? { append: async (entries) => void options.audit!.push(...entries) } : undefined,
  })
  return { handler, domain }
}

async function call(handler: ReturnType<typeof stack>['handler'], input: Parameters<typeof proxyEvent>[0]) {
  const result = await handler(proxyEvent(input), lambdaContext())
  return { ...result, json: result.body ? (JSON.parse(result.body) as Record<string, unknown>) : undefined }
}

function codeOf(body: unknown): string | undefined {
  const outcome = OperationOutcome.parse(body)
  expect(outcome.issue[0]?.details?.coding[0]?.system).toBe(SPINE_ERROR_SYSTEM)
  return outcome.issue[0]?.details?.coding[0]?.code
}

const readThing = (token?: string, headers: Record<string, string> = {}) => ({
  method: 'GET',
  resource: '/Thing/{id}',
  path: '/Thing/1',
  pathParameters: { id: '1' },
  headers: token ? { Authorization: `Bearer ${token}`, ...headers } : headers,
})

beforeAll(async () => {
  signer = await testSigner(ics)
})

describe('the HTTP middleware stack', () => {
  it('answers a valid request and echoes the request and correlation ids', async () => {
    // Prepare
    const { handler } = stack()
    const requestId = 'f5cf0b9e-8d2b-4b1e-9a4e-3c2a1a6f0c11'
    // Act
    const response = await call(
      handler,
      readThing(await signer.token(), { 'X-Request-ID': requestId, 'X-Correlation-ID': 'corr-1' }),
    )
    // Assess
    expect(response.statusCode).toBe(200)
    expect(response.headers?.['X-Request-ID']).toBe(requestId)
    expect(response.headers?.['X-Correlation-ID']).toBe('corr-1')
    expect(response.headers?.['Content-Type']).toMatch(/^application\/fhir\+json/)
  })

  it('generates both ids when the caller sends none', async () => {
    const response = await call(stack().handler, readThing(await signer.token()))
    expect(response.headers?.['X-Request-ID']).toMatch(/^[0-9a-f-]{36}$/)
    expect(response.headers?.['X-Correlation-ID']).toBeTruthy()
  })

  it('refuses an X-Request-ID that is not a UUID, as PDS does', async () => {
    const response = await call(
      stack().handler,
      readThing(await signer.token(), { 'X-Request-ID': 'not-a-uuid' }),
    )
    expect(response.statusCode).toBe(400)
    expect(codeOf(response.json)).toBe('INVALID_VALUE')
    expect(response.headers?.['X-Request-ID']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('serves public routes without a token', async () => {
    const response = await call(stack().handler, { method: 'GET', resource: '/info', path: '/info' })
    expect(response.statusCode).toBe(200)
  })

  it('appends an audit record for the patient data a route touched', async () => {
    // Prepare
    const audit: AuditEntry[] = []
    // Act
    await call(
      stack({ audit }).handler,
      readThing(await signer.token({ sub: 'dr-who' }), { 'X-Correlation-ID': 'c-9' }),
    )
    // Assess
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({
      patient: '9000000009',
      action: 'R',
      operation: 'readThing',
      correlationId: 'c-9',
      status: 200,
      caller: { sub: 'dr-who', organisation: 'NX001', purposeOfUse: 'directcare' },
    })
  })
})

describe('access rules', () => {
  const refusals: [string, () => Promise<Parameters<typeof proxyEvent>[0]>, number][] = [
    ['no token', async () => readThing(), 401],
    [
      'a malformed Authorization header',
      async () => readThing(undefined, { Authorization: 'Basic abc' }),
      401,
    ],
    [
      'an expired token',
      async () =>
        readThing(await signer.token({}, { issuedAt: Math.floor(Date.now() / 1000) - 3600, expiresIn: 60 })),
      401,
    ],
    [
      'a token not valid yet',
      async () => readThing(await signer.token({}, { notBefore: Math.floor(Date.now() / 1000) + 600 })),
      401,
    ],
    ['a token signed by another key', async () => readThing(await signer.foreignToken()), 401],
    ['an alg none token', async () => readThing(signer.unsignedToken()), 401],
    ['an HMAC-signed token', async () => readThing(await signer.hmacToken()), 401],
    [
      'a token for another audience',
      async () => readThing(await signer.token({ aud: 'https://elsewhere' })),
      401,
    ],
    [
      'a token without requesting_organization',
      async () => readThing(await signer.token({ requesting_organization: undefined })),
      401,
    ],
    ['the wrong scope', async () => readThing(await signer.token({ scope: 'appointment.read' })), 403],
    [
      'an organisation outside the ICS',
      async () => readThing(await signer.token({ requesting_organization: 'ZZ999' })),
      403,
    ],
    ['a token for another ICS', async () => readThing(await signer.token({ ics: 'elsewhere' })), 403],
  ]

  for (const [name, request, status] of refusals) {
    it(`refuses ${name} with ${status} before the domain code runs`, async () => {
      // Prepare
      const { handler, domain } = stack()
      // Act
      const response = await call(handler, await request())
      // Assess
      expect(response.statusCode).toBe(status)
      expect(codeOf(response.json)).toBe('ACCESS_DENIED')
      expect(response.headers?.['X-Request-ID']).toBeTruthy()
      expect(domain.readThing).not.toHaveBeenCalled()
    })
  }

  it('accepts a token up to 60 seconds past its expiry (clock skew)', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = await signer.token({}, { issuedAt: now - 330, expiresIn: 300 })
    expect((await call(stack().handler, readThing(token))).statusCode).toBe(200)
  })

  it('answers 429 with Retry-After when the organisation is over its limit', async () => {
    // Prepare
    const limiter: RateLimiter = { consume: async () => ({ allowed: false, retryAfterSeconds: 17 }) }
    const { handler, domain } = stack({ rateLimiter: limiter })
    // Act
    const response = await call(handler, readThing(await signer.token()))
    // Assess
    expect(response.statusCode).toBe(429)
    expect(codeOf(response.json)).toBe('TOO_MANY_REQUESTS')
    expect(response.headers?.['Retry-After']).toBe('17')
    expect(domain.readThing).not.toHaveBeenCalled()
  })
})

describe('request bodies', () => {
  const create = async (body: string, contentType = 'application/fhir+json') => ({
    method: 'POST',
    resource: '/Thing',
    path: '/Thing',
    headers: {
      Authorization: `Bearer ${await signer.token({ scope: 'pointer.write' })}`,
      'Content-Type': contentType,
    },
    body,
  })

  it('parses a FHIR JSON body', async () => {
    const response = await call(stack().handler, await create('{"resourceType":"Basic"}'))
    expect(response.statusCode).toBe(201)
    expect(response.json).toEqual({ resourceType: 'Basic' })
  })

  it('refuses malformed JSON with 400 and no stack trace', async () => {
    const response = await call(stack().handler, await create('{"resourceType":'))
    expect(response.statusCode).toBe(400)
    expect(codeOf(response.json)).toBe('MESSAGE_NOT_WELL_FORMED')
    expect(response.body).not.toMatch(/at .+:\d+:\d+|SyntaxError/)
  })

  it('refuses a body that is not JSON with 415', async () => {
    const response = await call(stack().handler, await create('<Basic/>', 'application/xml'))
    expect(response.statusCode).toBe(415)
    expect(codeOf(response.json)).toBe('UNSUPPORTED_MEDIA_TYPE')
  })

  it('refuses a body over the limit with 413', async () => {
    const huge = JSON.stringify({ resourceType: 'Basic', text: 'x'.repeat(MAX_BODY_BYTES) })
    const response = await call(stack().handler, await create(huge))
    expect(response.statusCode).toBe(413)
    expect(codeOf(response.json)).toBe('PAYLOAD_TOO_LARGE')
  })

  it('refuses deeply nested JSON without failing', async () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`
    const response = await call(stack().handler, await create(deep))
    expect(response.statusCode).toBeLessThan(500)
  })
})

describe('errors', () => {
  it('turns an unexpected error into a 500 OperationOutcome without a stack trace or patient data', async () => {
    // Act
    const response = await call(stack().handler, {
      method: 'GET',
      resource: '/Explode',
      path: '/Explode',
      headers: { Authorization: `Bearer ${await signer.token()}` },
    })
    // Assess
    expect(response.statusCode).toBe(500)
    expect(codeOf(response.json)).toBe('INTERNAL_SERVER_ERROR')
    expect(response.body).not.toContain('/var/task')
    expect(response.body).not.toContain('9000000009')
    expect(response.body).not.toContain('boom')
  })

  it('answers a FhirError with its code, status and headers', async () => {
    // Prepare
    const { handler, domain } = stack()
    domain.readThing.mockRejectedValueOnce(new FhirError('RESOURCE_NOT_FOUND'))
    // Act
    const response = await call(handler, readThing(await signer.token()))
    // Assess
    expect(response.statusCode).toBe(404)
    expect(codeOf(response.json)).toBe('RESOURCE_NOT_FOUND')
  })

  it('answers 404 for a route the function does not serve', async () => {
    const response = await call(stack().handler, { method: 'GET', resource: '/Nothing', path: '/Nothing' })
    expect(response.statusCode).toBe(404)
    expect(codeOf(response.json)).toBe('NOT_FOUND')
  })
})
