import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { authenticateCaller } from '../../functions/shared/auth'
import { FhirError } from '../../functions/shared/errors'
import { routedHttpHandler } from '../../functions/shared/http'
import type { AuditEntry, OrganisationAuditEntry, RateLimiter } from '../../functions/shared/ports'
import { DynamoDbRefusalAuditBudget, REFUSALS_AUDITED_PER_MINUTE } from '../../functions/shared/rate-limit'
import type { RouteDeclaration } from '../../infra/routes'
import { lambdaContext, proxyEvent } from '../support/events'
import { type TestSigner, testIcs, testSigner } from '../support/tokens'

// Security review, finding 6: a 401 or 403 on a named patient left no trace (and logs redact
// NHS numbers, so nothing could tie the attempt to the patient); an organisation-wide
// withdrawal wrote no audit record.

const PATIENT = '9000000009'
const routes: RouteDeclaration[] = [
  {
    operationId: 'readPatient',
    method: 'GET',
    path: '/Patient/{nhsNumber}',
    function: 'patientLookup',
    scope: 'patient.read',
    summary: 'read',
    fhir: { resource: 'Patient', interaction: 'read' },
    patientAt: { in: 'path', name: 'nhsNumber' },
  },
  {
    operationId: 'searchPointers',
    method: 'GET',
    path: '/DocumentReference',
    function: 'patientIndexApi',
    scope: 'record.read',
    summary: 'search',
    fhir: { resource: 'DocumentReference', interaction: 'search-type' },
    patientAt: { in: 'query', name: 'subject:identifier' },
  },
  {
    operationId: 'registerPointer',
    method: 'POST',
    path: '/DocumentReference',
    function: 'patientIndexApi',
    scope: 'pointer.write',
    summary: 'register',
    fhir: { resource: 'DocumentReference', interaction: 'create' },
    hasBody: true,
    patientAt: { in: 'body' },
  },
  {
    operationId: 'withdrawPointers',
    method: 'DELETE',
    path: '/DocumentReference',
    function: 'patientIndexApi',
    scope: 'pointer.write',
    summary: 'withdraw',
    fhir: { resource: 'DocumentReference', interaction: 'delete' },
    patientAt: { in: 'query', name: 'subject:identifier' },
  },
]

const ics = testIcs()
let signer: TestSigner
let audit: AuditEntry[]
let organisationAudit: OrganisationAuditEntry[]

beforeAll(async () => {
  signer = await testSigner(ics)
})
beforeEach(() => {
  audit = []
  organisationAudit = []
})

function stack(
  options: { rateLimiter?: RateLimiter; refusalBudget?: DynamoDbRefusalAuditBudget; clock?: () => Date } = {},
) {
  const domain = {
    readPatient: vi.fn(async () => {
      throw new FhirError('RESOURCE_NOT_FOUND')
    }),
    searchPointers: vi.fn(async () => ({ status: 200, body: { resourceType: 'Bundle' } })),
    registerPointer: vi.fn(async () => {
      throw new FhirError('AUTHOR_CREDENTIALS_ERROR', 'not yours', { patient: '9000000017' })
    }),
    withdrawPointers: vi.fn(async () => ({
      status: 202,
      body: { resourceType: 'OperationOutcome', issue: [] },
      audit: [],
      organisationAudit: [
        { organisation: 'NX001', action: 'D' as const, entities: ['DocumentReference?custodian'] },
      ],
    })),
  }
  return routedHttpHandler('test', routes, domain, {
    ics: () => ics,
    authenticate: (token, config) => authenticateCaller(token, config, signer.keySet),
    rateLimiter: options.rateLimiter,
    refusalBudget: options.refusalBudget,
    ...(options.clock ? { clock: options.clock } : {}),
    audit: {
      append: async (entries) => void audit.push(...entries),
      appendForOrganisation: async (entries) => void organisationAudit.push(...entries),
    },
  })
}

const readPatient = (headers: Record<string, string> = {}) =>
  proxyEvent({
    method: 'GET',
    resource: '/Patient/{nhsNumber}',
    path: `/Patient/${PATIENT}`,
    pathParameters: { nhsNumber: PATIENT },
    headers,
  })

