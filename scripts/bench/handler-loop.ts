import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import type { APIGatewayProxyResult } from 'aws-lambda'
import type { TableName } from '../../infra/tables'
import { lambdaContext, proxyEvent } from '../../test/support/events'
import { mintToken } from '../local/dev-keys'
import { demoPatientRecords } from '../seed/demoPatients'
import { startBenchStack } from './bench-stack'
import { profileClockUs } from './profile'

/*
 * The handler-overhead suite's worker, one fresh process per run: the whole local stack in
 * this process (as `npm start` runs it), the PDS lookup handler called directly, and beside
 * it through the very document client the handler uses: the minimal audited read (GetItem,
 * then one conditional PutItem of an audit record of the same size) and a bare GetItem.
 *
 *   --mode measure   handler, minimal audited read and GetItem in turn, then the per-call breakdown
 *   --mode profile   the handler alone for --seconds (run under `node --cpu-prof`)
 */

/** One DynamoDB call the handler made, as the SDK's middleware saw it. */
export interface DynamoDbCall {
  /** e.g. `UpdateItem rateLimits`. */
  call: string
  ms: number
}

export interface HandlerLoopResult {
  handlerMs: number[]
  getItemMs: number[]
  /** The minimal audited read: GetItem, then one conditional PutItem of an audit record. */
  auditedMs: number[]
  /** Every call made during the breakdown pass, in order, and how many requests that pass made. */
  breakdown: { requests: number; calls: DynamoDbCall[]; bareGetItem: DynamoDbCall[]; tokenVerifyMs: number[] }
}

export interface HandlerProfileResult {
  window: { startUs: number; endUs: number }
  requests: number
}

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'measure' },
    result: { type: 'string' },
    iterations: { type: 'string', default: '1500' },
    seconds: { type: 'string', default: '6' },
  },
})
if (!values.result) throw new Error('--result <file> is required')

const { stack, keys, stop: stopStack } = await startBenchStack()
const { handler } = await import('../../functions/patient-lookup/handler')
const { documentClient, tableNameOf } = await import('../../functions/shared/dynamodb')
const { GetCommand } = await import('@aws-sdk/lib-dynamodb')
const { DynamoDbAuditTrail } = await import('../../functions/shared/audit/DynamoDbAuditTrail')
const { MinimalAuditTrail } = await import('./minimal-audit')
const { randomUUID } = await import('node:crypto')
const { isRestricted } = await import('../../functions/shared/patients/confidentiality')
const { authenticate } = await import('../../functions/shared/auth')
const { currentIcs } = await import('../../functions/shared/ics')

const token = await mintToken(keys, {
  org: 'NX001',
  scopes: 'patient.read',
  ics: stack.ics,
})
// Spread over every readable patient, so the audit chains grow as they would in use.
const patients = demoPatientRecords()
  .filter((record) => record.status === 'active' && !isRestricted(record.patient))
  .map((record) => record.nhsNumber)
const patientsTable = tableNameOf('patients')

const eventFor = (nhsNumber: string) =>
  proxyEvent({
    method: 'GET',
    resource: '/Patient/{nhsNumber}',
    path: `/Patient/${nhsNumber}`,
    pathParameters: { nhsNumber },
    headers: { Authorization: `Bearer ${token}` },
  })

async function readThroughHandler(nhsNumber: string): Promise<number> {
  const event = eventFor(nhsNumber)
  const context = lambdaContext()
  const started = performance.now()
  const response: APIGatewayProxyResult = await handler(event, context)
  const elapsed = performance.now() - started
  if (response.statusCode !== 200)
    throw new Error(`handler answered ${response.statusCode}: ${response.body}`)
  return elapsed
}

async function bareGetItem(nhsNumber: string): Promise<number> {
  const command = new GetCommand({ TableName: patientsTable, Key: { pk: nhsNumber } })
  const started = performance.now()
  const { Item } = await documentClient.send(command)
  const elapsed = performance.now() - started
  if (!Item) throw new Error(`no patient ${nhsNumber}`)
  return elapsed
}

