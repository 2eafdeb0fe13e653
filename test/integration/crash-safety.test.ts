import { randomUUID } from 'node:crypto'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb'
import dynalite from 'dynalite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pointerIdOf } from '../../functions/patient-index/pointers'
import { type AuditRecord, canonicalJson, verifyChain } from '../../functions/shared/audit/chain'
import { localTableName } from '../../infra/tables'
import { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import { RECORD_TYPES, type RecordType } from '../../schemas/fhir/recordTypes'
import { type DevKeys, loadOrCreateDevKeys, mintToken } from '../../scripts/local/dev-keys'
import { startLocalDynamoDb } from '../../scripts/local/dynamodb'
import { DEMO_PATIENTS, testRangeNhsNumbers } from '../../scripts/seed/demoPatients'
import { CrashableProcess, freePort } from '../support/crash'
import { knownToPds } from '../support/pds'

// Crash safety (issue 5, item 7; the guarantee is written down in CRASH-SAFETY.md beside
// this file). `npm start` runs as a child process with DATA_DIR, is SIGKILLed in the middle
// of concurrent writes, and restarted on the same DATA_DIR. The writes are the ones this
// codebase has today: pointer registrations (POST /DocumentReference, 202 once the event is
// on the bus) and audited reads (GET /Patient/{nhs}, 200 once the audit record is appended).
// Appointment bookings and message posts do not exist yet; when they land, they join the load.

const REPO_ROOT = join(import.meta.dirname, '..', '..')
const ICS = 'demo'

/** Each member announces one record type for the patients it registers. */
const HOLDINGS: readonly (readonly [ods: string, recordTypeCode: string])[] = [
  ['Y90001', '824321000000109'], // summary record
  ['Y90002', '887181000000106'], // clinical summary
  ['RX9', '373942005'], // discharge summary
  ['FX001', 'community-pharmacy-record'],
  ['FX002', 'community-pharmacy-record'],
]
const MEMBERS = ['Y90001', 'Y90002', 'RX9', 'FX001', 'FX002', 'NX001']
/** Patients beyond the 100 seeded ones: nobody holds anything about them before the run. */
const REGISTERED_PATIENTS = testRangeNhsNumbers(400).slice(100)
/** Seeded patients the partner app reads during the run: few, so their chains see contention. */
const READ_PATIENTS = [DEMO_PATIENTS.registered, ...testRangeNhsNumbers(100).slice(0, 19)]
const REGISTER_WORKERS = 16
const READ_WORKERS = 6
/**
 * The crash comes once this much has been acknowledged. The deadline is only a backstop for
 * a stack that stopped answering: on a loaded 2-core machine the stack is slower, and the
 * test waits for the same amount of acknowledged work rather than crashing it early.
 */
const KILL_AFTER = { registrations: 200, reads: 100, deadlineMs: 30_000 }

const dataDirs: string[] = []

afterAll(async () => {
  await CrashableProcess.crashAll()
  await Promise.all(dataDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

async function freshDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'joinup-crash-'))
  dataDirs.push(dir)
  return dir
}

function recordType(code: string): RecordType {
  const { aliases: _aliases, ...type } = RECORD_TYPES.find((candidate) => candidate.code === code)!
  return type
}

function registration(nhsNumber: string, ods: string, recordTypeCode: string) {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    type: { coding: [recordType(recordTypeCode)] },
    subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: nhsNumber } },
    custodian: { identifier: { system: ODS_CODE_SYSTEM, value: ods } },
  }
}

interface Pointer {
  resourceType: string
  id: string
  status: string
  type: { coding: { system: string; code: string }[] }
  subject: { identifier: { system: string; value: string } }
  custodian: { identifier: { system: string; value: string } }
}

