import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { APIGatewayProxyResult } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { DynamoDbPatientCache } from '../../functions/shared/patients/DynamoDbPatientCache'
import { tables } from '../../infra/tables'
import type { IcsRuntimeConfig } from '../../schemas/ics-config'
import { createDeclaredTables, type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/local/dynamodb'
import { lambdaContext, proxyEvent } from '../support/events'
import { startTestIssuer } from '../support/jwks-server'
import { type FakePlatform, fakePdsPatient, startFakePlatform } from '../support/nhs-api-platform'

// `pds.source: national-with-cache` end to end in the PDS lookup handler: the NHS API platform
// token exchange (fake platform), the national PDS (fake), the ICS's patients table (dynalite)
// as a read-through cache with a TTL, and the credentials from Secrets Manager (mocked).
const SECRET = 'joinup/demo/nhs-api-platform'
const TTL_SECONDS = 3600
const secrets = mockClient(SecretsManagerClient)
let dynamo: LocalDynamoDb
let platform: FakePlatform
let issuer: Awaited<ReturnType<typeof startTestIssuer>>
let cache: DynamoDbPatientCache
let handler: (
  event: ReturnType<typeof proxyEvent>,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>

beforeAll(async () => {
  dynamo = await startLocalDynamoDb()
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })
  const names = await createDeclaredTables(client, 'demo')
  platform = await startFakePlatform()
  for (const nhsNumber of ['9000000009', '9000000017', '9000000025'])
    platform.patients.set(nhsNumber, fakePdsPatient(nhsNumber))
  platform.patients.set('9000000033', fakePdsPatient('9000000033', { restricted: true }))
  // A superseded number: PDS answers it with the record that replaced it.
  platform.patients.set('9000000041', fakePdsPatient('9000000025'))
  issuer = await startTestIssuer()
  const ics: IcsRuntimeConfig = {
    ...issuer.ics,
    pds: {
      source: 'national-with-cache',
      baseUrl: platform.pdsBaseUrl,
      auth: { tokenUrl: platform.tokenUrl, secret: SECRET },
      cacheTtlSeconds: TTL_SECONDS,
    },
  }
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'eu-west-2',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ICS_CONFIG: JSON.stringify(ics),
    POWERTOOLS_METRICS_DISABLED: 'true',
  })
  for (const [table, name] of Object.entries(names))
    process.env[tables[table as keyof typeof tables].envVar] = name
  cache = new DynamoDbPatientCache(DynamoDBDocumentClient.from(client), names.patients)
  handler = (await import('../../functions/patient-lookup/handler')).handler
})

afterAll(async () => {
  await issuer.close()
  await platform.close()
  await dynamo.close()
})

beforeEach(() => {
  secrets.reset()
  secrets
    .on(GetSecretValueCommand, { SecretId: SECRET })
    .resolves({ SecretString: JSON.stringify(platform.credentials) })
  platform.pdsOutage = undefined
  platform.refusals.length = 0
})

afterEach(() => vi.useRealTimers())

async function get(path: string, query: Record<string, string[]> = {}) {
  const nhsNumber = /\/Patient\/(\d+)$/.exec(path)?.[1]
  const result = await handler(
    proxyEvent({
      method: 'GET',
      resource: nhsNumber ? '/Patient/{nhsNumber}' : '/Patient',
      path,
      query,
      ...(nhsNumber ? { pathParameters: { nhsNumber } } : {}),
      headers: { Authorization: `Bearer ${await issuer.token({ scope: 'patient.read' })}` },
    }),
    lambdaContext(),
  )
  return {
    status: result.statusCode,
    headers: result.headers ?? {},
    body: JSON.parse(result.body) as Record<string, unknown>,
  }
}

const readsOf = (nhsNumber: string) =>
  platform.pdsCalls.filter((call) => call.path.endsWith(`/Patient/${nhsNumber}`)).length

describe('PDS lookup with pds.source national-with-cache', () => {
  it('reads a patient from the national PDS once, then from the ICS’s table until the copy expires', async () => {
    // Act
    const first = await get('/Patient/9000000009')
    const second = await get('/Patient/9000000009')

    // Assess
    expect(first.status).toBe(200)
    expect(second.body).toEqual(first.body)
    expect(readsOf('9000000009')).toBe(1)
    const stored = await cache.get('9000000009')
    expect(stored?.status).toBe('active')
    expect(stored?.expiresAt).toBeGreaterThan(Date.now() / 1000 + TTL_SECONDS - 60)
  })

  it('asks the national PDS again once the copy is older than the TTL', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['Date'] })
    await get('/Patient/9000000017')

    // Act
    vi.setSystemTime(Date.now() + (TTL_SECONDS + 1) * 1000)
    await get('/Patient/9000000017')

    // Assess
    expect(readsOf('9000000017')).toBe(2)
  })

  it('remembers a superseded number as a link to the record that replaced it', async () => {
    // Act
    const first = await get('/Patient/9000000041')
    const second = await get('/Patient/9000000041')

    // Assess
    expect(first.body.id).toBe('9000000025')
    expect(second.body.id).toBe('9000000025')
    expect(readsOf('9000000041')).toBe(1)
    expect(await cache.get('9000000041')).toMatchObject({ status: 'superseded', supersededBy: '9000000025' })
  })

  it('never stores a restricted (S-flag) patient', async () => {
    await get('/Patient/9000000033')
    await get('/Patient/9000000033')
    expect(readsOf('9000000033')).toBe(2)
    expect(await cache.get('9000000033')).toBeUndefined()
  })

  it('sends every search to the national PDS and stores none of its results', async () => {
    // Act
    const query = { family: ['Smith'], birthdate: ['eq2010-10-22'] }
    const before = platform.pdsCalls.length
    const searched = await get('/Patient', query)
    await get('/Patient', query)

    // Assess
    expect(searched.status).toBe(200)
    expect(searched.body.resourceType).toBe('Bundle')
    expect(platform.pdsCalls.length - before).toBe(2)
  })

  it('answers 404 for a number PDS does not know, and stores nothing', async () => {
    const missing = await get('/Patient/4857773457')
    expect(missing.status).toBe(404)
    expect(await cache.get('4857773457')).toBeUndefined()
  })

  it('answers from the table during a PDS outage, and 503 with Retry-After for what it does not hold', async () => {
    // Prepare
    await get('/Patient/9000000009')
    platform.pdsOutage = 503

    // Act
    const held = await get('/Patient/9000000009')
    const unheld = await get('/Patient/9000000068')

    // Assess
    expect(held.status).toBe(200)
    expect(unheld.status).toBe(503)
    expect(unheld.headers['Retry-After']).toBe('5')
    expect(JSON.stringify(unheld.body)).toContain('SERVICE_UNAVAILABLE')
  })

  it('reads its NHS API platform key from the configured secret', async () => {
    // The handler's credentials are cached for 15 minutes: a fresh number needs PDS, not the secret again.
    expect((await get('/Patient/9000000009')).status).toBe(200)
    expect(platform.assertions.length).toBeGreaterThan(0)
    expect(platform.refusals).toEqual([])
    expect(platform.pdsCalls.every((call) => call.authorization?.startsWith('Bearer '))).toBe(true)
  })
})
