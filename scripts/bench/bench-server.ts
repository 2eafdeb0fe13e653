import { createServer } from 'node:http'
import { mintToken } from '../local/dev-keys'
import { demoPatientRecords } from '../seed/demoPatients'
import { listenBare, startBenchStack } from './bench-stack'
import { announce, exitWithParent } from './processes'

/*
 * The servers the gateway and latency suites load, in one process of their own (the load
 * generator runs in the bench process, on the other core):
 *
 * - the local stack as `npm start` runs it (gateway, handlers, bus, dynalite), with the
 *   rate limit lifted so it does not interfere;
 * - the baselines: a bare node:http server in the same process doing the same storage call
 *   through the same document client against the same dynalite, and nothing else; under
 *   `/audited` the same, then one conditional PutItem of an audit record of the same size
 *   as the stack writes for that route (the minimal audited read, minimal-audit.ts).
 */

/** What the bench server tells the bench once it is ready. */
export interface BenchServers {
  stackUrl: string
  bareUrl: string
  /** `patient.read record.read` for NX001. */
  token: string
  /** Unrestricted active patients, each with at least one record holder in the index. */
  patients: string[]
}

const { stack, keys, stop: stopStack } = await startBenchStack()
const { documentClient, tableNameOf } = await import('../../functions/shared/dynamodb')
const { GetCommand, QueryCommand } = await import('@aws-sdk/lib-dynamodb')
const { patientKey } = await import('../../functions/shared/patient-index/DynamoDbPatientIndex')
const { isRestricted } = await import('../../functions/shared/patients/confidentiality')
const { DynamoDbAuditTrail } = await import('../../functions/shared/audit/DynamoDbAuditTrail')
const { MinimalAuditTrail } = await import('./minimal-audit')
const { randomUUID } = await import('node:crypto')

const patientsTable = tableNameOf('patients')
const indexTable = tableNameOf('patientIndex')
const FHIR_JSON = 'application/fhir+json; charset=utf-8'
const NHS_NUMBER_IDENTIFIER = /^https:\/\/fhir\.nhs\.uk\/Id\/nhs-number\|(\d{10})$/

const token = await mintToken(keys, {
  org: 'NX001',
  scopes: 'patient.read record.read',
  ics: stack.ics,
})
const patients = demoPatientRecords()
  .filter((record) => record.status === 'active' && !isRestricted(record.patient))
  .map((record) => record.nhsNumber)

// The minimal audited baselines write records of the size the stack writes: one real record per route.
const auditTable = tableNameOf('audit')
const reader = new DynamoDbAuditTrail(documentClient, auditTable)
async function templateOf(path: string): Promise<Record<string, unknown>> {
  const answer = await fetch(`${stack.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } })
  if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}`)
  const record = await reader.head(patients[0]!)
  if (!record) throw new Error(`${path} wrote no audit record`)
  return { ...record }
}
const readTrail = new MinimalAuditTrail(
  documentClient,
  auditTable,
  await templateOf(`/Patient/${patients[0]}`),
  'read',
)
const searchTrail = new MinimalAuditTrail(
  documentClient,
  auditTable,
  await templateOf(
    `/DocumentReference?subject:identifier=${encodeURIComponent(`https://fhir.nhs.uk/Id/nhs-number|${patients[0]}`)}`,
  ),
  'search',
)

const bare = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://localhost')
  const send = (status: number, body: string) => {
    response.writeHead(status, { 'Content-Type': FHIR_JSON })
    response.end(body)
  }
  // `/audited/...`: the same storage call, then the audit record's one conditional put, then the answer.
  const audited = url.pathname.startsWith('/audited/')
  const pathname = audited ? url.pathname.slice('/audited'.length) : url.pathname
  const read = /^\/Patient\/(\d{10})$/.exec(pathname)
  if (read) {
    // The patient read's storage call and its JSON, nothing else.
    documentClient
      .send(new GetCommand({ TableName: patientsTable, Key: { pk: read[1] } }))
      .then(async ({ Item }) => {
        if (Item?.resource && audited) await readTrail.append(read[1]!, randomUUID())
        return Item
      })
      .then(
        (Item) =>
          Item?.resource
            ? send(200, JSON.stringify(JSON.parse(Item.resource as string)))
            : send(404, '{"resourceType":"OperationOutcome"}'),
        () => send(500, '{}'),
      )
    return
  }
  const subject = NHS_NUMBER_IDENTIFIER.exec(url.searchParams.get('subject:identifier') ?? '')
  if (pathname === '/DocumentReference' && subject) {
    // The pointer search's storage call (holdersOf's one Query, first page of 20), nothing else.
    documentClient
      .send(
        new QueryCommand({
          TableName: indexTable,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression: '#status = :current',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pk': patientKey(subject[1]!),
            ':prefix': 'HOLDER#',
            ':current': 'current',
          },
          Limit: 20,
        }),
      )
      .then(async ({ Items }) => {
        if (audited) await searchTrail.append(subject[1]!, randomUUID())
        return Items
      })
      .then(
        (Items) => send(200, JSON.stringify(Items ?? [])),
        () => send(500, '{}'),
      )
    return
  }
  send(404, '{}')
})
const bareUrl = await listenBare(bare)

const servers: BenchServers = {
  stackUrl: stack.baseUrl,
  bareUrl,
  token,
  patients,
}

exitWithParent(async () => {
  bare.closeAllConnections()
  bare.close()
  await stopStack()
})
announce(servers)