/** Every current pointer of a patient, following `next` links. */
async function pointersOf(baseUrl: string, nhsNumber: string, token: string): Promise<Pointer[]> {
  const pointers: Pointer[] = []
  let url: string | undefined =
    `${baseUrl}/DocumentReference?subject:identifier=${encodeURIComponent(`${NHS_NUMBER_SYSTEM}|${nhsNumber}`)}`
  while (url) {
    const response = await fetch(url, {
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    })
    expect(response.status, `GET /DocumentReference for ${nhsNumber}`).toBe(200)
    const bundle = (await response.json()) as {
      resourceType: string
      entry?: { resource: Pointer }[]
      link?: { relation: string; url: string }[]
    }
    expect(bundle.resourceType).toBe('Bundle')
    pointers.push(...(bundle.entry ?? []).map((entry) => entry.resource))
    url = bundle.link?.find((link) => link.relation === 'next')?.url
  }
  return pointers
}

/** A pointer as the index must show it: complete, about this patient, from a member, with its stable id. */
function expectWellFormed(pointer: Pointer, nhsNumber: string) {
  expect(pointer).toMatchObject({
    resourceType: 'DocumentReference',
    status: 'current',
    subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: nhsNumber } },
    custodian: { identifier: { system: ODS_CODE_SYSTEM } },
  })
  const ods = pointer.custodian.identifier.value
  expect(MEMBERS).toContain(ods)
  const code = pointer.type.coding[0]?.code ?? ''
  expect(RECORD_TYPES.map((type) => type.code)).toContain(code)
  expect(pointer.id).toBe(pointerIdOf(nhsNumber, ods, code))
}

/** One acknowledged write: the caller saw 202 (registration) or 200 (audited read). */
interface Acknowledged {
  kind: 'registration' | 'read'
  patient: string
  requestId: string
  /** `<nhs>|<ods>|<type code>` for registrations. */
  pointerKey?: string
}

/**
 * Reads every table of the stopped stack through a second dynalite on the same DATA_DIR
 * (the child's DynamoDB endpoint is private to it). Only after the child is gone: LevelDB
 * allows one process per directory.
 */
async function openDataDir(dataDir: string) {
  const dynamo = await startLocalDynamoDb({ path: join(dataDir, 'dynamodb') })
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
  const documents = DynamoDBDocumentClient.from(client)
  const all = async (
    input: Omit<ScanCommand['input'], 'ExclusiveStartKey'> | Omit<QueryCommand['input'], 'ExclusiveStartKey'>,
  ): Promise<Record<string, unknown>[]> => {
    const items: Record<string, unknown>[] = []
    let ExclusiveStartKey: Record<string, unknown> | undefined
    do {
      const page =
        'KeyConditionExpression' in input
          ? await documents.send(new QueryCommand({ ...input, ExclusiveStartKey }))
          : await documents.send(new ScanCommand({ ...input, ExclusiveStartKey }))
      items.push(...(page.Items ?? []))
      ExclusiveStartKey = page.LastEvaluatedKey
    } while (ExclusiveStartKey)
    return items
  }
  return {
    /** A patient's audit chain, oldest first, as `verifyChain` takes it. */
    auditChain: async (nhsNumber: string): Promise<AuditRecord[]> =>
      (
        await all({
          TableName: localTableName(ICS, 'audit'),
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `PATIENT#${nhsNumber}` },
          ConsistentRead: true,
        })
      ).map(({ pk: _pk, ...record }) => record as unknown as AuditRecord),
    /**
     * For every table and global index: the index entries that do not match an item with
     * the index's key attributes, and the items missing from the index (both must be none).
     */
    indexMismatches: async (): Promise<string[]> => {
      const mismatches: string[] = []
      for (const TableName of (await client.send(new ListTablesCommand({}))).TableNames ?? []) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName }))
        const indexes = Table?.GlobalSecondaryIndexes ?? []
        if (indexes.length === 0) continue
        const items = await all({ TableName })
        for (const index of indexes) {
          const keys = (index.KeySchema ?? []).map((key) => key.AttributeName!)
          const expected = new Set(
            items.filter((item) => keys.every((key) => item[key] !== undefined)).map(canonicalJson),
          )
          const actual = new Set((await all({ TableName, IndexName: index.IndexName })).map(canonicalJson))
          const where = `${TableName}/${index.IndexName}`
          for (const entry of actual)
            if (!expected.has(entry))
              mismatches.push(`${where}: entry without its item: ${entry.slice(0, 160)}`)
          for (const entry of expected)
            if (!actual.has(entry))
              mismatches.push(`${where}: item without its entry: ${entry.slice(0, 160)}`)
        }
      }
      return mismatches
    },
    /** Every item of a table. */
    scan: (TableName: string) => all({ TableName, ConsistentRead: true }),
    /** A table's status, as DescribeTable reports it. */
    tableStatus: async (TableName: string) =>
      (await client.send(new DescribeTableCommand({ TableName }))).Table?.TableStatus,
    /** The local bus's own table (scripts/local/event-bus.ts): pending deliveries and acceptance intents. */
    busBacklog: async () => {
      const partition = (pk: string) =>
        all({
          TableName: 'joinup-local-bus',
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
        })
      return {
        pendingDeliveries: (await partition('DELIVERY')).filter((item) => item.status === 'pending').length,
        acceptancesInDoubt: (await partition('INTENT')).length,
      }
    },
    close: async () => {
      client.destroy()
      await dynamo.close()
    },
  }
}

