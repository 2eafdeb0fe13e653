import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { APIGatewayProxyResult } from 'aws-lambda'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { verifyChain } from '../../functions/shared/audit/chain'
import { DynamoDbAuditTrail } from '../../functions/shared/audit/DynamoDbAuditTrail'
import { isRestricted } from '../../functions/shared/patients/confidentiality'
import { DynamoDbPatientCache } from '../../functions/shared/patients/DynamoDbPatientCache'
import type { AuditEntry } from '../../functions/shared/ports'
import { tables } from '../../infra/tables'
import { createDeclaredTables, type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/local/dynamodb'
import { demoPatientRecords } from '../../scripts/seed/demoPatients'
import { lambdaContext, proxyEvent } from '../support/events'
import { startTestIssuer } from '../support/jwks-server'

// The audited read's hot path against a real DynamoDB-protocol server (in-process dynalite):
// how many DynamoDB calls it makes and how many of them run one after another, counted by a
// middleware on the document client (call order, not timing), and the chain's integrity when
// several instances append to one patient at once.

/** One DynamoDB call: its command, table, and where it started and ended in the order of events. */
interface Call {
  command: string
  table: string
  startedAt: number
  endedAt: number
}

let dynamo: LocalDynamoDb
let client: DynamoDBClient
let auditTable: string
let issuer: Awaited<ReturnType<typeof startTestIssuer>>
let handler: (
  event: ReturnType<typeof proxyEvent>,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>
let calls: Call[] = []
let tick = 0

/** Counts every call a document client makes, in the order they start and end. */
function countCalls(documentClient: DynamoDBDocumentClient, names: Record<string, string>) {
  const tableOf = new Map(Object.entries(names).map(([table, name]) => [name, table]))
  documentClient.middlewareStack.add(
    (next, context) => async (args) => {
      const call: Call = {
        command: (context.commandName ?? '').replace(/Command$/, ''),
        table: tableOf.get((args.input as { TableName?: string }).TableName ?? '') ?? '',
        startedAt: tick++,
        endedAt: Number.POSITIVE_INFINITY,
      }
      calls.push(call)
      try {
        return await next(args)
      } finally {
        call.endedAt = tick++
      }
    },
    { step: 'initialize', name: 'countCalls' },
  )
}

/** The longest run of calls each starting after the previous one ended: the sequential round trips. */
function sequentialRoundTrips(made: Call[]): number {
  const depth = new Map<Call, number>()
  for (const call of [...made].sort((a, b) => a.startedAt - b.startedAt)) {
    const before = made.filter((other) => other.endedAt < call.startedAt).map((other) => depth.get(other)!)
    depth.set(call, 1 + Math.max(0, ...before))
  }
  return Math.max(0, ...depth.values())
}

const readable = demoPatientRecords()
  .filter((record) => record.status === 'active' && !isRestricted(record.patient))
  .map((record) => record.nhsNumber)

async function read(nhsNumber: string): Promise<{ response: APIGatewayProxyResult; answeredAt: number }> {
  const response = await handler(
    proxyEvent({
      method: 'GET',
      resource: '/Patient/{nhsNumber}',
      path: `/Patient/${nhsNumber}`,
      pathParameters: { nhsNumber },
      headers: { Authorization: `Bearer ${await issuer.token()}` },
    }),
    lambdaContext(),
  )
  return { response, answeredAt: tick++ }
}

function entry(patient: string, index: number): AuditEntry {
  return {
    patient,
    action: 'R',
    entities: [`Patient/${patient}`],
    recordedAt: '2026-07-01T09:30:00+01:00',
    requestId: `req-${index}`,
    correlationId: `corr-${index}`,
    operation: 'readPatient',
    caller: { sub: 'app-1', organisation: 'NX001', purposeOfUse: 'directcare', scopes: ['patient.read'] },
    status: 200,
  }
}

async function chainOf(patient: string) {
  const records = []
  for await (const record of new DynamoDbAuditTrail(DynamoDBDocumentClient.from(client), auditTable).all(
    patient,
  ))
    records.push(record)
  return records
}

beforeAll(async () => {
  dynamo = await startLocalDynamoDb()
  client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })
  const names = await createDeclaredTables(client, 'demo')
  auditTable = names.audit
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
  await new DynamoDbPatientCache(DynamoDBDocumentClient.from(client), names.patients).putAll(
    demoPatientRecords(),
  )
  handler = (await import('../../functions/patient-lookup/handler')).handler
  countCalls((await import('../../functions/shared/dynamodb')).documentClient, names)
  // The first request takes the organisation's rate-limit lease (one UpdateItem per lease, not per read).
  await read(readable[0]!)
})

beforeEach(() => {
  calls = []
})

afterAll(async () => {
  await issuer.close()
  await dynamo.close()
})

