import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { APIGatewayProxyResult } from 'aws-lambda'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DynamoDbPatientCache } from '../../functions/shared/patients/DynamoDbPatientCache'
import { tables } from '../../infra/tables'
import { createDeclaredTables, type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/local/dynamodb'
import { DEMO_PATIENTS, demoPatientRecords } from '../../scripts/seed/demoPatients'
import { lambdaContext, proxyEvent } from '../support/events'
import { startTestIssuer } from '../support/jwks-server'

// The DynamoDB adapter and the PDS lookup handler against a real DynamoDB-protocol server
// (in-process dynalite) with the tables built from infra/tables.ts.
let dynamo: LocalDynamoDb
let cache: DynamoDbPatientCache
let issuer: Awaited<ReturnType<typeof startTestIssuer>>
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
  issuer = await startTestIssuer()
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'eu-west-2',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ICS_CONFIG: JSON.stringify(issuer.ics),
  })
  for (const [table, name] of Object.entries(names))
    process.env[tables[table as keyof typeof tables].envVar] = name
  cache = new DynamoDbPatientCache(DynamoDBDocumentClient.from(client), names.patients)
  await cache.putAll(demoPatientRecords())
  handler = (await import('../../functions/patient-lookup/handler')).handler
})

afterAll(async () => {
  await issuer.close()
  await dynamo.close()
})

describe('DynamoDbPatientCache', () => {
  it('reads back what it stored, superseded records included', async () => {
    expect(await cache.get(DEMO_PATIENTS.registered)).toMatchObject({ status: 'active' })
    expect(await cache.get(DEMO_PATIENTS.superseded)).toEqual({
      nhsNumber: DEMO_PATIENTS.superseded,
      status: 'superseded',
      supersededBy: DEMO_PATIENTS.supersededBy,
    })
    expect(await cache.get(DEMO_PATIENTS.neverSeeded)).toBeUndefined()
  })

  it('finds candidates by family prefix within a birth date range, inclusive at both ends', async () => {
    const page = await cache.byFamilyPrefix('SM', '2010-10-22', '2010-10-22', 100)
    expect(page.patients.map((patient) => patient.id)).toEqual(
      expect.arrayContaining([DEMO_PATIENTS.registered, DEMO_PATIENTS.restricted]),
    )
    expect(page.truncated).toBe(false)
  })

  it('reports truncation when more candidates exist than the limit', async () => {
    const page = await cache.byFamilyPrefix('SM', '1900-01-01', '2030-12-31', 2)
    expect(page.patients).toHaveLength(2)
    expect(page.truncated).toBe(true)
  })

  it('finds candidates by birth date, never superseded records', async () => {
    const page = await cache.byBirthDate('1926-01-07', 100)
    expect(page.patients.map((patient) => patient.id)).toEqual([DEMO_PATIENTS.supersededBy])
  })
})

describe('PDS lookup handler against DynamoDB', () => {
  const call = async (input: Parameters<typeof proxyEvent>[0]) => {
    const response = await handler(
      proxyEvent({ ...input, headers: { Authorization: `Bearer ${await issuer.token()}` } }),
      lambdaContext(),
    )
    return { ...response, json: JSON.parse(response.body) as Record<string, unknown> }
  }

  it('reads a patient', async () => {
    const response = await call({
      method: 'GET',
      resource: '/Patient/{nhsNumber}',
      path: `/Patient/${DEMO_PATIENTS.registered}`,
      pathParameters: { nhsNumber: DEMO_PATIENTS.registered },
    })
    expect(response.statusCode).toBe(200)
    expect(response.json.id).toBe(DEMO_PATIENTS.registered)
  })

  it('searches with a wildcard family name and a date range', async () => {
    const response = await call({
      method: 'GET',
      resource: '/Patient',
      path: '/Patient',
      query: { family: ['Smi*'], birthdate: ['ge2010-10-01', 'le2010-10-31'] },
    })
    expect(response.statusCode).toBe(200)
    const ids = (response.json.entry as { resource: { id: string } }[]).map((entry) => entry.resource.id)
    expect(ids).toContain(DEMO_PATIENTS.registered)
  })

  it('finds a misspelt name with a fuzzy search', async () => {
    const response = await call({
      method: 'GET',
      resource: '/Patient',
      path: '/Patient',
      query: { family: ['Smiht'], given: ['Jane'], birthdate: ['eq2010-10-22'], '_fuzzy-match': ['true'] },
    })
    expect(response.statusCode).toBe(200)
    const entries = response.json.entry as { resource: { id: string }; search: { score: number } }[]
    expect(entries[0]?.resource.id).toBe(DEMO_PATIENTS.registered)
    expect(entries[0]?.search.score).toBeLessThan(1)
  })

  it('never returns the restricted patient to a postcode search', async () => {
    const response = await call({
      method: 'GET',
      resource: '/Patient',
      path: '/Patient',
      query: { family: ['Smythe'], birthdate: ['eq2010-10-22'], 'address-postalcode': ['LS2 7EE'] },
    })
    expect(response.json.total).toBe(0)
    expect(response.json).not.toHaveProperty('entry')
  })
})
