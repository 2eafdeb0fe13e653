import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import { RECORD_TYPES, SNOMED } from '../../schemas/fhir/recordTypes'
import { DEMO_PATIENTS, testRangeNhsNumbers } from '../../scripts/seed/demoPatients'
import { bootStack, eventually, type RunningStack } from './harness'

let running: RunningStack
let bus: EventBridgeClient
let reader: string

beforeAll(async () => {
  running = await bootStack()
  bus = new EventBridgeClient({
    endpoint: running.stack.busEndpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
  reader = await running.token('NX001', 'record.read')
})
afterAll(async () => {
  bus.destroy()
  await running.stop()
})

// Patients from the 999 range beyond the seeded ones, one per test, so tests do not share state.
const spare = testRangeNhsNumbers(130).slice(110)
const DISCHARGE = { system: SNOMED, code: '373942005', display: 'Discharge summary' }

interface Pointer {
  id: string
  custodian: { identifier: { value: string } }
  type: { coding: { system: string; code: string }[] }
  content: { attachment: { url?: string } }[]
}
interface PointerBundle {
  total: number
  entry: { resource: Pointer }[]
  link: { relation: string; url: string }[]
}

async function pointers(nhsNumber: string, extra = ''): Promise<PointerBundle> {
  const response = await running.request(
    `/DocumentReference?subject:identifier=${NHS_NUMBER_SYSTEM}|${nhsNumber}${extra}`,
    { token: reader },
  )
  expect(response.status).toBe(200)
  return (await response.json()) as PointerBundle
}

/** Publishes straight onto the bus, as any ICS producer (or a legacy v1 system) does. */
async function publish(
  detailType: string,
  version: string,
  data: unknown,
  metadata: { id?: string; occurredAt?: string } = {},
) {
  const result = await bus.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: 'joinup.partner',
          DetailType: detailType,
          EventBusName: 'joinup-demo',
          Detail: JSON.stringify({
            metadata: {
              id: metadata.id ?? crypto.randomUUID(),
              version,
              occurredAt: metadata.occurredAt ?? new Date().toISOString(),
              correlationId: 'index-test',
              ics: 'demo',
              producer: 'joinup.partner',
            },
            data,
          }),
        },
      ],
    }),
  )
  expect(result.FailedEntryCount).toBe(0)
  await running.stack.bus.idle()
}

function registration(nhsNumber: string, custodian: string, type = DISCHARGE) {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    type: { coding: [type] },
    subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: nhsNumber } },
    custodian: { identifier: { system: ODS_CODE_SYSTEM, value: custodian } },
    content: [{ attachment: { url: 'https://fhir.demo-general.example.nhs.uk/R4' } }],
  }
}