/** What the concurrent load saw before the crash. */
interface LoadOutcome {
  acknowledged: Acknowledged[]
  /** Every registration sent (`<nhs>|<ods>|<type code>`), acknowledged, refused or cut off. */
  attempted: Set<string>
  /** Statuses other than the acknowledgement, by status. */
  refused: Map<number, number>
  inFlightAtKill: number
  killedAfterMs: number
}

/**
 * Registrations from five members and audited reads by a partner app, all concurrent,
 * against `baseUrl`; `crash` is called once enough is acknowledged, with requests in flight.
 */
async function loadUntilCrash(
  baseUrl: string,
  keys: DevKeys,
  crash: () => Promise<void>,
): Promise<LoadOutcome> {
  const writers = new Map(
    await Promise.all(
      HOLDINGS.map(
        async ([ods]) =>
          [ods, await mintToken(keys, { org: ods, scopes: 'pointer.write', ics: ICS })] as const,
      ),
    ),
  )
  const reader = await mintToken(keys, { org: 'NX001', scopes: 'patient.read', ics: ICS })
  const jobs = REGISTERED_PATIENTS.flatMap((patient) =>
    HOLDINGS.map(([ods, code]) => ({ patient, ods, code })),
  )
  const outcome: LoadOutcome = {
    acknowledged: [],
    attempted: new Set(),
    refused: new Map(),
    inFlightAtKill: 0,
    killedAfterMs: 0,
  }
  let inFlight = 0
  let stopping = false
  let nextJob = 0
  let nextRead = 0
  const send = async (path: string, init: RequestInit, requestId: string) => {
    inFlight++
    try {
      const response = await fetch(`${baseUrl}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), 'X-Request-ID': requestId },
      })
      // The status line is the acknowledgement; the body may be cut off by the crash.
      await response.arrayBuffer().catch(() => undefined)
      if (response.status >= 300)
        outcome.refused.set(response.status, (outcome.refused.get(response.status) ?? 0) + 1)
      return response.status
    } catch {
      return undefined // in flight when the stack died: the outcome is unknown to the caller
    } finally {
      inFlight--
    }
  }
  const registerLoop = async () => {
    while (!stopping && nextJob < jobs.length) {
      const { patient, ods, code } = jobs[nextJob++]!
      const pointerKey = `${patient}|${ods}|${code}`
      const requestId = randomUUID()
      outcome.attempted.add(pointerKey)
      const status = await send(
        '/DocumentReference',
        {
          method: 'POST',
          headers: { Authorization: `Bearer ${writers.get(ods)}`, 'Content-Type': 'application/fhir+json' },
          body: JSON.stringify(registration(patient, ods, code)),
        },
        requestId,
      )
      if (status === 202) outcome.acknowledged.push({ kind: 'registration', patient, requestId, pointerKey })
    }
  }
  const readLoop = async () => {
    while (!stopping) {
      const patient = READ_PATIENTS[nextRead++ % READ_PATIENTS.length]!
      const requestId = randomUUID()
      const status = await send(
        `/Patient/${patient}`,
        { headers: { Authorization: `Bearer ${reader}` } },
        requestId,
      )
      if (status === 200) outcome.acknowledged.push({ kind: 'read', patient, requestId })
    }
  }
  const count = (kind: Acknowledged['kind']) =>
    outcome.acknowledged.filter((write) => write.kind === kind).length

  const startedAt = Date.now()
  const load = [
    ...Array.from({ length: REGISTER_WORKERS }, registerLoop),
    ...Array.from({ length: READ_WORKERS }, readLoop),
  ]
  while (
    (count('registration') < KILL_AFTER.registrations || count('read') < KILL_AFTER.reads) &&
    Date.now() - startedAt < KILL_AFTER.deadlineMs
  ) {
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  outcome.inFlightAtKill = inFlight
  outcome.killedAfterMs = Date.now() - startedAt
  const crashed = crash()
  stopping = true
  await crashed
  await Promise.all(load)
  return outcome
}

const pointerKeyOf = (nhsNumber: string, pointer: Pointer) =>
  `${nhsNumber}|${pointer.custodian.identifier.value}|${pointer.type.coding[0]?.code}`

/** Deliveries still pending and event acceptances in doubt, read from a copy of the DATA_DIR. */
async function backlogOf(
  dataDir: string,
): Promise<{ pendingDeliveries: number; acceptancesInDoubt: number }> {
  const copy = await freshDataDir()
  await cp(join(dataDir, 'dynamodb'), join(copy, 'dynamodb'), { recursive: true })
  const disk = await openDataDir(copy)
  try {
    return await disk.busBacklog()
  } finally {
    await disk.close()
    await rm(copy, { recursive: true, force: true })
  }
}

describe('a SIGKILL in the middle of concurrent writes, with DATA_DIR', () => {
  let dataDir: string
  let keys: DevKeys
  let restarted: CrashableProcess
  let baseUrl: string
  let run: LoadOutcome
  /** What the crash left for the restart: read from a copy, so the restart recovers the original itself. */
  let backlog: { pendingDeliveries: number; acceptancesInDoubt: number }
  let restartMs: number
  /** The current pointers of every patient somebody tried to register, once the restart has caught up. */
  const indexed = new Map<string, Pointer[]>()
  let catchUpMs: number
  const lost: { registrations?: number; audited?: number } = {}
  const acknowledgedOf = (kind: Acknowledged['kind']) =>
    run.acknowledged.filter((write) => write.kind === kind)
  /** record.read tokens of every member, taken in turn so no one organisation's rate limit is hit. */
  let searchers: string[] = []
  let searches = 0
  /** Reads the current pointers of `patients` into `indexed`, eight at a time. */
  const readPointers = async (patients: string[]) => {
    for (let start = 0; start < patients.length; start += 8) {
      await Promise.all(
        patients.slice(start, start + 8).map(async (patient) => {
          const token = searchers[searches++ % searchers.length]!
          indexed.set(patient, await pointersOf(baseUrl, patient, token))
        }),
      )
    }
  }
  const presentKeys = () =>
    new Set([...indexed].flatMap(([patient, pointers]) => pointers.map((p) => pointerKeyOf(patient, p))))
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

  beforeAll(async () => {
    // Prepare: a first start on an empty DATA_DIR (it seeds), tokens from the dev key it made there
    dataDir = await freshDataDir()
    const first = CrashableProcess.stack(dataDir, await freePort(), ICS)
    const firstUrl = await first.ready()
    keys = await loadOrCreateDevKeys(dataDir)
    // The index takes pointers only for patients PDS lookup knows: the PDS sync delivers these first.
    await knownToPds(firstUrl, REGISTERED_PATIENTS)
    // Act: concurrent writes; SIGKILL once hundreds are acknowledged; restart on the same DATA_DIR
    run = await loadUntilCrash(firstUrl, keys, () => first.crash())
    backlog = await backlogOf(dataDir)
    const restartedAt = Date.now()
    restarted = CrashableProcess.stack(dataDir, await freePort(), ICS)
    baseUrl = await restarted.ready()
    restartMs = Date.now() - restartedAt
    searchers = await Promise.all(
      MEMBERS.map((ods) => mintToken(keys, { org: ods, scopes: 'record.read', ics: ICS })),
    )
  }, 75_000)

  afterAll(() => {
    if (!run) return
    const registrations = acknowledgedOf('registration').length
    const reads = acknowledgedOf('read').length
    const total =
      lost.registrations === undefined || lost.audited === undefined
        ? 'unknown (a check did not finish)'
        : lost.registrations + lost.audited
    console.log(
      `crash-safety: acknowledged ${registrations + reads} writes (${registrations} registrations, ${reads} audited reads), lost ${total}`,
    )
    console.log(
      `crash-safety: SIGKILL ${run.killedAfterMs} ms into the run with ${run.inFlightAtKill} requests in flight, ` +
        `leaving ${backlog.pendingDeliveries} deliveries pending and ${backlog.acceptancesInDoubt} acceptances in doubt; ` +
        `restart ready in ${restartMs} ms, every acknowledged pointer found within ${catchUpMs} ms`,
    )
  })

  it('was killed after hundreds of acknowledged writes, with more in flight and none refused', () => {
    // Assess
    expect(acknowledgedOf('registration').length).toBeGreaterThanOrEqual(100)
    expect(acknowledgedOf('read').length).toBeGreaterThanOrEqual(50)
    expect(run.inFlightAtKill).toBeGreaterThan(0)
    expect(Object.fromEntries(run.refused)).toEqual({})
  })

  it('indexes every registration acknowledged with 202: pending deliveries go out after the restart', async () => {
    // Prepare
    const expected = new Map<string, string[]>()
    for (const { patient, pointerKey } of acknowledgedOf('registration'))
      expected.set(patient, [...(expected.get(patient) ?? []), pointerKey!])
    const isComplete = (patient: string) => {
      const present = new Set((indexed.get(patient) ?? []).map((pointer) => pointerKeyOf(patient, pointer)))
      return (expected.get(patient) ?? []).every((key) => present.has(key))
    }
    // Act: read every touched patient's pointers until the acknowledged ones are all there
    const startedAt = Date.now()
    let pending = [...new Set([...run.attempted].map((key) => key.split('|')[0]!))]
    for (let round = 0; pending.length > 0 && Date.now() - startedAt < 15_000; round++) {
      if (round > 0) await sleep(200)
      await readPointers(pending)
      pending = pending.filter((patient) => !isComplete(patient))
    }
    catchUpMs = Date.now() - startedAt
    // Assess
    const present = presentKeys()
    const missing = acknowledgedOf('registration').filter((write) => !present.has(write.pointerKey!))
    lost.registrations = missing.length
    expect(missing.map((write) => write.pointerKey)).toEqual([])
  })

  it('dead-letters nothing, and its bus archive lists exactly the registrations that took effect', async () => {
    // Act
    const deadLetters = (await (await fetch(`${baseUrl}/_local/dead-letters`)).json()) as unknown[]
    const archived = (await (
      await fetch(`${baseUrl}/_local/events?detail-type=RecordHolderRegistered&limit=1000000`)
    ).json()) as {
      detail: { data: { nhsNumber: string; holderOds: string; recordType: { code: string } } }
    }[]
    const archivedKeys = new Set(
      archived
        .map(({ detail: { data } }) => `${data.nhsNumber}|${data.holderOds}|${data.recordType.code}`)
        .filter((key) => run.attempted.has(key)),
    )
    // A registration cut off by the crash may take effect after its patient was first read: read again.
    for (let round = 0; round < 25; round++) {
      const present = presentKeys()
      const behind = [...archivedKeys].filter((key) => !present.has(key)).map((key) => key.split('|')[0]!)
      if (behind.length === 0) break
      await sleep(200)
      await readPointers([...new Set(behind)])
    }
    // Assess
    expect(deadLetters).toEqual([])
    expect(presentKeys()).toEqual(archivedKeys)
  })

  it('shows only well-formed pointers, each one that somebody registered', () => {
    // Assess
    expect(indexed.size).toBeGreaterThan(0)
    for (const [patient, pointers] of indexed) {
      for (const pointer of pointers) {
        expectWellFormed(pointer, patient)
        // Acknowledged, or cut off by the crash after its event was accepted: never from nowhere.
        expect(run.attempted).toContain(pointerKeyOf(patient, pointer))
      }
    }
  })

  describe('on disk, once the restarted stack is killed too', () => {
    let disk: Awaited<ReturnType<typeof openDataDir>>

    beforeAll(async () => {
      await restarted.crash()
      disk = await openDataDir(dataDir)
    })
    afterAll(() => disk?.close())

    it("keeps every acknowledged request in its patient's audit chain, and every chain verifies", async () => {
      // Prepare
      const byPatient = new Map<string, Acknowledged[]>()
      for (const write of run.acknowledged)
        byPatient.set(write.patient, [...(byPatient.get(write.patient) ?? []), write])
      let missing = 0
      for (const [patient, writes] of byPatient) {
        // Act
        const chain = await disk.auditChain(patient)
        // Assess
        expect(verifyChain(chain), `audit chain of ${patient}`).toMatchObject({ intact: true })
        const recorded = new Set(chain.map((record) => record.requestId))
        missing += writes.filter((write) => !recorded.has(write.requestId)).length
      }
      lost.audited = missing
      expect(missing).toBe(0)
    })

    it('has no index entry without its item, and no item without its index entries', async () => {
      // Act
      const mismatches = await disk.indexMismatches()
      // Assess
      expect(mismatches).toEqual([])
    })
  })
})

/**
 * The child of the local DynamoDB test: 64 concurrent writers put items carrying a global
 * index key, move them to another index key, delete every third, and print `ACK <key>` once
 * all of an item's writes are acknowledged.
 */
const INDEX_WRITER = `
const { startLocalDynamoDb } = await import(process.env.DYNAMODB_MODULE)
const sdk = await import('@aws-sdk/client-dynamodb')
const db = await startLocalDynamoDb({ path: process.env.DYNAMODB_PATH })
const client = new sdk.DynamoDBClient({
  endpoint: db.endpoint,
  region: 'eu-west-2',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
})
const TableName = 'crash-probe'
await client.send(new sdk.CreateTableCommand({
  TableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'holder', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  GlobalSecondaryIndexes: [{
    IndexName: 'byHolder',
    KeySchema: [{ AttributeName: 'holder', KeyType: 'HASH' }, { AttributeName: 'pk', KeyType: 'RANGE' }],
    Projection: { ProjectionType: 'ALL' },
  }],
}))
await new Promise((resolve) => setTimeout(resolve, 20))
console.log('READY')
const padding = { S: 'x'.repeat(2000) }
let next = 0
async function writer() {
  for (;;) {
    const n = next++
    const pk = { S: 'item-' + n }
    await client.send(new sdk.PutItemCommand({ TableName, Item: { pk, holder: { S: 'A' }, version: { N: '1' }, padding } }))
    await client.send(new sdk.UpdateItemCommand({
      TableName,
      Key: { pk },
      UpdateExpression: 'SET holder = :b, version = :v',
      ExpressionAttributeValues: { ':b': { S: 'B' }, ':v': { N: '2' } },
    }))
    if (n % 3 === 0) await client.send(new sdk.DeleteItemCommand({ TableName, Key: { pk } }))
    console.log('ACK ' + pk.S)
  }
}
for (let i = 0; i < 64; i++) writer()
`

describe('the local DynamoDB on disk, SIGKILLed in the middle of writes', () => {
  it('writes each item with its index entries all or nothing, and keeps every acknowledged write', async () => {
    // Prepare
    const dataDir = await freshDataDir()
    const writer = CrashableProcess.run(['--input-type=module', '-e', INDEX_WRITER], {
      DYNAMODB_PATH: join(dataDir, 'dynamodb'),
      DYNAMODB_MODULE: pathToFileURL(join(REPO_ROOT, 'scripts/local/dynamodb.ts')).href,
    })
    await writer.waitFor(/^READY$/m)
    // Act: SIGKILL once 400 items are acknowledged, with 64 writers busy
    await writer.waitUntil((output) => output.split('\nACK ').length > 400, '400 acknowledged items')
    await writer.crash()
    const acknowledged = writer.lines('ACK ')
    const disk = await openDataDir(dataDir)
    try {
      // Assess
      expect(await disk.indexMismatches()).toEqual([])
      const items = new Map((await disk.scan('crash-probe')).map((item) => [item.pk as string, item]))
      for (const pk of acknowledged) {
        if (Number(pk.slice('item-'.length)) % 3 === 0) expect(items.has(pk), pk).toBe(false)
        else expect(items.get(pk), pk).toMatchObject({ holder: 'B', version: 2 })
      }
    } finally {
      await disk.close()
    }
  })
})

describe('the local DynamoDB on disk, killed while creating a table', () => {
  it('finishes the creation at the next start, so the table is not refused for ever', async () => {
    // Prepare: a table left CREATING on disk, as a kill between dynalite's two writes leaves it
    const dataDir = await freshDataDir()
    const interrupted = dynalite({ path: join(dataDir, 'dynamodb'), createTableMs: 2_000 })
    await new Promise<void>((resolve) => interrupted.listen(0, '127.0.0.1', resolve))
    const address = interrupted.address() as AddressInfo
    const client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${address.port}`,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    })
    await client.send(
      new CreateTableCommand({
        TableName: 'crash-probe',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    )
    client.destroy()
    await new Promise((resolve) => interrupted.close(resolve))
    // Act
    const disk = await openDataDir(dataDir)
    try {
      // Assess
      expect(await disk.tableStatus('crash-probe')).toBe('ACTIVE')
      expect(await disk.scan('crash-probe')).toEqual([])
    } finally {
      await disk.close()
    }
  })
})