describe('refused attempts on patient data', () => {
  it('audits a 401 without a token as an unauthenticated attempt on the patient', async () => {
    // Act
    const result = await stack()(readPatient(), lambdaContext())

    // Assess
    expect(result.statusCode).toBe(401)
    expect(audit).toHaveLength(1)
    expect(audit[0]).toMatchObject({
      patient: PATIENT,
      action: 'R',
      entities: [],
      operation: 'readPatient',
      status: 401,
      outcomeCode: 'ACCESS_DENIED',
      caller: { kind: 'unauthenticated', organisation: '', scopes: [] },
    })
  })

  it('records what an expired token claimed, unverified', async () => {
    const expired = await signer.token(
      { requesting_organization: 'RX9', sub: 'dr-x' },
      { issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresIn: 60 },
    )

    await stack()(readPatient({ Authorization: `Bearer ${expired}` }), lambdaContext())

    expect(audit[0]?.caller).toMatchObject({
      kind: 'unauthenticated',
      claimed: { organisation: 'RX9', sub: 'dr-x' },
    })
  })

  it('audits a 403 for a missing scope with the caller who tried', async () => {
    const wrongScope = await signer.token({ scope: 'audit.read', sub: 'dr-y' })

    const result = await stack()(readPatient({ Authorization: `Bearer ${wrongScope}` }), lambdaContext())

    expect(result.statusCode).toBe(403)
    expect(audit[0]).toMatchObject({
      patient: PATIENT,
      status: 403,
      caller: { sub: 'dr-y', organisation: 'NX001' },
    })
  })

  it('audits a refusal from the route itself (404) with its outcome', async () => {
    await stack()(readPatient({ Authorization: `Bearer ${await signer.token()}` }), lambdaContext())

    expect(audit[0]).toMatchObject({ patient: PATIENT, status: 404, outcomeCode: 'RESOURCE_NOT_FOUND' })
  })

  it('finds the patient in a query token parameter', async () => {
    await stack()(
      proxyEvent({
        method: 'GET',
        resource: '/DocumentReference',
        path: '/DocumentReference',
        query: { 'subject:identifier': [`https://fhir.nhs.uk/Id/nhs-number|${PATIENT}`] },
      }),
      lambdaContext(),
    )

    expect(audit[0]).toMatchObject({ patient: PATIENT, action: 'E', status: 401 })
  })

  it('finds the patient in a body before the route runs, and takes the one a refusing route names', async () => {
    // Prepare
    const body = JSON.stringify({
      resourceType: 'DocumentReference',
      subject: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: PATIENT } },
    })
    const post = (headers: Record<string, string>) =>
      proxyEvent({
        method: 'POST',
        resource: '/DocumentReference',
        path: '/DocumentReference',
        body,
        headers,
      })

    // Act
    await stack()(post({ 'Content-Type': 'application/fhir+json' }), lambdaContext())
    const writer = await signer.token({ scope: 'pointer.write' })
    await stack()(
      post({ 'Content-Type': 'application/fhir+json', Authorization: `Bearer ${writer}` }),
      lambdaContext(),
    )

    // Assess
    expect(audit.map((entry) => [entry.patient, entry.status])).toEqual([
      [PATIENT, 401],
      ['9000000017', 403],
    ])
  })

  it('audits nothing when no valid NHS number is named, and nothing for 429', async () => {
    // Prepare
    const limited: RateLimiter = { consume: async () => ({ allowed: false, retryAfterSeconds: 5 }) }

    // Act
    await stack()(
      proxyEvent({
        method: 'GET',
        resource: '/Patient/{nhsNumber}',
        path: '/Patient/123',
        pathParameters: { nhsNumber: '123' },
      }),
      lambdaContext(),
    )
    const throttled = await stack({ rateLimiter: limited })(
      readPatient({ Authorization: `Bearer ${await signer.token()}` }),
      lambdaContext(),
    )

    // Assess
    expect(throttled.statusCode).toBe(429)
    expect(audit).toEqual([])
  })

  it('audits an organisation-wide withdrawal in the organisation’s own chain', async () => {
    const writer = await signer.token({ scope: 'pointer.write' })

    await stack()(
      proxyEvent({
        method: 'DELETE',
        resource: '/DocumentReference',
        path: '/DocumentReference',
        headers: { Authorization: `Bearer ${writer}` },
      }),
      lambdaContext(),
    )

    expect(organisationAudit).toEqual([
      expect.objectContaining({
        organisation: 'NX001',
        action: 'D',
        status: 202,
        operation: 'withdrawPointers',
      }),
    ])
  })
})

describe('the refusal budget', () => {
  const dynamo = mockClient(DynamoDBDocumentClient)
  let counters: Map<string, number>

  beforeEach(() => {
    dynamo.reset()
    counters = new Map()
    dynamo.on(UpdateCommand).callsFake((input: { Key: { pk: string } }) => {
      const next = (counters.get(input.Key.pk) ?? 0) + 1
      counters.set(input.Key.pk, next)
      return { Attributes: { refusals: next } }
    })
  })

  const budget = () =>
    new DynamoDbRefusalAuditBudget(
      DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-2' })),
      'limits',
    )

  it('records the first refusals on a patient in a minute, summarises once, then skips without writes', async () => {
    // Prepare
    const refusals = budget()
    const now = new Date('2026-11-21T12:00:10Z')

    // Act
    const answers: string[] = []
    for (let i = 0; i < REFUSALS_AUDITED_PER_MINUTE + 30; i++)
      answers.push(await refusals.admit(PATIENT, now))

    // Assess
    expect(answers.slice(0, REFUSALS_AUDITED_PER_MINUTE).every((answer) => answer === 'record')).toBe(true)
    expect(answers[REFUSALS_AUDITED_PER_MINUTE]).toBe('summarise')
    expect(answers.slice(REFUSALS_AUDITED_PER_MINUTE + 1).every((answer) => answer === 'skip')).toBe(true)
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(REFUSALS_AUDITED_PER_MINUTE + 1)
    expect(await refusals.admit(PATIENT, new Date('2026-11-21T12:01:00Z'))).toBe('record')
  })

  it('caps what a flood of tokenless requests adds to one patient’s chain', async () => {
    // Prepare
    const handler = stack({ refusalBudget: budget(), clock: () => new Date('2026-11-21T12:00:10Z') })

    // Act: 100 requests without a token, in one minute
    for (let i = 0; i < 100; i++) await handler(readPatient(), lambdaContext())

    // Assess
    expect(audit).toHaveLength(REFUSALS_AUDITED_PER_MINUTE + 1)
    expect(audit.at(-1)?.outcomeCode).toBe('FURTHER_REFUSALS_NOT_RECORDED')
  })
})
