import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb'
import { mockClient } from 'aws-sdk-client-mock'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { FhirError } from '../../functions/shared/errors'
import {
  DynamoDbPatientIndex,
  holderKey,
  patientKey,
} from '../../functions/shared/patient-index/DynamoDbPatientIndex'
import type { HolderEntry } from '../../functions/shared/patient-index/HolderEntry'
import { ConcurrentIndexUpdate } from '../../functions/shared/patient-index/PatientIndex'
import { LOCAL_RECORD_TYPES, recordTypeOf, SNOMED } from '../../schemas/fhir/recordTypes'
import { createDeclaredTables, type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/local/dynamodb'
import { testNhsNumbers } from '../support/memory-index'

// The patient index adapter against a real DynamoDB-protocol server (in-process dynalite),
// with the table and its by-holder index built from infra/tables.ts.

const SUMMARY_RECORD = recordTypeOf(SNOMED, '824321000000109')!
const DISCHARGE_SUMMARY = recordTypeOf(SNOMED, '373942005')!
const PHARMACY_RECORD = recordTypeOf(LOCAL_RECORD_TYPES, 'community-pharmacy-record')!
const DECIDED_AT = '2026-05-01T09:00:00.000Z'

let dynamo: LocalDynamoDb
let documents: DynamoDBDocumentClient
let tableName: string
let index: DynamoDbPatientIndex
/** Each test takes NHS numbers no other test uses, so they share one table. */
let spareNumbers: string[]
const patientsFor = (count: number) => spareNumbers.splice(0, count)

function entryOf(
  overrides: Partial<HolderEntry> & Pick<HolderEntry, 'nhsNumber' | 'holderOds'>,
): HolderEntry {
  return {
    recordType: SUMMARY_RECORD,
    endpoint: `https://${overrides.holderOds.toLowerCase()}.example/fhir`,
    status: 'current',
    firstSeenAt: DECIDED_AT,
    lastSeenAt: DECIDED_AT,
    decidedAt: DECIDED_AT,
    decidedBy: `evt-${overrides.nhsNumber}-${overrides.holderOds}`,
    sources: [
      {
        eventId: `evt-${overrides.nhsNumber}-${overrides.holderOds}`,
        occurredAt: DECIDED_AT,
        kind: 'registered',
      },
    ],
    version: 0,
    ...overrides,
  }
}

const removedEntryOf = (overrides: Partial<HolderEntry> & Pick<HolderEntry, 'nhsNumber' | 'holderOds'>) =>
  entryOf({ status: 'removed', removalReason: 'record-deleted', endpoint: undefined, ...overrides })

/** Writes items straight into the table (25 a request), as a seed would. */
async function putDirectly(entries: HolderEntry[]): Promise<void> {
  for (let start = 0; start < entries.length; start += 25) {
    await documents.send(
      new BatchWriteCommand({
        RequestItems: {
          [tableName]: entries.slice(start, start + 25).map((entry) => ({
            PutRequest: {
              Item: {
                ...entry,
                version: 1,
                pk: patientKey(entry.nhsNumber),
                sk: holderKey(entry.holderOds, entry.recordType.code),
              },
            },
          })),
        },
      }),
    )
  }
}

async function refusalOf(promise: Promise<unknown>): Promise<FhirError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(FhirError)
  return error as FhirError
}

beforeAll(async () => {
  dynamo = await startLocalDynamoDb()
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })
  const names = await createDeclaredTables(client, 'demo')
  tableName = names.patientIndex
  documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } })
  index = new DynamoDbPatientIndex(documents, tableName)
  spareNumbers = testNhsNumbers(3000)
})

afterAll(async () => {
  await dynamo.close()
})

