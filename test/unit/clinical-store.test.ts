import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FhirResource } from '../../functions/shared/gpconnect/stu3ToR4'
import {
  InvalidStoredRecord,
  MAX_RECORD_BYTES,
  type StoredRecord,
  StoredRecordConflict,
} from '../../functions/shared/records/ClinicalStore'
import {
  clinicalRecordKeys,
  DynamoDbClinicalStore,
} from '../../functions/shared/records/DynamoDbClinicalStore'
import type { HolderRequest } from '../../functions/shared/records/HolderRecordSource'
import type { StructuredRecordQuery } from '../../functions/shared/records/query'
import {
  StoreRecordSource,
  storedStructuredRecord,
  withinRange,
} from '../../functions/shared/records/StoreRecordSource'
import { recordTypeFromText } from '../../schemas/fhir/recordTypes'
import { createDeclaredTables, type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/local/dynamodb'
import { demoStoredRecords } from '../../scripts/seed/demoStore'
import { testNhsNumbers } from '../support/memory-index'

// The stack's own clinical store: the DynamoDB adapter against dynalite (tables from
// infra/tables.ts), and how retrieval reads a holder's records from it.

let dynamo: LocalDynamoDb
let documents: DynamoDBDocumentClient
let tableName: string
let store: DynamoDbClinicalStore
let spare: string[]

const SNOMED = 'http://snomed.info/sct'
const clinical = (code: string) => ({
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code }],
})

function recordOf(nhsNumber: string, overrides: Partial<StoredRecord> = {}): StoredRecord {
  return {
    nhsNumber,
    holderOds: 'NX001',
    recordId: 'msg-1',
    recordType: recordTypeFromText('Consultation summary'),
    recordedAt: '2026-02-01T10:00:00Z',
    resources: [
      {
        resourceType: 'Encounter',
        id: 'visit',
        status: 'finished',
        class: { code: 'EMER' },
        period: { start: '2026-02-01T09:00:00Z' },
        subject: { reference: `Patient/${nhsNumber}` },
      },
      {
        resourceType: 'Condition',
        id: 'sprain',
        clinicalStatus: clinical('active'),
        code: { coding: [{ system: SNOMED, code: '44465007', display: 'Sprain of ankle' }] },
        encounter: { reference: 'Encounter/visit' },
        subject: { reference: `Patient/${nhsNumber}` },
      },
    ],
    ...overrides,
  }
}

beforeAll(async () => {
  dynamo = await startLocalDynamoDb()
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })
  tableName = (await createDeclaredTables(client, 'demo')).clinicalRecords
  documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } })
  store = new DynamoDbClinicalStore(documents, tableName)
  spare = testNhsNumbers(50)
})

afterAll(async () => {
  await dynamo.close()
})

