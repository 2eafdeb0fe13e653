import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import type { APIGatewayProxyResult } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { GENESIS_HASH } from '../../functions/shared/audit/chain'
import { OperationOutcome } from '../../schemas/fhir/OperationOutcome'
import { DEMO_PATIENTS, demoPatientRecords } from '../../scripts/seed/demoPatients'
import { lambdaContext, proxyEvent } from '../support/events'
import { startTestIssuer } from '../support/jwks-server'

// The PDS lookup handler end to end in-process, with DynamoDB mocked (aws-sdk-client-mock):
// every PDS error case with its status, OperationOutcome code and headers.
const dynamo = mockClient(DynamoDBDocumentClient)
const records = new Map(demoPatientRecords().map((record) => [record.nhsNumber, record]))
let issuer: Awaited<ReturnType<typeof startTestIssuer>>
let handler: (
  event: ReturnType<typeof proxyEvent>,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>

function itemOf(nhsNumber: string) {
  const record = records.get(nhsNumber)
  if (!record) return undefined
  if (record.status === 'superseded')
    return { pk: nhsNumber, status: 'superseded', supersededBy: record.supersededBy }
  if (record.status === 'invalidated') return { pk: nhsNumber, status: 'invalidated' }
  return { pk: nhsNumber, status: 'active', resource: JSON.stringify(record.patient) }
}

beforeAll(async () => {
  issuer = await startTestIssuer()
  Object.assign(process.env, {
    ICS_CONFIG: JSON.stringify(issuer.ics),
    PATIENTS_TABLE: 'patients',
    AUDIT_TABLE: 'audit',
    RATE_LIMITS_TABLE: 'rate-limits',
    AWS_REGION: 'eu-west-2',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  })
  handler = (await import('../../functions/patient-lookup/handler')).handler
})

afterAll(() => issuer.close())

/**
 * The audit table as DynamoDB keeps it across requests: the handler remembers the chain heads
 * it wrote, so a mock that forgot them between tests would disagree with what it wrote.
 */
const auditChains = new Map<string, { pk: string; seq: number; hash: string }[]>()

beforeEach(() => {
  // Prepare: the patients table answers from the demo seed; audit and rate limit accept writes.
  dynamo.reset()
  dynamo.on(GetCommand).callsFake((input: { Key: { pk: string } }) => ({ Item: itemOf(input.Key.pk) }))
  dynamo
    .on(QueryCommand, { TableName: 'audit' })
    .callsFake((input: { ExpressionAttributeValues: { ':pk': string } }) => ({
      Items: (auditChains.get(input.ExpressionAttributeValues[':pk']) ?? []).slice(-1),
    }))
  dynamo
    .on(PutCommand)
    .callsFake((input: { TableName: string; Item: { pk: string; seq: number; hash: string } }) => {
      if (input.TableName !== 'audit') return {}
      const chain = auditChains.get(input.Item.pk) ?? []
      if (chain.some((record) => record.seq === input.Item.seq)) {
        throw Object.assign(new Error('The conditional request failed'), {
          name: 'ConditionalCheckFailedException',
        })
      }
      auditChains.set(input.Item.pk, [...chain, input.Item])
      return {}
    })
  dynamo.on(UpdateCommand).resolves({ Attributes: { requests: 1 } })
})

async function read(nhsNumber: string, headers: Record<string, string> = {}) {
  const response = await handler(
    proxyEvent({
      method: 'GET',
      resource: '/Patient/{nhsNumber}',
      path: `/Patient/${nhsNumber}`,
      pathParameters: { nhsNumber },
      headers: { Authorization: `Bearer ${await issuer.token()}`, ...headers },
    }),
    lambdaContext(),
  )
  return { ...response, json: JSON.parse(response.body) as Record<string, unknown> }
}

async function search(query: Record<string, string[]>) {
  const response = await handler(
    proxyEvent({
      method: 'GET',
      resource: '/Patient',
      path: '/Patient',
      query,
      headers: { Authorization: `Bearer ${await issuer.token()}` },
    }),
    lambdaContext(),
  )
  return { ...response, json: JSON.parse(response.body) as Record<string, unknown> }
}

function expectOutcome(json: unknown, code: string) {
  const outcome = OperationOutcome.parse(json)
  expect(outcome.issue[0]?.details?.coding[0]?.code).toBe(code)
}

describe('GET /Patient/{nhsNumber} (handler, DynamoDB mocked)', () => {
  it('returns the PDS-shaped patient with an ETag and both ids', async () => {
    // Act
    const response = await read(DEMO_PATIENTS.registered, { 'X-Correlation-ID': 'corr-42' })
    // Assess
    expect(response.statusCode).toBe(200)
    expect(response.json).toMatchObject({ resourceType: 'Patient', id: DEMO_PATIENTS.registered })
    expect(response.headers?.ETag).toBe('W/"1"')
    expect(response.headers?.['X-Correlation-ID']).toBe('corr-42')
    expect(response.headers?.['X-Request-ID']).toBeTruthy()
  })

  it('audits the read with a conditional put on the patient chain, linked after its head', async () => {
    const head = auditChains.get(`PATIENT#${DEMO_PATIENTS.registered}`)?.at(-1)
    await read(DEMO_PATIENTS.registered)
    const puts = dynamo.commandCalls(PutCommand).map((call) => call.args[0].input)
    expect(puts).toHaveLength(1)
    expect(puts[0]).toMatchObject({
      TableName: 'audit',
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: `PATIENT#${DEMO_PATIENTS.registered}`,
        seq: (head?.seq ?? 0) + 1,
        prevHash: head?.hash ?? GENESIS_HASH,
        operation: 'readPatient',
      },
    })
  })

  const errors: [string, string, number, string][] = [
    ['an NHS number failing modulus 11', '9000000008', 400, 'INVALID_RESOURCE_ID'],
    ['nine digits', '900000000', 400, 'INVALID_RESOURCE_ID'],
    ['letters', 'hello', 400, 'INVALID_RESOURCE_ID'],
    ['DESIGN.md\'s "valid" 4857773456, which fails modulus 11', '4857773456', 400, 'INVALID_RESOURCE_ID'],
    ['a valid number nobody holds', DEMO_PATIENTS.neverSeeded, 404, 'RESOURCE_NOT_FOUND'],
  ]
  for (const [name, nhsNumber, status, code] of errors) {
    it(`answers ${status} ${code} for ${name}`, async () => {
      const response = await read(nhsNumber)
      expect(response.statusCode).toBe(status)
      expectOutcome(response.json, code)
      expect(response.headers?.['X-Request-ID']).toBeTruthy()
      expect(response.headers?.['Content-Type']).toMatch(/^application\/fhir\+json/)
    })
  }

  it('returns the newer record for a superseded NHS number', async () => {
    const response = await read(DEMO_PATIENTS.superseded)
    expect(response.statusCode).toBe(200)
    expect(response.json.id).toBe(DEMO_PATIENTS.supersededBy)
  })

  it('removes address, telecom and GP from a restricted patient', async () => {
    const response = await read(DEMO_PATIENTS.restricted)
    expect(response.statusCode).toBe(200)
    expect(response.json).not.toHaveProperty('address')
    expect(response.json).not.toHaveProperty('telecom')
    expect(response.json).not.toHaveProperty('generalPractitioner')
    expect(JSON.stringify(response.json)).not.toContain('NominatedPharmacy')
  })
})