describe('the audited read (GET /Patient/{nhsNumber})', () => {
  it('reads the chain head in parallel with the patient: two round trips for a chain it has not written', async () => {
    // Act
    const { response, answeredAt } = await read(readable[1]!)

    // Assess
    expect(response.statusCode).toBe(200)
    expect(calls.map((call) => `${call.command} ${call.table}`).sort()).toEqual([
      'GetItem patients',
      'PutItem audit',
      'Query audit',
    ])
    expect(sequentialRoundTrips(calls)).toBe(2)
    const put = calls.find((call) => call.command === 'PutItem')!
    expect(put.endedAt).toBeLessThan(answeredAt)
  })

  it('needs no head Query for a chain it wrote last: one GetItem, then one conditional PutItem', async () => {
    // Prepare
    await read(readable[2]!)
    calls = []

    // Act
    const { response, answeredAt } = await read(readable[2]!)

    // Assess
    expect(response.statusCode).toBe(200)
    expect(calls.map((call) => `${call.command} ${call.table}`)).toEqual([
      'GetItem patients',
      'PutItem audit',
    ])
    expect(sequentialRoundTrips(calls)).toBe(2)
    expect(calls[1]!.endedAt).toBeLessThan(answeredAt)
  })

  it('answers only after its audit record is written', async () => {
    // Act
    const { answeredAt } = await read(readable[3]!)

    // Assess: the last call is the put, and the answer came after it ended
    const last = calls.reduce((latest, call) => (call.endedAt > latest.endedAt ? call : latest))
    expect(`${last.command} ${last.table}`).toBe('PutItem audit')
    expect(last.endedAt).toBeLessThan(answeredAt)
    const records = await chainOf(readable[3]!)
    expect(records.at(-1)).toMatchObject({ operation: 'readPatient', status: 200 })
  })

  it('keeps one unbroken chain when many reads of one patient run at once', async () => {
    // Act
    const responses = await Promise.all(Array.from({ length: 30 }, () => read(readable[4]!)))

    // Assess
    expect(responses.every(({ response }) => response.statusCode === 200)).toBe(true)
    const records = await chainOf(readable[4]!)
    expect(records).toHaveLength(30)
    expect(verifyChain(records)).toEqual({ intact: true, records: 30 })
  })
})

describe('DynamoDbAuditTrail', () => {
  const trail = () => new DynamoDbAuditTrail(DynamoDBDocumentClient.from(client), auditTable)

  it('falls back to one head Query when another instance appended since it last wrote', async () => {
    // Prepare: this instance knows the head at seq 1; another instance appends seq 2
    const patient = readable[5]!
    const mine = trail()
    const theirs = trail()
    await mine.append([entry(patient, 1)])
    await theirs.append([entry(patient, 2)])

    // Act
    await mine.append([entry(patient, 3)])

    // Assess
    const records = await chainOf(patient)
    expect(records.map((record) => record.requestId)).toEqual(['req-1', 'req-2', 'req-3'])
    expect(verifyChain(records)).toEqual({ intact: true, records: 3 })
  })

  it('keeps one unbroken chain when three instances append to one patient at once', async () => {
    // Prepare: each instance has written (and remembers) an early head
    const patient = readable[6]!
    const instances = [trail(), trail(), trail()]
    for (const [index, instance] of instances.entries()) await instance.append([entry(patient, index)])

    // Act: 20 appends from each instance, all at once
    await Promise.all(
      instances.flatMap((instance, index) =>
        Array.from({ length: 20 }, (_, n) => {
          instance.prepare(patient)
          return instance.append([entry(patient, 100 * (index + 1) + n)])
        }),
      ),
    )

    // Assess
    const records = await chainOf(patient)
    expect(records).toHaveLength(63)
    expect(verifyChain(records)).toEqual({ intact: true, records: 63 })
    expect(new Set(records.map((record) => record.requestId)).size).toBe(63)
  })

  it('reads the head again once a remembered head is older than it trusts', async () => {
    // Prepare: a clock this test moves; a trail that trusts a head for 1 s
    let now = 0
    const patient = readable[7]!
    const mine = new DynamoDbAuditTrail(DynamoDBDocumentClient.from(client), auditTable, 1_000, () => now)
    await mine.append([entry(patient, 1)])
    now = 1_001
    calls = []
    const counted = DynamoDBDocumentClient.from(client)
    countCalls(counted, { audit: auditTable })
    const again = new DynamoDbAuditTrail(counted, auditTable, 1_000, () => now)
    await again.append([entry(patient, 2)])
    now = 500_000
    calls = []

    // Act
    again.prepare(patient)
    await again.append([entry(patient, 3)])

    // Assess: prepare read the head (the remembered one was too old), the put linked after it
    expect(calls.map((call) => `${call.command} ${call.table}`)).toEqual(['Query audit', 'PutItem audit'])
    expect(verifyChain(await chainOf(patient))).toEqual({ intact: true, records: 3 })
  })

  it('does not start a new chain when a prefetched head could not be read', async () => {
    // Prepare: a chain of one; a client whose first Query fails
    const patient = readable[8]!
    await trail().append([entry(patient, 1)])
    const flaky = DynamoDBDocumentClient.from(client)
    let failNext = true
    flaky.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand' && failNext) {
          failNext = false
          throw new Error('network down')
        }
        return next(args)
      },
      { step: 'initialize', name: 'failFirstQuery' },
    )
    const mine = new DynamoDbAuditTrail(flaky, auditTable)

    // Act
    mine.prepare(patient)
    await mine.append([entry(patient, 2)])

    // Assess
    expect(verifyChain(await chainOf(patient))).toEqual({ intact: true, records: 2 })
  })
})