const patientAt = (i: number) => patients[i % patients.length]!

await readThroughHandler(patientAt(0))
// The baseline writes what the handler writes: a real record of this route, re-linked.
const template = await new DynamoDbAuditTrail(documentClient, tableNameOf('audit')).head(patientAt(0))
if (!template) throw new Error('the handler wrote no audit record')
const minimalTrail = new MinimalAuditTrail(documentClient, tableNameOf('audit'), { ...template }, 'read')

async function minimalAuditedRead(nhsNumber: string): Promise<number> {
  const command = new GetCommand({ TableName: patientsTable, Key: { pk: nhsNumber } })
  const started = performance.now()
  const { Item } = await documentClient.send(command)
  if (!Item) throw new Error(`no patient ${nhsNumber}`)
  await minimalTrail.append(nhsNumber, randomUUID())
  return performance.now() - started
}

// Warm every path (JIT, the JWKS fetch, keep-alive sockets) before anything is counted.
for (let i = 0; i < 200; i++) {
  await readThroughHandler(patientAt(i))
  await minimalAuditedRead(patientAt(i))
  await bareGetItem(patientAt(i))
}

if (values.mode === 'profile') {
  const endAt = performance.now() + Number(values.seconds) * 1000
  const startUs = profileClockUs()
  let requests = 0
  while (performance.now() < endAt) await readThroughHandler(patientAt(requests++))
  const result: HandlerProfileResult = { window: { startUs, endUs: profileClockUs() }, requests }
  await writeFile(values.result, JSON.stringify(result))
  process.exit(0)
}

const iterations = Number(values.iterations)
const handlerMs: number[] = []
const getItemMs: number[] = []
const auditedMs: number[] = []
for (let i = 0; i < iterations; i++) {
  // Alternate the order, so none always runs right after another's garbage.
  if (i % 2 === 0) {
    handlerMs.push(await readThroughHandler(patientAt(i)))
    auditedMs.push(await minimalAuditedRead(patientAt(i)))
    getItemMs.push(await bareGetItem(patientAt(i)))
  } else {
    getItemMs.push(await bareGetItem(patientAt(i)))
    auditedMs.push(await minimalAuditedRead(patientAt(i)))
    handlerMs.push(await readThroughHandler(patientAt(i)))
  }
}

// The breakdown pass: a timer on the document client's own middleware stack (after the
// timed pass, so it costs the figures above nothing) names and times every call.
const tableOf = new Map(Object.entries(stack.tableNames).map(([table, name]) => [name, table as TableName]))
let calls: DynamoDbCall[] = []
documentClient.middlewareStack.add(
  (next, context) => async (args) => {
    const started = performance.now()
    try {
      return await next(args)
    } finally {
      const table = (args.input as { TableName?: string }).TableName ?? ''
      const command = (context.commandName ?? 'unknown').replace(/Command$/, '')
      calls.push({ call: `${command} ${tableOf.get(table) ?? table}`, ms: performance.now() - started })
    }
  },
  { step: 'initialize', name: 'benchCallTimer', priority: 'high' },
)
const breakdownRequests = Math.min(300, iterations)
for (let i = 0; i < breakdownRequests; i++) await readThroughHandler(patientAt(i))
const handlerCalls = calls
calls = []
for (let i = 0; i < breakdownRequests; i++) await bareGetItem(patientAt(i))
const bareCalls = calls

const ics = currentIcs()
const tokenVerifyMs: number[] = []
for (let i = 0; i < breakdownRequests; i++) {
  const started = performance.now()
  await authenticate(token, ics)
  tokenVerifyMs.push(performance.now() - started)
}

const result: HandlerLoopResult = {
  handlerMs,
  getItemMs,
  auditedMs,
  breakdown: { requests: breakdownRequests, calls: handlerCalls, bareGetItem: bareCalls, tokenVerifyMs },
}
await writeFile(values.result, JSON.stringify(result))
await stopStack()
process.exit(0)