describe('DynamoDbClinicalStore', () => {
  it('keeps a record as written, under the patient and its holder', async () => {
    // Prepare
    const [patient] = spare.splice(0, 1) as [string]
    const written = recordOf(patient)

    // Act
    const outcome = await store.write(written)
    const read = await store.recordsOf(patient, 'NX001')

    // Assess
    expect(outcome).toBe('written')
    expect(read).toEqual([written])
    const { Item } = await documents.send(
      new GetCommand({ TableName: tableName, Key: clinicalRecordKeys(patient, 'NX001', 'msg-1') }),
    )
    expect(Item).toMatchObject({
      pk: `PATIENT#${patient}`,
      sk: 'HOLDER#NX001#RECORD#msg-1',
      holderOds: 'NX001',
      contentHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
  })

  it('answers a repeated write as unchanged (idempotent), and refuses a different record under the same id', async () => {
    // Prepare
    const [patient] = spare.splice(0, 1) as [string]
    await store.write(recordOf(patient))

    // Act
    const again = await store.write(recordOf(patient))
    const changed = store.write(recordOf(patient, { recordedAt: '2026-02-02T10:00:00Z' }))

    // Assess
    expect(again).toBe('unchanged')
    await expect(changed).rejects.toBeInstanceOf(StoredRecordConflict)
    expect(await store.recordsOf(patient, 'NX001')).toHaveLength(1)
  })

  it("reads one holder's records only, oldest first", async () => {
    // Prepare
    const [patient] = spare.splice(0, 1) as [string]
    await store.write(recordOf(patient, { recordId: 'later', recordedAt: '2026-02-03T10:00:00Z' }))
    await store.write(recordOf(patient, { recordId: 'earlier', recordedAt: '2026-01-03T10:00:00Z' }))
    await store.write(recordOf(patient, { holderOds: 'RX9', recordId: 'other' }))

    // Act
    const read = await store.recordsOf(patient, 'NX001')

    // Assess
    expect(read.map((record) => record.recordId)).toEqual(['earlier', 'later'])
  })

  it.each<[string, Partial<StoredRecord>]>([
    ['an invalid NHS number', { nhsNumber: '9000000001' }],
    ['a holder that is not an ODS code', { holderOds: 'nx 1' }],
    ['a record id with odd characters', { recordId: 'a/b' }],
    ['no resources', { resources: [] }],
    ['a resource without an R4 id', { resources: [{ resourceType: 'Condition', id: 'a b' }] }],
    [
      'two resources with one id',
      {
        resources: [
          { resourceType: 'Condition', id: 'x' },
          { resourceType: 'Condition', id: 'x' },
        ],
      },
    ],
    [
      'more than a DynamoDB item holds',
      { resources: [{ resourceType: 'Condition', id: 'x', note: [{ text: 'a'.repeat(MAX_RECORD_BYTES) }] }] },
    ],
  ])('refuses %s before writing', async (_name, overrides) => {
    // Prepare
    const [patient] = spare.splice(0, 1) as [string]

    // Act, Assess
    await expect(store.write(recordOf(patient, overrides))).rejects.toBeInstanceOf(InvalidStoredRecord)
  })

  it('keeps the demo seed’s pharmacy record', async () => {
    // Act, Assess
    for (const record of demoStoredRecords()) expect(await store.write(record)).toBe('written')
  })
})

describe('storedStructuredRecord', () => {
  const NHS = '9000000041'
  const resources: FhirResource[] = [
    {
      resourceType: 'AllergyIntolerance',
      id: 'active',
      clinicalStatus: { coding: [{ code: 'active' }] },
      code: { text: 'aspirin' },
      patient: { reference: `Patient/${NHS}` },
    },
    {
      resourceType: 'AllergyIntolerance',
      id: 'ended',
      clinicalStatus: { coding: [{ code: 'resolved' }] },
      code: { text: 'latex' },
      patient: { reference: `Patient/${NHS}` },
    },
    {
      resourceType: 'MedicationStatement',
      id: 'old',
      status: 'completed',
      effectivePeriod: { start: '2020-01-01', end: '2020-02-01' },
      medicationReference: { reference: 'Medication/drug' },
      subject: { reference: `Patient/${NHS}` },
    },
    {
      resourceType: 'MedicationStatement',
      id: 'ongoing',
      status: 'active',
      effectivePeriod: { start: '2019-01-01' },
      basedOn: [{ reference: 'MedicationRequest/plan' }],
      subject: { reference: `Patient/${NHS}` },
    },
    {
      resourceType: 'MedicationRequest',
      id: 'plan',
      intent: 'plan',
      status: 'active',
      subject: { reference: `Patient/${NHS}` },
    },
    {
      resourceType: 'MedicationRequest',
      id: 'issue',
      intent: 'order',
      status: 'completed',
      basedOn: [{ reference: 'MedicationRequest/plan' }],
      subject: { reference: `Patient/${NHS}` },
    },
    { resourceType: 'Medication', id: 'drug', code: { text: 'ibuprofen' } },
    {
      resourceType: 'Condition',
      id: 'current',
      clinicalStatus: clinical('active'),
      subject: { reference: `Patient/${NHS}` },
    },
    {
      resourceType: 'Condition',
      id: 'past',
      clinicalStatus: clinical('resolved'),
      subject: { reference: `Patient/${NHS}` },
    },
    { resourceType: 'Encounter', id: 'e2024', status: 'finished', period: { start: '2024-05-01' } },
    { resourceType: 'Encounter', id: 'e2025', status: 'finished', period: { start: '2025-05-01' } },
    { resourceType: 'Immunization', id: 'given', status: 'completed', vaccineCode: { text: 'flu' } },
    { resourceType: 'Immunization', id: 'refused', status: 'not-done', vaccineCode: { text: 'flu' } },
    {
      resourceType: 'DiagnosticReport',
      id: 'report',
      status: 'final',
      issued: '2025-01-01',
      code: { text: 'FBC' },
      result: [{ reference: 'Observation/result' }],
    },
    { resourceType: 'Observation', id: 'result', status: 'final', code: { text: 'Hb' } },
    {
      resourceType: 'Observation',
      id: 'weight',
      status: 'final',
      code: { text: 'Weight' },
      effectiveDateTime: '2025-06-01',
    },
    {
      resourceType: 'ServiceRequest',
      id: 'referral',
      status: 'active',
      intent: 'order',
      authoredOn: '2025-03-01',
      subject: { reference: `Patient/${NHS}` },
    },
  ]
  const records: StoredRecord[] = [
    {
      nhsNumber: NHS,
      holderOds: 'FX002',
      recordId: 'r1',
      recordType: recordTypeFromText('Pharmacy record'),
      recordedAt: '2025-01-01T00:00:00Z',
      resources,
    },
  ]

  function answer(query: Omit<StructuredRecordQuery, 'nhsNumber'>) {
    const answered = storedStructuredRecord(
      records,
      { nhsNumber: NHS, ...query },
      '2026-03-10T12:00:00+00:00',
    )
    const listed = (title: string) =>
      (
        (answered.find((resource) => resource.resourceType === 'List' && resource.title === title)?.entry ??
          []) as { item: { reference: string } }[]
      ).map((entry) => entry.item.reference.replace(/^(\w+)\/[0-9a-f]{8}-/, '$1/'))
    const ids = answered
      .filter((resource) => resource.resourceType !== 'List')
      .map((resource) => `${resource.resourceType}/${String(resource.id).slice(9)}`)
    return { listed, ids, answered }
  }

  it.each<[string, Omit<StructuredRecordQuery, 'nhsNumber'>, string, string[]]>([
    [
      'current allergies only',
      { allergies: { includeResolved: false } },
      'Allergies and adverse reactions',
      ['AllergyIntolerance/active'],
    ],
    [
      'ended allergies when asked for',
      { allergies: { includeResolved: true } },
      'Ended allergies',
      ['AllergyIntolerance/ended'],
    ],
    [
      'all medication',
      { medication: {} },
      'Medications and medical devices',
      ['MedicationStatement/old', 'MedicationStatement/ongoing'],
    ],
    [
      'medication active on or after a date',
      { medication: { fromDate: '2021-01-01' } },
      'Medications and medical devices',
      ['MedicationStatement/ongoing'],
    ],
    ['active problems', { problems: { status: 'active' } }, 'Problems', ['Condition/current']],
    ['inactive problems', { problems: { status: 'inactive' } }, 'Problems', ['Condition/past']],
    [
      'the most recent consultation',
      { consultations: { mostRecent: 1 } },
      'List of consultations',
      ['Encounter/e2025'],
    ],
    [
      'consultations in a period',
      { consultations: { period: { end: '2024-12-31' } } },
      'List of consultations',
      ['Encounter/e2024'],
    ],
    ['immunisations given', { immunisations: {} }, 'Immunisations', ['Immunization/given']],
    [
      'immunisations, those not given too',
      { immunisations: { includeNotGiven: true } },
      'Immunisations',
      ['Immunization/given', 'Immunization/refused'],
    ],
    ['investigations', { investigations: {} }, 'Investigations and results', ['DiagnosticReport/report']],
    [
      'uncategorised observations (not the results of a report)',
      { uncategorised: {} },
      'Uncategorised data',
      ['Observation/weight'],
    ],
    [
      'referrals',
      { referrals: { period: { start: '2025-01-01' } } },
      'Outbound referral',
      ['ServiceRequest/referral'],
    ],
  ])('answers %s', (_name, query, title, expected) => {
    // Act
    const { listed } = answer(query)

    // Assess
    expect(listed(title)).toEqual(expected)
  })

  it('brings what listed statements need: the plan, its issues and the Medication', () => {
    // Act
    const { ids } = answer({ medication: { fromDate: '2021-01-01' } })

    // Assess
    expect(ids.sort()).toEqual([
      'MedicationRequest/issue',
      'MedicationRequest/plan',
      'MedicationStatement/ongoing',
    ])
  })

  it('leaves issues out when asked to', () => {
    // Act
    const { ids } = answer({ medication: { includePrescriptionIssues: false } })

    // Assess
    expect(ids).not.toContain('MedicationRequest/issue')
  })

  it('answers an empty List, as GP Connect does, for a requested area with nothing in it', () => {
    // Act
    const { answered } = answer({ referrals: { period: { start: '2026-01-01' } } })

    // Assess
    expect(answered.find((resource) => resource.resourceType === 'List')).toMatchObject({
      emptyReason: { coding: [{ code: 'no-content-recorded' }] },
      note: [{ text: 'Information not available.' }],
    })
  })

  it('keeps ids unique across two records that reuse them', () => {
    // Act
    const answered = storedStructuredRecord(
      [records[0]!, { ...records[0]!, recordId: 'r2' }],
      { nhsNumber: NHS, allergies: { includeResolved: false } },
      'now',
    )

    // Assess
    const ids = answered.map((resource) => `${resource.resourceType}/${resource.id}`)
    expect(new Set(ids).size).toBe(ids.length)
  })
})

describe('withinRange', () => {
  it.each<[string | undefined, { start?: string; end?: string }, boolean]>([
    [undefined, { start: '2025-01-01' }, true],
    ['2025-01-01', { start: '2025-01-01' }, true],
    ['2024-12-31', { start: '2025-01-01' }, false],
    ['2024', { start: '2024-06-01' }, true],
    ['2024-05', { start: '2024-06-01' }, false],
    ['2024-06', { end: '2024-06-01' }, true],
  ])(
    '%s in %j: %s (GP Connect: unknown dates are returned, partial ones cover their year or month)',
    (date, range, expected) => {
      expect(withinRange(date, range)).toBe(expected)
    },
  )
})

describe('StoreRecordSource', () => {
  const request = (nhsNumber: string, signal = new AbortController().signal): HolderRequest => ({
    holder: { ods: 'NX001', protocol: 'joinup-store', interactions: ['structured-record'] },
    query: { nhsNumber, problems: {} },
    caller: { sub: 's', organisation: 'RX9', ics: 'demo', scopes: new Set(), purposeOfUse: 'directcare' },
    callerOrganisationName: 'Demo General Hospital',
    consumerBaseUrl: 'https://api.test',
    requestId: 'r',
    correlationId: 'c',
    signal,
  })

  it("answers a holder's stored records as a structured record", async () => {
    // Prepare
    const [patient] = spare.splice(0, 1) as [string]
    await store.write(recordOf(patient))

    // Act
    const answer = await new StoreRecordSource(store).structuredRecord(request(patient))

    // Assess: the problems List, the problem, and the consultation it was recorded in
    expect(answer.kind).toBe('answered')
    const resources = answer.kind === 'answered' ? answer.resources : []
    expect(resources.map((resource) => resource.resourceType)).toEqual(['List', 'Encounter', 'Condition'])
  })

  it('answers not-found when the holder stored nothing about the patient', async () => {
    // Act
    const answer = await new StoreRecordSource(store).structuredRecord(request(spare.splice(0, 1)[0]!))

    // Assess
    expect(answer).toMatchObject({ kind: 'failed', failure: 'not-found' })
  })

  it('answers timeout, not an error, when its time ran out', async () => {
    // Prepare
    const controller = new AbortController()
    controller.abort(new DOMException('late', 'TimeoutError'))

    // Act
    const answer = await new StoreRecordSource(store).structuredRecord(
      request(spare.splice(0, 1)[0]!, controller.signal),
    )

    // Assess
    expect(answer).toMatchObject({ kind: 'failed', failure: 'timeout' })
  })
})