describe('GET /Patient (handler, DynamoDB mocked)', () => {
  beforeEach(() => {
    const smiths = [...records.values()].flatMap((record) =>
      record.status === 'active' && record.patient.name?.[0]?.family === 'Smith'
        ? [{ pk: record.nhsNumber, status: 'active', resource: JSON.stringify(record.patient) }]
        : [],
    )
    dynamo.on(QueryCommand, { TableName: 'patients' }).resolves({ Items: smiths })
  })

  it('returns a searchset Bundle with a score per entry', async () => {
    const response = await search({ family: ['Smith'], given: ['Jane'], birthdate: ['eq2010-10-22'] })
    expect(response.statusCode).toBe(200)
    expect(response.json).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 })
    expect(response.json.entry).toEqual([
      expect.objectContaining({
        search: { mode: 'match', score: 1 },
        fullUrl: `https://api.test/v1/Patient/${DEMO_PATIENTS.registered}`,
      }),
    ])
  })

  it('answers 200 with TOO_MANY_MATCHES when more than _max-results match', async () => {
    const response = await search({
      family: ['Smith'],
      birthdate: ['ge1900-01-01', 'le2030-12-31'],
      '_max-results': ['1'],
    })
    expect(response.statusCode).toBe(200)
    expectOutcome(response.json, 'TOO_MANY_MATCHES')
  })

  const errors: [string, Record<string, string[]>, number, string][] = [
    ['no parameters', {}, 400, 'UNSUPPORTED_SERVICE'],
    ['no date of birth', { family: ['Smith'] }, 400, 'MISSING_VALUE'],
    ['no family name', { birthdate: ['eq2010-10-22'] }, 400, 'INVALID_SEARCH_DATA'],
    ['a bad gender', { family: ['Smith'], birthdate: ['eq2010-10-22'], gender: ['f'] }, 400, 'INVALID_VALUE'],
    ['a bad date', { family: ['Smith'], birthdate: ['22-10-2010'] }, 400, 'INVALID_VALUE'],
    [
      '_max-results 51',
      { family: ['Smith'], birthdate: ['eq2010-10-22'], '_max-results': ['51'] },
      400,
      'INVALID_VALUE',
    ],
    [
      'an unknown parameter',
      { family: ['Smith'], birthdate: ['eq2010-10-22'], year: ['2010'] },
      400,
      'ADDITIONAL_PROPERTIES',
    ],
  ]
  for (const [name, query, status, code] of errors) {
    it(`answers ${status} ${code} for ${name}`, async () => {
      const response = await search(query)
      expect(response.statusCode).toBe(status)
      expectOutcome(response.json, code)
      expect(response.headers?.['X-Request-ID']).toBeTruthy()
    })
  }
})