async function register(org: string, body: unknown) {
  return running.request('/DocumentReference', {
    method: 'POST',
    token: await running.token(org, 'pointer.write'),
    headers: { 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify(body),
  })
}

describe('the patient index', () => {
  it('serves the seeded holders of 9000000009: its GP practice and the hospital', async () => {
    const bundle = await pointers(DEMO_PATIENTS.registered)
    const custodians = bundle.entry.map((entry) => entry.resource.custodian.identifier.value).sort()
    expect(custodians).toEqual(['RX9', 'Y90001'])
  })

  it('registers a pointer: POST publishes an event, the consumer indexes it, the search returns it', async () => {
    // Prepare
    const patient = spare[0]!
    // Act
    const response = await register('RX9', registration(patient, 'RX9'))
    // Assess
    expect(response.status).toBe(202)
    const accepted = (await response.json()) as Pointer
    // FHIR create: Location is the new resource's own URL, readable once indexed.
    expect(response.headers.get('location')).toBe(`${running.baseUrl}/DocumentReference/${accepted.id}`)
    const indexed = await eventually(async () => {
      const bundle = await pointers(patient)
      return bundle.total === 1 ? bundle : undefined
    })
    expect(indexed.entry[0]!.resource).toMatchObject({
      id: accepted.id,
      custodian: { identifier: { system: ODS_CODE_SYSTEM, value: 'RX9' } },
      type: { coding: [{ system: SNOMED, code: '373942005' }] },
      content: [{ attachment: { url: 'https://fhir.demo-general.example.nhs.uk/R4' } }],
    })
    const archived = (await (
      await running.request('/_local/events?detail-type=RecordHolderRegistered&limit=1')
    ).json()) as {
      source: string
      detail: { metadata: { version: string } }
    }[]
    expect(archived[0]).toMatchObject({
      source: 'joinup.patient-index',
      detail: { metadata: { version: '2.0' } },
    })
  })

  it('refuses a duplicate registration with 409 DUPLICATE_REJECTED', async () => {
    const response = await register('RX9', registration(spare[0]!, 'RX9'))
    expect(response.status).toBe(409)
  })

  it('refuses to register for another organisation with 403', async () => {
    const response = await register('NX001', registration(spare[1]!, 'RX9'))
    expect(response.status).toBe(403)
    const body = (await response.json()) as { issue: { details: { coding: { code: string }[] } }[] }
    expect(body.issue[0]!.details.coding[0]!.code).toBe('AUTHOR_CREDENTIALS_ERROR')
  })

  it('leaves one entry when the same event is delivered twice', async () => {
    // Prepare
    const patient = spare[2]!
    const data = { nhsNumber: patient, holderOds: 'Y90002', recordType: DISCHARGE }
    const metadata = { id: crypto.randomUUID(), occurredAt: '2026-11-01T10:00:00Z' }
    // Act
    await publish('RecordHolderRegistered', '2.0', data, metadata)
    await publish('RecordHolderRegistered', '2.0', data, metadata)
    // Assess
    expect((await pointers(patient)).total).toBe(1)
  })

  it('converges whatever the order of a registration and a later removal', async () => {
    // Prepare: the same two facts, delivered in opposite orders for two patients
    const [inOrder, reversed] = [spare[3]!, spare[4]!]
    const registered = (nhsNumber: string) => ({ nhsNumber, holderOds: 'FX001', recordType: DISCHARGE })
    const removed = (nhsNumber: string) => ({ ...registered(nhsNumber), reason: 'patient-objection' })
    // 10:00+01:00 is 09:00Z: a tie on time, broken by event id (the removal's id sorts last).
    const registration = { occurredAt: '2026-11-01T09:00:00Z' }
    const removal = { occurredAt: '2026-11-01T10:00:00+01:00' }
    // Act
    await publish('RecordHolderRegistered', '2.0', registered(inOrder), { ...registration, id: 'tie-1-a' })
    await publish('RecordHolderRemoved', '1.0', removed(inOrder), { ...removal, id: 'tie-1-b' })
    await publish('RecordHolderRemoved', '1.0', removed(reversed), { ...removal, id: 'tie-2-b' })
    await publish('RecordHolderRegistered', '2.0', registered(reversed), { ...registration, id: 'tie-2-a' })
    // Assess: both orders end removed
    expect((await pointers(inOrder)).total).toBe(0)
    expect((await pointers(reversed)).total).toBe(0)
  })

  it('applies a newer removal over an older registration in either order', async () => {
    const [inOrder, reversed] = [spare[5]!, spare[6]!]
    const registered = (nhsNumber: string) => ({ nhsNumber, holderOds: 'FX001', recordType: DISCHARGE })
    const removed = (nhsNumber: string) => ({ ...registered(nhsNumber), reason: 'record-deleted' })
    await publish('RecordHolderRegistered', '2.0', registered(inOrder), {
      occurredAt: '2026-11-01T09:00:00Z',
    })
    await publish('RecordHolderRemoved', '1.0', removed(inOrder), { occurredAt: '2026-11-01T09:30:00Z' })
    await publish('RecordHolderRemoved', '1.0', removed(reversed), { occurredAt: '2026-11-01T09:30:00Z' })
    await publish('RecordHolderRegistered', '2.0', registered(reversed), {
      occurredAt: '2026-11-01T09:00:00Z',
    })
    expect((await pointers(inOrder)).total).toBe(0)
    expect((await pointers(reversed)).total).toBe(0)
  })

  it('feeds a v1 producer’s event to the v2 consumer through the upcaster', async () => {
    // Act: a legacy system still publishing v1 with a free-text record type
    await publish('RecordHolderRegistered', '1.0', {
      nhsNumber: spare[7]!,
      holderOds: 'Y90001',
      recordType: 'GP record',
    })
    // Assess: indexed with the coded type
    const bundle = await pointers(spare[7]!)
    expect(bundle.entry[0]!.resource.type.coding[0]).toMatchObject({
      system: SNOMED,
      code: '824321000000109',
    })
  })

  it('withdraws one patient’s pointers of the custodian with a conditional DELETE', async () => {
    // Prepare
    const patient = spare[8]!
    await publish('RecordHolderRegistered', '2.0', {
      nhsNumber: patient,
      holderOds: 'RX9',
      recordType: DISCHARGE,
    })
    // Act
    const response = await running.request(
      `/DocumentReference?subject:identifier=${NHS_NUMBER_SYSTEM}|${patient}&custodian:identifier=${ODS_CODE_SYSTEM}|RX9&reason=patient-objection`,
      { method: 'DELETE', token: await running.token('RX9', 'pointer.write') },
    )
    await running.stack.bus.idle()
    // Assess
    expect(response.status).toBe(202)
    expect((await pointers(patient)).total).toBe(0)
  })

  it('removes everything an organisation holds through the by-holder index', async () => {
    // Prepare: FX002 holds records about several patients
    const patients = spare.slice(9, 14)
    for (const nhsNumber of patients) {
      await publish('RecordHolderRegistered', '2.0', { nhsNumber, holderOds: 'FX002', recordType: DISCHARGE })
    }
    await publish('RecordHolderRegistered', '2.0', {
      nhsNumber: patients[0]!,
      holderOds: 'Y90002',
      recordType: DISCHARGE,
    })
    // Act: the organisation leaves the ICS
    const response = await running.request(
      `/DocumentReference?custodian:identifier=${ODS_CODE_SYSTEM}|FX002&reason=left-ics`,
      { method: 'DELETE', token: await running.token('FX002', 'pointer.write') },
    )
    await running.stack.bus.idle()
    // Assess: none of FX002's pointers remain, other holders are untouched
    expect(response.status).toBe(202)
    for (const nhsNumber of patients) {
      const custodians = (await pointers(nhsNumber)).entry.map(
        (entry) => entry.resource.custodian.identifier.value,
      )
      expect(custodians).not.toContain('FX002')
    }
    expect(
      (await pointers(patients[0]!)).entry.map((entry) => entry.resource.custodian.identifier.value),
    ).toEqual(['Y90002'])
    // …and an older registration arriving late does not bring FX002 back
    await publish(
      'RecordHolderRegistered',
      '2.0',
      { nhsNumber: patients[1]!, holderOds: 'FX002', recordType: DISCHARGE },
      { occurredAt: '2026-01-01T00:00:00Z' },
    )
    expect((await pointers(patients[1]!)).total).toBe(0)
  })

  it('pages 20 pointers at a time with a next link', async () => {
    // Prepare: 25 pointers for one patient (5 organisations × 5 record types)
    const patient = spare[15]!
    const holders = ['Y90001', 'Y90002', 'RX9', 'FX001', 'NX001']
    for (const holderOds of holders) {
      for (const type of RECORD_TYPES.slice(0, 5)) {
        await publish('RecordHolderRegistered', '2.0', {
          nhsNumber: patient,
          holderOds,
          recordType: { system: type.system, code: type.code, display: type.display },
        })
      }
    }
    // Act
    const first = await pointers(patient)
    const next = first.link.find((link) => link.relation === 'next')!
    const second = (await (
      await running.request(new URL(next.url).pathname + new URL(next.url).search, { token: reader })
    ).json()) as PointerBundle
    // Assess
    expect(first.entry).toHaveLength(20)
    expect(first.total).toBeUndefined() // unknown while more pages follow (FHIR: total counts every match)
    expect(second.total).toBe(25) // every match, counted on the last page (not the page size)
    expect(second.link.find((link) => link.relation === 'next')).toBeUndefined()
    const ids = new Set([...first.entry, ...second.entry].map((entry) => entry.resource.id))
    expect(ids.size).toBe(25)
  })

  it('narrows to one custodian and one record type', async () => {
    const patient = spare[15]!
    const custodian = await pointers(patient, `&custodian:identifier=${ODS_CODE_SYSTEM}|RX9`)
    expect(custodian.total).toBe(5)
    const type = await pointers(patient, `&type=${SNOMED}|373942005`)
    expect(type.entry.every((entry) => entry.resource.type.coding[0]!.code === '373942005')).toBe(true)
  })

  const errors: [string, string, number, string][] = [
    ['no subject', '/DocumentReference', 400, 'INVALID_PARAMETER'],
    [
      'an invalid NHS number',
      `/DocumentReference?subject:identifier=${NHS_NUMBER_SYSTEM}|9000000008`,
      400,
      'INVALID_NHS_NUMBER',
    ],
    [
      'a subject without the NHS number system',
      '/DocumentReference?subject:identifier=9000000009',
      400,
      'INVALID_PARAMETER',
    ],
    [
      'a tampered cursor',
      `/DocumentReference?subject:identifier=${NHS_NUMBER_SYSTEM}|9000000009&_cursor=abc`,
      400,
      'INVALID_PARAMETER',
    ],
  ]
  for (const [name, path, status, code] of errors) {
    it(`answers ${status} ${code} for ${name}`, async () => {
      const response = await running.request(path, { token: reader })
      expect(response.status).toBe(status)
      const body = (await response.json()) as { issue: { details: { coding: { code: string }[] } }[] }
      expect(body.issue[0]!.details.coding[0]!.code).toBe(code)
    })
  }
})
