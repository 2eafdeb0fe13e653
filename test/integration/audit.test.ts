import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PATIENTS, testRangeNhsNumbers } from '../../scripts/seed/demoPatients'
import { knownToPds } from '../support/pds'
import { bootStack, type RunningStack } from './harness'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '..', '..')
let running: RunningStack
let auditor: string

beforeAll(async () => {
  running = await bootStack()
  auditor = await running.token('Y90001', 'audit.read', { sub: 'ig-lead@Y90001' })
})
afterAll(() => running.stop())

interface AuditBundle {
  total: number
  link: { relation: string; url: string }[]
  entry: {
    resource: {
      action: string
      outcome: string
      subtype: { code: string }[]
      agent: { who: { identifier: { value: string } }; requestor: boolean }[]
      purposeOfEvent: { coding: { code: string }[] }[]
      extension: { url: string; extension: { url: string; valueInteger?: number }[] }[]
    }
  }[]
}

/** A patient's trail as `token` (by default the IG lead of Y90001) may read it. */
async function auditOf(nhsNumber: string, cursor = '', token = auditor): Promise<AuditBundle> {
  const response = await running.request(`/AuditEvent?patient=${nhsNumber}${cursor}`, { token })
  expect(response.status).toBe(200)
  return (await response.json()) as AuditBundle
}

async function verify(nhsNumber: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(
      'npx',
      ['tsx', 'scripts/audit-verify.ts', '--patient', nhsNumber, '--local', running.baseUrl],
      {
        cwd: ROOT,
      },
    )
    return { code: 0, output: stdout }
  } catch (error) {
    const failed = error as { code: number; stdout: string }
    return { code: failed.code, output: failed.stdout }
  }
}

describe('the audit trail', () => {
  it('shows who read a patient, from which organisation, why and with what outcome, newest first', async () => {
    // Prepare
    const patient = DEMO_PATIENTS.deceased
    const reader = await running.token('NX001', 'patient.read', { sub: 'dr-jones@NX001' })
    await running.request(`/Patient/${patient}`, { token: reader })
    // Act: NX001's own IG lead (other organisations see NX001's staff reduced to NX001)
    const bundle = await auditOf(
      patient,
      '',
      await running.token('NX001', 'audit.read', { sub: 'ig-lead@NX001' }),
    )
    // Assess
    const read = bundle.entry
      .map((entry) => entry.resource)
      .find((event) => event.subtype[1]!.code === 'readPatient')!
    expect(read).toMatchObject({ action: 'R', outcome: '0' })
    expect(read.agent.map((agent) => agent.who.identifier.value)).toEqual(['dr-jones@NX001', 'NX001'])
    expect(read.purposeOfEvent[0]!.coding[0]!.code).toBe('TREAT')
  })

  it('records the pointer registrations and searches too', async () => {
    const patient = testRangeNhsNumbers(150).at(-1)!
    await knownToPds(running.baseUrl, [patient])
    await running.request('/DocumentReference', {
      method: 'POST',
      token: await running.token('RX9', 'pointer.write'),
      headers: { 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'DocumentReference',
        status: 'current',
        type: { coding: [{ system: 'http://snomed.info/sct', code: '373942005' }] },
        subject: { identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: patient } },
        custodian: { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RX9' } },
      }),
    })
    // Read by the hospital, which now holds a record about the patient (a care relationship).
    const operations = (await auditOf(patient, '', await running.token('RX9', 'audit.read'))).entry.map(
      (entry) => entry.resource.subtype[1]!.code,
    )
    expect(operations).toContain('registerPointer')
  })

  it('pages 20 events at a time', async () => {
    // Prepare
    const patient = DEMO_PATIENTS.supersededBy
    const reader = await running.token('NX001', 'patient.read')
    for (let i = 0; i < 25; i++) await running.request(`/Patient/${patient}`, { token: reader })
    // Act: read by the patient's GP practice, which sees the whole trail
    const gp = await running.token('Y90002', 'audit.read')
    const first = await auditOf(patient, '', gp)
    const next = new URL(first.link.find((link) => link.relation === 'next')!.url)
    const second = await auditOf(patient, `&_cursor=${next.searchParams.get('_cursor')}`, gp)
    // Assess: sequence numbers run down without a gap across the pages
    const seqs = [...first.entry, ...second.entry].map(
      (entry) =>
        entry.resource.extension.find((e) => e.url.endsWith('audit-chain'))!.extension[0]!.valueInteger!,
    )
    expect(first.entry).toHaveLength(20)
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a))
    expect(seqs[0]! - seqs.at(-1)!).toBe(seqs.length - 1)
  })

  it('refuses a caller without audit.read', async () => {
    const response = await running.request(`/AuditEvent?patient=${DEMO_PATIENTS.registered}`, {
      token: await running.token('NX001', 'patient.read'),
    })
    expect(response.status).toBe(403)
  })

  it('keeps one unforked chain when many requests read the same patient at once', async () => {
    // Act
    const reader = await running.token('NX001', 'patient.read')
    const responses = await Promise.all(
      Array.from({ length: 30 }, () =>
        running.request(`/Patient/${DEMO_PATIENTS.restricted}`, { token: reader }),
      ),
    )
    // Assess
    expect(responses.every((response) => response.status === 200)).toBe(true)
    const { code, output } = await verify(DEMO_PATIENTS.restricted)
    expect(output).toMatch(/intact: \d+ records/)
    expect(Number(/intact: (\d+)/.exec(output)![1])).toBeGreaterThanOrEqual(30)
    expect(code).toBe(0)
  })

  it('lets npm run audit:verify detect a record edited directly in DynamoDB', async () => {
    // Prepare: a chain of a few reads, verified intact
    const patient = DEMO_PATIENTS.registered
    const reader = await running.token('NX001', 'patient.read')
    for (let i = 0; i < 4; i++) await running.request(`/Patient/${patient}`, { token: reader })
    expect((await verify(patient)).code).toBe(0)
    // Act: someone with table access rewrites who did the second read
    const info = (await (await running.request('/_local/info')).json()) as {
      dynamoEndpoint: string
      tables: { audit: string }
    }
    const client = new DynamoDBClient({
      endpoint: info.dynamoEndpoint,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    })
    await DynamoDBDocumentClient.from(client).send(
      new UpdateCommand({
        TableName: info.tables.audit,
        Key: { pk: `PATIENT#${patient}`, seq: 2 },
        UpdateExpression: 'SET caller.organisation = :other',
        ExpressionAttributeValues: { ':other': 'Y90002' },
      }),
    )
    client.destroy()
    // Assess
    const { code, output } = await verify(patient)
    expect(code).toBe(1)
    expect(output).toContain('BROKEN at seq 2')
  })
})

describe('reading the audit', () => {
  it('is itself audited', async () => {
    // Prepare
    const patient = DEMO_PATIENTS.supersededBy
    await auditOf(patient)
    // Act
    const latest = (await auditOf(patient)).entry[0]!.resource
    // Assess: the newest event is the previous read of the audit, by the IG lead
    expect(latest.subtype[1]!.code).toBe('searchAuditEvents')
    expect(latest.agent[0]!.who.identifier.value).toBe('ig-lead@Y90001')
  })
})