describe('DynamoDbPatientIndex', () => {
  describe('entry and save', () => {
    it('reads back what it saved, without its table keys or TTL', async () => {
      // Prepare
      const [patient] = patientsFor(1) as [string]
      const entry = entryOf({ nhsNumber: patient, holderOds: 'Y90001' })

      // Act
      await index.save(entry, 0)
      const stored = await index.entry(patient, 'Y90001', SUMMARY_RECORD.code)

      // Assess
      expect(stored).toEqual({ ...entry, version: 1 })
      expect(stored).not.toHaveProperty('pk')
      expect(stored).not.toHaveProperty('sk')
      expect(stored).not.toHaveProperty('expiresAt')
    })

    it('answers undefined for an entry nobody saved', async () => {
      // Prepare
      const [patient] = patientsFor(1) as [string]

      // Act
      const stored = await index.entry(patient, 'Y90001', SUMMARY_RECORD.code)

      // Assess
      expect(stored).toBeUndefined()
    })

    it('refuses a second create and a write at a stale version with ConcurrentIndexUpdate', async () => {
      // Prepare
      const [patient] = patientsFor(1) as [string]
      const entry = entryOf({ nhsNumber: patient, holderOds: 'RX9' })
      await index.save(entry, 0)
      await index.save({ ...entry, lastSeenAt: '2026-05-02T09:00:00.000Z', version: 1 }, 1)

      // Act
      const createAgain = index.save(entry, 0)
      const stale = index.save({ ...entry, lastSeenAt: '2026-05-03T09:00:00.000Z', version: 1 }, 1)

      // Assess
      await expect(createAgain).rejects.toBeInstanceOf(ConcurrentIndexUpdate)
      await expect(stale).rejects.toBeInstanceOf(ConcurrentIndexUpdate)
      expect(await index.entry(patient, 'RX9', SUMMARY_RECORD.code)).toMatchObject({
        version: 2,
        lastSeenAt: '2026-05-02T09:00:00.000Z',
      })
    })

    it('gives a removed entry a TTL thirty days after its removal, and a current one none', async () => {
      // Prepare
      const [patient] = patientsFor(1) as [string]
      const current = entryOf({ nhsNumber: patient, holderOds: 'Y90001' })
      const removed = removedEntryOf({
        nhsNumber: patient,
        holderOds: 'RX9',
        decidedAt: '2026-05-10T09:00:00.000Z',
      })

      // Act
      await index.save(current, 0)
      await index.save(removed, 0)

      // Assess
      const raw = async (holderOds: string) =>
        (
          await documents.send(
            new GetCommand({
              TableName: tableName,
              Key: { pk: patientKey(patient), sk: holderKey(holderOds, SUMMARY_RECORD.code) },
            }),
          )
        ).Item
      expect((await raw('Y90001'))?.expiresAt).toBeUndefined()
      expect((await raw('RX9'))?.expiresAt).toBe(Date.parse('2026-06-09T09:00:00.000Z') / 1000)
    })

    it('drops the TTL when a removed entry is registered again', async () => {
      // Prepare
      const [patient] = patientsFor(1) as [string]
      await index.save(removedEntryOf({ nhsNumber: patient, holderOds: 'RX9' }), 0)

      // Act
      await index.save(entryOf({ nhsNumber: patient, holderOds: 'RX9', version: 1 }), 1)

      // Assess
      const { Item } = await documents.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: patientKey(patient), sk: holderKey('RX9', SUMMARY_RECORD.code) },
        }),
      )
      expect(Item).toMatchObject({ status: 'current', version: 2 })
      expect(Item).not.toHaveProperty('expiresAt')
    })
  })

  describe('holdersOf', () => {
    let patient: string

    beforeAll(async () => {
      // Prepare: three current holders (RX9 with two record types) and one removed one
      ;[patient] = patientsFor(1) as [string]
      await putDirectly([
        entryOf({ nhsNumber: patient, holderOds: 'Y90001' }),
        entryOf({ nhsNumber: patient, holderOds: 'RX9', recordType: DISCHARGE_SUMMARY }),
        entryOf({ nhsNumber: patient, holderOds: 'RX9', recordType: SUMMARY_RECORD }),
        entryOf({ nhsNumber: patient, holderOds: 'FX001', recordType: PHARMACY_RECORD }),
        removedEntryOf({ nhsNumber: patient, holderOds: 'FX002', recordType: PHARMACY_RECORD }),
        // RX90 shares RX9's first letters: a holder filter must not match it
        removedEntryOf({ nhsNumber: patient, holderOds: 'RX90' }),
      ])
    })

    it('returns only current entries', async () => {
      // Act
      const page = await index.holdersOf(patient, {}, { limit: 20 })

      // Assess
      expect(page.entries.map((entry) => `${entry.holderOds}/${entry.recordType.code}`).sort()).toEqual([
        'FX001/community-pharmacy-record',
        'RX9/373942005',
        'RX9/824321000000109',
        'Y90001/824321000000109',
      ])
      expect(page.cursor).toBeUndefined()
      expect(page.entries[0]).not.toHaveProperty('pk')
    })

    it('filters by holder', async () => {
      // Act
      const page = await index.holdersOf(patient, { holderOds: 'RX9' }, { limit: 20 })

      // Assess
      expect(page.entries.map((entry) => entry.recordType.code).sort()).toEqual([
        '373942005',
        '824321000000109',
      ])
    })

    it('filters by record type code', async () => {
      // Act
      const page = await index.holdersOf(patient, { recordTypeCode: SUMMARY_RECORD.code }, { limit: 20 })

      // Assess
      expect(page.entries.map((entry) => entry.holderOds).sort()).toEqual(['RX9', 'Y90001'])
    })

    it('filters by holder and record type together', async () => {
      // Act
      const page = await index.holdersOf(
        patient,
        { holderOds: 'RX9', recordTypeCode: DISCHARGE_SUMMARY.code },
        { limit: 20 },
      )

      // Assess
      expect(page.entries).toHaveLength(1)
      expect(page.entries[0]).toMatchObject({ holderOds: 'RX9', recordType: DISCHARGE_SUMMARY })
    })

    it('pages with a cursor: 45 holders at 20 a page are 20, 20 and 5, none twice', async () => {
      // Prepare
      const [many] = patientsFor(1) as [string]
      await putDirectly(
        Array.from({ length: 45 }, (_, i) =>
          entryOf({ nhsNumber: many, holderOds: `A${String(i).padStart(4, '0')}` }),
        ),
      )

      // Act
      const first = await index.holdersOf(many, {}, { limit: 20 })
      const second = await index.holdersOf(many, {}, { limit: 20, cursor: first.cursor })
      const third = await index.holdersOf(many, {}, { limit: 20, cursor: second.cursor })

      // Assess
      expect([first, second, third].map((page) => page.entries.length)).toEqual([20, 20, 5])
      expect(first.cursor).toBeDefined()
      expect(second.cursor).toBeDefined()
      expect(second.cursor).not.toBe(first.cursor)
      expect(third.cursor).toBeUndefined()
      const holders = [first, second, third].flatMap((page) => page.entries.map((entry) => entry.holderOds))
      expect(new Set(holders).size).toBe(45)
    })

    it('fills a page past removed entries', async () => {
      // Prepare: removed entries sort between current ones
      const [mixed] = patientsFor(1) as [string]
      await putDirectly(
        Array.from({ length: 30 }, (_, i) => {
          const holderOds = `B${String(i).padStart(4, '0')}`
          return i % 3 === 0
            ? removedEntryOf({ nhsNumber: mixed, holderOds })
            : entryOf({ nhsNumber: mixed, holderOds })
        }),
      )

      // Act
      const first = await index.holdersOf(mixed, {}, { limit: 15 })
      const second = await index.holdersOf(mixed, {}, { limit: 15, cursor: first.cursor })

      // Assess
      expect(first.entries).toHaveLength(15)
      expect(first.entries.every((entry) => entry.status === 'current')).toBe(true)
      expect(first.entries.length + second.entries.length).toBe(20)
    })

    it('refuses a cursor issued for another patient', async () => {
      // Prepare
      const [other] = patientsFor(1) as [string]
      await putDirectly(
        Array.from({ length: 3 }, (_, i) =>
          entryOf({ nhsNumber: other, holderOds: `C${String(i).padStart(4, '0')}` }),
        ),
      )
      const { cursor } = await index.holdersOf(other, {}, { limit: 1 })

      // Act
      const error = await refusalOf(index.holdersOf(patient, {}, { limit: 20, cursor }))

      // Assess
      expect(cursor).toBeDefined()
      expect(error.code).toBe('INVALID_PARAMETER')
      expect(error.status).toBe(400)
    })

    it.each([
      ['not base64 JSON', 'not-a-cursor'],
      ['JSON that is not a key', Buffer.from('[1,2]').toString('base64url')],
      [
        'a key with a number in it',
        Buffer.from(JSON.stringify({ pk: 1, sk: 'HOLDER#' })).toString('base64url'),
      ],
      ['null', Buffer.from('null').toString('base64url')],
    ])('refuses a garbage cursor: %s', async (_name, cursor) => {
      // Act
      const error = await refusalOf(index.holdersOf(patient, {}, { limit: 20, cursor }))

      // Assess
      expect(error.code).toBe('INVALID_PARAMETER')
    })

    it('refuses a cursor carrying attributes that are not the table key', async () => {
      // Prepare: the patient's own pk and a real sk, plus an attribute DynamoDB would reject
      const cursor = Buffer.from(
        JSON.stringify({ pk: patientKey(patient), sk: holderKey('FX001', 'x'), holderOds: 'FX001' }),
      ).toString('base64url')

      // Act
      const error = await refusalOf(index.holdersOf(patient, {}, { limit: 20, cursor }))

      // Assess
      expect(error.code).toBe('INVALID_PARAMETER')
    })

    it('refuses a cursor outside the holder the search is filtered on', async () => {
      // Prepare: a cursor from an unfiltered search, replayed with a custodian filter
      const cursor = Buffer.from(
        JSON.stringify({ pk: patientKey(patient), sk: holderKey('FX001', PHARMACY_RECORD.code) }),
      ).toString('base64url')

      // Act
      const error = await refusalOf(index.holdersOf(patient, { holderOds: 'RX9' }, { limit: 20, cursor }))

      // Assess
      expect(error.code).toBe('INVALID_PARAMETER')
    })
  })

  describe('one Query per page whatever the number of patients', () => {
    it('reads one patient with three holders in exactly one Query, with 10 or 2000 other patients', async () => {
      // Prepare
      const [patient] = patientsFor(1) as [string]
      await putDirectly([
        entryOf({ nhsNumber: patient, holderOds: 'Y90001' }),
        entryOf({ nhsNumber: patient, holderOds: 'RX9', recordType: DISCHARGE_SUMMARY }),
        entryOf({ nhsNumber: patient, holderOds: 'FX001', recordType: PHARMACY_RECORD }),
      ])
      const others = patientsFor(2000)
      const holdersOfOthers = (numbers: string[]) =>
        numbers.flatMap((nhsNumber) => [
          entryOf({ nhsNumber, holderOds: 'Y90001' }),
          entryOf({ nhsNumber, holderOds: 'RX9', recordType: DISCHARGE_SUMMARY }),
        ])
      let queries = 0
      const counting = {
        send: (command: unknown) => {
          if (command instanceof QueryCommand) queries++
          return documents.send(command as QueryCommand)
        },
      } as unknown as DynamoDBDocumentClient
      const counted = new DynamoDbPatientIndex(counting, tableName)

      // Act
      await putDirectly(holdersOfOthers(others.slice(0, 10)))
      const few = await counted.holdersOf(patient, {}, { limit: 20 })
      const queriesWithFew = queries
      await putDirectly(holdersOfOthers(others.slice(10)))
      queries = 0
      const many = await counted.holdersOf(patient, {}, { limit: 20 })

      // Assess
      expect(few.entries).toHaveLength(3)
      expect(many.entries).toHaveLength(3)
      expect(queriesWithFew).toBe(1)
      expect(queries).toBe(1)
    }, 30_000) // writing 4,000 items into dynalite is slow on a loaded machine; the assertion is a count
  })

  describe('heldBy and entriesOfHolder', () => {
    it('pages the by-holder index across patients and skips removed entries', async () => {
      // Prepare: NX001 holds 30 patients' records, a third of them removed
      const patients = patientsFor(30)
      await putDirectly(
        patients.map((nhsNumber, i) =>
          i % 3 === 0
            ? removedEntryOf({ nhsNumber, holderOds: 'NX001' })
            : entryOf({ nhsNumber, holderOds: 'NX001' }),
        ),
      )

      // Act
      const pages = []
      let cursor: string | undefined
      do {
        const page = await index.heldBy('NX001', { limit: 7, cursor })
        pages.push(page)
        cursor = page.cursor
      } while (cursor)

      // Assess
      const seen = pages.flatMap((page) => page.entries)
      expect(pages.length).toBeGreaterThan(1)
      expect(pages.every((page) => page.entries.length <= 7)).toBe(true)
      expect(seen).toHaveLength(20)
      expect(new Set(seen.map((entry) => entry.nhsNumber)).size).toBe(20)
      expect(seen.every((entry) => entry.status === 'current' && entry.holderOds === 'NX001')).toBe(true)
      expect(seen.map((entry) => entry.nhsNumber).sort()).toEqual(
        patients.filter((_, i) => i % 3 !== 0).sort(),
      )
    })

    it('keeps the withdrawal marker out of the by-holder index', async () => {
      // Prepare: FX002 holds nothing current (one removed entry, above), then withdraws
      await index.saveWithdrawal({
        holderOds: 'FX002',
        occurredAt: '2026-06-01T09:00:00.000Z',
        eventId: 'evt-wd',
        reason: 'left-ics',
      })

      // Act
      const page = await index.heldBy('FX002', { limit: 100 })

      // Assess
      expect(page).toEqual({ entries: [] })
    })

    it('lists every entry one holder has for one patient, removed ones included', async () => {
      // Prepare
      const [patient] = patientsFor(1) as [string]
      await putDirectly([
        entryOf({ nhsNumber: patient, holderOds: 'RX9', recordType: DISCHARGE_SUMMARY }),
        removedEntryOf({ nhsNumber: patient, holderOds: 'RX9', recordType: SUMMARY_RECORD }),
        entryOf({ nhsNumber: patient, holderOds: 'RX90' }),
        entryOf({ nhsNumber: patient, holderOds: 'Y90001' }),
      ])

      // Act
      const entries = await index.entriesOfHolder(patient, 'RX9')

      // Assess
      expect(entries.map((entry) => `${entry.recordType.code}:${entry.status}`).sort()).toEqual([
        '373942005:current',
        '824321000000109:removed',
      ])
      expect(entries[0]).not.toHaveProperty('sk')
    })
  })

  describe('saveWithdrawal and entryAndWithdrawal', () => {
    /** Y90002's withdrawal marker as a registration reads it. */
    const withdrawalOfY90002 = async () =>
      (await index.entryAndWithdrawal('9999999999', 'Y90002', SUMMARY_RECORD.code)).withdrawal

    const withdrawalAt = (occurredAt: string, eventId: string) => ({
      holderOds: 'Y90002',
      occurredAt,
      eventId,
      reason: 'organisation-closed',
    })

    beforeEach(async () => {
      await documents.send(
        new BatchWriteCommand({
          RequestItems: {
            [tableName]: [{ DeleteRequest: { Key: { pk: 'ORGANISATION#Y90002', sk: 'WITHDRAWAL' } } }],
          },
        }),
      )
    })

    it('answers undefined when the organisation never withdrew', async () => {
      // Act
      const withdrawal = await withdrawalOfY90002()

      // Assess
      expect(withdrawal).toBeUndefined()
    })

    it('keeps the newest withdrawal when an older one is saved after it', async () => {
      // Prepare
      await index.saveWithdrawal(withdrawalAt('2026-06-02T09:00:00.000Z', 'evt-newer'))

      // Act
      await index.saveWithdrawal(withdrawalAt('2026-06-01T09:00:00.000Z', 'evt-older'))

      // Assess
      expect(await withdrawalOfY90002()).toEqual(withdrawalAt('2026-06-02T09:00:00.000Z', 'evt-newer'))
    })

    it('replaces an older withdrawal with a newer one, comparing instants across offsets', async () => {
      // Prepare: 09:30+01:00 is 08:30Z
      await index.saveWithdrawal(withdrawalAt('2026-06-01T09:30:00+01:00', 'evt-older'))

      // Act
      await index.saveWithdrawal(withdrawalAt('2026-06-01T09:00:00Z', 'evt-newer'))

      // Assess
      expect(await withdrawalOfY90002()).toMatchObject({ eventId: 'evt-newer' })
    })

    it("reads an entry and its holder's withdrawal together, each as the single reads give it", async () => {
      // Prepare
      const [nhsNumber] = patientsFor(1)
      await index.save(entryOf({ nhsNumber: nhsNumber!, holderOds: 'Y90002' }), 0)
      await index.saveWithdrawal(withdrawalAt('2026-06-02T09:00:00.000Z', 'evt-withdrawn'))

      // Act
      const both = await index.entryAndWithdrawal(nhsNumber!, 'Y90002', SUMMARY_RECORD.code)

      // Assess
      expect(both).toEqual({
        entry: await index.entry(nhsNumber!, 'Y90002', SUMMARY_RECORD.code),
        withdrawal: withdrawalAt('2026-06-02T09:00:00.000Z', 'evt-withdrawn'),
      })
      expect(both.entry).toMatchObject({ nhsNumber, holderOds: 'Y90002', version: 1 })
    })

    it('answers reads made together each with its own entry, from one shared read', async () => {
      // Prepare: three patients, two with an entry at Y90002, and Y90002's withdrawal
      const [first, second, third] = patientsFor(3)
      await index.save(entryOf({ nhsNumber: first!, holderOds: 'Y90002' }), 0)
      await index.save(entryOf({ nhsNumber: third!, holderOds: 'Y90002' }), 0)
      await index.saveWithdrawal(withdrawalAt('2026-06-03T09:00:00.000Z', 'evt-together'))

      // Act
      const answers = await Promise.all(
        [first!, second!, third!].map((nhsNumber) =>
          index.entryAndWithdrawal(nhsNumber, 'Y90002', SUMMARY_RECORD.code),
        ),
      )

      // Assess
      expect(answers.map((answer) => answer.entry?.nhsNumber)).toEqual([first, undefined, third])
      expect(answers.map((answer) => answer.withdrawal?.eventId)).toEqual([
        'evt-together',
        'evt-together',
        'evt-together',
      ])
    })

    it('answers neither when there is no entry and no withdrawal', async () => {
      // Act
      const both = await index.entryAndWithdrawal(patientsFor(1)[0]!, 'Y90002', SUMMARY_RECORD.code)

      // Assess
      expect(both).toEqual({})
    })
  })
})