describe('crash safety of the first start (SIGKILL during the demo seed)', () => {
  let baseUrl: string
  let token: string

  beforeAll(async () => {
    // Prepare: an empty DATA_DIR
    const dataDir = await freshDataDir()
    const first = CrashableProcess.stack(dataDir, await freePort(), ICS)
    // Act: killed as soon as the patients are written, while their record holders are being published
    await first.waitFor(/Seeded \d+ synthetic patients/)
    await first.crash()
    const restarted = CrashableProcess.stack(dataDir, await freePort(), ICS)
    baseUrl = await restarted.ready()
    token = await mintToken(await loadOrCreateDevKeys(dataDir), {
      org: 'NX001',
      scopes: 'patient.read record.read',
      ics: ICS,
    })
  }, 40_000)

  it('comes back up on the same DATA_DIR and serves the demo patient 9000000009', async () => {
    // Assess
    const response = await fetch(`${baseUrl}/Patient/${DEMO_PATIENTS.registered}`, {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(response.status).toBe(200)
  })

  // The seed is finished by a start that finds it cut short: scripts/seed/seedDemo.ts writes its
  // completion marker last (checking for the first demo patient instead left a seed killed
  // after the first batch unfinished for ever: patients missing, holders never published).
  it('finishes the interrupted seed: 9000000009 has its holders and every demo patient is there', async () => {
    // Assess
    const lastGenerated = testRangeNhsNumbers(100).at(-1)!
    const patient = await fetch(`${baseUrl}/Patient/${lastGenerated}`, {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(patient.status).toBe(200)
    const deadline = Date.now() + 5_000
    let holders: string[] = []
    do {
      holders = (await pointersOf(baseUrl, DEMO_PATIENTS.registered, token))
        .map((pointer) => pointer.custodian.identifier.value)
        .sort()
      if (holders.length >= 2) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    } while (Date.now() < deadline)
    expect(holders).toEqual(['RX9', 'Y90001'])
  })
})