describe('entryAndWithdrawal when DynamoDB leaves keys unprocessed', () => {
  const table = 'patient-index'
  const withdrawalItem = {
    pk: 'ORGANISATION#RX9',
    sk: 'WITHDRAWAL',
    withdrawnOds: 'RX9',
    occurredAt: '2026-06-01T09:00:00.000Z',
    eventId: 'evt-1',
    reason: 'organisation-closed',
  }
  const entryKey = { pk: patientKey('9000000009'), sk: holderKey('RX9', SUMMARY_RECORD.code) }

  it('asks again for what was left, with consistent reads each time', async () => {
    // Prepare: the first answer carries the withdrawal and leaves the entry unprocessed
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-2' }))
    const mock = mockClient(client)
    mock
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { [table]: [withdrawalItem] },
        UnprocessedKeys: { [table]: { Keys: [entryKey], ConsistentRead: true } },
      })
      .resolvesOnce({ Responses: { [table]: [] } })

    // Act
    const both = await new DynamoDbPatientIndex(client, table).entryAndWithdrawal(
      '9000000009',
      'RX9',
      SUMMARY_RECORD.code,
    )

    // Assess
    expect(both).toEqual({
      withdrawal: {
        holderOds: 'RX9',
        occurredAt: withdrawalItem.occurredAt,
        eventId: 'evt-1',
        reason: 'organisation-closed',
      },
    })
    const asked = mock.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems?.[table])
    expect(asked).toEqual([
      { Keys: [entryKey, { pk: 'ORGANISATION#RX9', sk: 'WITHDRAWAL' }], ConsistentRead: true },
      { Keys: [entryKey], ConsistentRead: true },
    ])
  })

  it("reads a batch of registrations in one BatchGetItem, each holder's marker asked once", async () => {
    // Prepare
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-2' }))
    const mock = mockClient(client)
    mock.on(BatchGetCommand).resolves({ Responses: { [table]: [withdrawalItem] } })
    const patients = ['9000000009', '9000000017', '9000000025']

    const index = new DynamoDbPatientIndex(client, table)

    // Act
    const answers = await Promise.all(
      patients.map((nhsNumber) => index.entryAndWithdrawal(nhsNumber, 'RX9', SUMMARY_RECORD.code)),
    )

    // Assess: one call, three entry keys and one marker key
    expect(answers.every((answer) => answer.withdrawal?.eventId === 'evt-1')).toBe(true)
    const calls = mock.commandCalls(BatchGetCommand)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.args[0].input.RequestItems?.[table]?.Keys).toEqual([
      { pk: patientKey('9000000009'), sk: holderKey('RX9', SUMMARY_RECORD.code) },
      { pk: 'ORGANISATION#RX9', sk: 'WITHDRAWAL' },
      { pk: patientKey('9000000017'), sk: holderKey('RX9', SUMMARY_RECORD.code) },
      { pk: patientKey('9000000025'), sk: holderKey('RX9', SUMMARY_RECORD.code) },
    ])
  })

  it('fails rather than answer without a key DynamoDB keeps leaving unprocessed', async () => {
    // Prepare
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-2' }))
    mockClient(client)
      .on(BatchGetCommand)
      .resolves({ Responses: { [table]: [] }, UnprocessedKeys: { [table]: { Keys: [entryKey] } } })

    vi.useFakeTimers()

    // Act
    const reading = new DynamoDbPatientIndex(client, table).entryAndWithdrawal(
      '9000000009',
      'RX9',
      SUMMARY_RECORD.code,
    )
    const failed = expect(reading).rejects.toThrow(/unprocessed/)
    await vi.runAllTimersAsync()

    // Assess
    await failed
    vi.useRealTimers()
  })
})
