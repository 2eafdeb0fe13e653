import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { readPointer } from '../../functions/patient-index/pointerById'
import { pointerIdOf } from '../../functions/patient-index/pointers'
import { registerPointer, withdrawPointers } from '../../functions/patient-index/register'
import { searchPointers } from '../../functions/patient-index/search'
import { FhirError } from '../../functions/shared/errors'
import { EventBridgePublisher, type EventPublisher, type OutgoingEvent } from '../../functions/shared/events'
import { applyHolderChange, type HolderEntry } from '../../functions/shared/patient-index/HolderEntry'
import type { Caller } from '../../schemas/auth'
import { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import { LOCAL_RECORD_TYPES, type RecordType, recordTypeOf, SNOMED } from '../../schemas/fhir/recordTypes'
import { LOCAL_DEV_ISSUER } from '../../schemas/ics-policy'
import { DEMO_PATIENTS } from '../../scripts/seed/demoPatients'
import { memoryDirectory } from '../support/memory-directory'
import { MemoryPatientIndex } from '../support/memory-index'
import { testIcs } from '../support/tokens'

// Security review, findings 2 and 7: the patient index revealed a restricted patient's
// holders to anyone, and took any URL, any record type from anyone, and NHS numbers PDS
// does not know (a superseded number's pointers did not show under its replacement).

const SUMMARY_RECORD = recordTypeOf(SNOMED, '824321000000109')!
const DISCHARGE_SUMMARY = recordTypeOf(SNOMED, '373942005')!
const PHARMACY_RECORD = recordTypeOf(LOCAL_RECORD_TYPES, 'community-pharmacy-record')!
const CONTEXT = { requestId: 'req-1', correlationId: 'corr-1' }
const ICS = testIcs()
const DIRECTORY = memoryDirectory()

class RecordingPublisher implements EventPublisher {
  readonly events: OutgoingEvent[] = []
  async publish(events: OutgoingEvent[]): Promise<string[]> {
    this.events.push(...events)
    return events.map((_, index) => `evt-${this.events.length + index}`)
  }
}

let index: MemoryPatientIndex
let publisher: RecordingPublisher

beforeEach(() => {
  index = new MemoryPatientIndex()
  publisher = new RecordingPublisher()
})

function caller(organisation: string, scope = 'pointer.write'): Caller {
  return {
    sub: `staff@${organisation}`,
    organisation,
    ics: 'demo',
    scopes: new Set([scope]),
    purposeOfUse: 'directcare',
  }
}

function registration(nhsNumber: string, custodian: string, type: RecordType, url?: string) {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    type: { coding: [{ system: type.system, code: type.code }] },
    subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: nhsNumber } },
    custodian: { identifier: { system: ODS_CODE_SYSTEM, value: custodian } },
    ...(url === undefined ? {} : { content: [{ attachment: { url } }] }),
  }
}

const deps = (ics = ICS) => ({
  index,
  publisher,
  clock: () => new Date('2026-11-21T12:00:00Z'),
  directory: DIRECTORY,
  ics,
})

function register(organisation: string, body: unknown, ics = ICS) {
  return registerPointer(body, caller(organisation), CONTEXT, deps(ics))
}

async function refusalOf(promise: Promise<unknown>): Promise<FhirError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(FhirError)
  return error as FhirError
}

function holds(nhsNumber: string, holderOds: string, recordType: RecordType): void {
  const entry = applyHolderChange(undefined, {
    kind: 'registered',
    nhsNumber,
    holderOds,
    recordType,
    occurredAt: '2026-05-01T09:00:00.000Z',
    eventId: `reg-${nhsNumber}-${holderOds}-${recordType.code}`,
  }) as HolderEntry
  index.store(entry, 0)
}

async function custodiansSeenBy(
  organisation: string,
  nhsNumber: string,
  extra: Record<string, string[]> = {},
) {
  const { bundle, audit } = await searchPointers(
    { 'subject:identifier': [`${NHS_NUMBER_SYSTEM}|${nhsNumber}`], ...extra },
    'https://api.test',
    caller(organisation, 'record.read'),
    CONTEXT,
    { index, ics: ICS, clock: () => new Date('2026-11-21T12:00:00Z'), directory: DIRECTORY },
  )
  const entries = (bundle.entry as { resource: { custodian: { identifier: { value: string } } } }[]).map(
    (entry) => entry.resource.custodian.identifier.value,
  )
  return { custodians: entries.sort(), total: bundle.total, audit }
}

describe('registerPointer: the endpoint URL (finding 7)', () => {
  it.each([
    ['the metadata service', 'http://169.254.169.254/latest/meta-data/'],
    ['plain http', 'http://fhir.demo-general.example.nhs.uk/R4'],
    ['credentials', 'https://user:pass@fhir.demo-general.example.nhs.uk/R4'],
    ['a private address', 'https://10.0.0.8/fhir'],
    ['240 KB', `https://fhir.demo-general.example.nhs.uk/${'a'.repeat(240 * 1024)}`],
  ])('refuses %s with 400 INVALID_RESOURCE and publishes nothing', async (_label, url) => {
    const error = await refusalOf(
      register('RX9', registration(DEMO_PATIENTS.registered, 'RX9', DISCHARGE_SUMMARY, url)),
    )

    expect(error.status).toBe(400)
    expect(error.code).toBe('INVALID_RESOURCE')
    expect(error.diagnostics).toMatch(/^content\[0\]\.attachment\.url: /)
    expect(publisher.events).toEqual([])
  })

  it('accepts a public https URL and publishes it normalised', async () => {
    await register(
      'RX9',
      registration(DEMO_PATIENTS.registered, 'RX9', DISCHARGE_SUMMARY, 'https://FHIR.Demo.example.nhs.uk/R4'),
    )

    expect(publisher.events[0]?.data).toMatchObject({ endpoint: 'https://fhir.demo.example.nhs.uk/R4' })
  })

  it('accepts plain http to this machine on the local stack only', async () => {
    const local = { ...ICS, auth: { ...ICS.auth, issuer: LOCAL_DEV_ISSUER } }
    const body = registration(
      DEMO_PATIENTS.registered,
      'RX9',
      DISCHARGE_SUMMARY,
      'http://127.0.0.1:3000/_sandbox/RX9',
    )

    await expect(register('RX9', body, local)).resolves.toBeDefined()
    expect((await refusalOf(register('RX9', body))).code).toBe('INVALID_RESOURCE')
  })
})

describe('registerPointer: record types per organisation role (finding 7)', () => {
  it('refuses a pharmacy registering a GP summary record with 403 AUTHOR_CREDENTIALS_ERROR', async () => {
    const error = await refusalOf(
      register('FX001', registration(DEMO_PATIENTS.registered, 'FX001', SUMMARY_RECORD)),
    )

    expect(error.status).toBe(403)
    expect(error.code).toBe('AUTHOR_CREDENTIALS_ERROR')
    expect(publisher.events).toEqual([])
  })

  it.each([
    ['FX001', PHARMACY_RECORD],
    ['Y90001', SUMMARY_RECORD],
    ['RX9', DISCHARGE_SUMMARY],
  ])('lets %s register what its role holds', async (ods, type) => {
    await expect(register(ods, registration(DEMO_PATIENTS.registered, ods, type))).resolves.toBeDefined()
  })

  it('takes the allowed types from the ICS config when it lists the role', async () => {
    const ics = { ...ICS, recordTypesByRole: { 'community-pharmacy': [SUMMARY_RECORD.code] } }

    await expect(
      register('FX001', registration(DEMO_PATIENTS.registered, 'FX001', SUMMARY_RECORD), ics),
    ).resolves.toBeDefined()
    expect(
      (
        await refusalOf(
          register('FX001', registration(DEMO_PATIENTS.registered, 'FX001', PHARMACY_RECORD), ics),
        )
      ).status,
    ).toBe(403)
  })
})

describe('registerPointer: NHS numbers PDS lookup knows (finding 7)', () => {
  it('refuses a valid NHS number PDS does not know with 400 INVALID_NHS_NUMBER', async () => {
    const error = await refusalOf(
      register('RX9', registration(DEMO_PATIENTS.neverSeeded, 'RX9', DISCHARGE_SUMMARY)),
    )

    expect(error.status).toBe(400)
    expect(error.code).toBe('INVALID_NHS_NUMBER')
    expect(publisher.events).toEqual([])
  })

  it('registers a superseded number under its replacement', async () => {
    // Act
    const { pointer, audit } = await register(
      'RX9',
      registration(DEMO_PATIENTS.superseded, 'RX9', DISCHARGE_SUMMARY),
    )

    // Assess
    expect(publisher.events[0]?.data).toMatchObject({ nhsNumber: DEMO_PATIENTS.supersededBy })
    expect(pointer.subject.identifier.value).toBe(DEMO_PATIENTS.supersededBy)
    expect(audit[0]?.patient).toBe(DEMO_PATIENTS.supersededBy)
  })

  it('withdraws by the superseded number what is indexed under the replacement', async () => {
    holds(DEMO_PATIENTS.supersededBy, 'RX9', DISCHARGE_SUMMARY)

    await withdrawPointers(
      {
        'custodian:identifier': [`${ODS_CODE_SYSTEM}|RX9`],
        'subject:identifier': [`${NHS_NUMBER_SYSTEM}|${DEMO_PATIENTS.superseded}`],
      },
      caller('RX9'),
      CONTEXT,
      deps(),
    )

    expect(publisher.events[0]?.data).toMatchObject({ nhsNumber: DEMO_PATIENTS.supersededBy })
  })
})

describe('searchPointers: superseded numbers (finding 7)', () => {
  it('shows the replacement’s pointers to a search by the superseded number', async () => {
    holds(DEMO_PATIENTS.supersededBy, 'FX002', PHARMACY_RECORD)

    const { custodians, audit } = await custodiansSeenBy('NX001', DEMO_PATIENTS.superseded)

    expect(custodians).toEqual(['FX002'])
    expect(audit[0]?.patient).toBe(DEMO_PATIENTS.supersededBy)
  })
})

describe('searchPointers: restricted patients (finding 2)', () => {
  beforeEach(() => {
    // The seed's restricted patient: GP Y90002, and a discharge summary at RX9.
    holds(DEMO_PATIENTS.restricted, 'Y90002', SUMMARY_RECORD)
    holds(DEMO_PATIENTS.restricted, 'RX9', DISCHARGE_SUMMARY)
  })

  it('shows an organisation that holds nothing an empty searchset, as for a patient nobody holds records about', async () => {
    const { custodians, total, audit } = await custodiansSeenBy('FX001', DEMO_PATIENTS.restricted)

    expect(custodians).toEqual([])
    expect(total).toBe(0)
    expect(audit).toEqual([{ patient: DEMO_PATIENTS.restricted, action: 'E', entities: [] }])
  })

  it('shows a holder its own pointers only', async () => {
    expect((await custodiansSeenBy('RX9', DEMO_PATIENTS.restricted)).custodians).toEqual(['RX9'])
    expect((await custodiansSeenBy('Y90002', DEMO_PATIENTS.restricted)).custodians).toEqual(['Y90002'])
  })

  it('shows nothing when a holder asks for another custodian', async () => {
    const { custodians } = await custodiansSeenBy('RX9', DEMO_PATIENTS.restricted, {
      'custodian:identifier': [`${ODS_CODE_SYSTEM}|Y90002`],
    })

    expect(custodians).toEqual([])
  })

  it('shows every holder of an unrestricted patient to anyone with record.read', async () => {
    holds(DEMO_PATIENTS.registered, 'Y90001', SUMMARY_RECORD)
    holds(DEMO_PATIENTS.registered, 'RX9', DISCHARGE_SUMMARY)

    expect((await custodiansSeenBy('FX002', DEMO_PATIENTS.registered)).custodians).toEqual(['RX9', 'Y90001'])
  })
})

describe('EventBridgePublisher: the 256 KB entry limit (finding 7)', () => {
  const eventBridge = mockClient(EventBridgeClient)

  beforeEach(() => {
    eventBridge.reset()
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `id-${i}` })),
    }))
  })

  const publisherWith = () =>
    new EventBridgePublisher({
      source: 'joinup.patient-index',
      ics: () => 'demo',
      clock: () => new Date('2026-11-21T12:00:00Z'),
      busName: () => 'joinup-demo',
      client: new EventBridgeClient({ region: 'eu-west-2' }),
    })

  const withEndpoint = (endpoint: string): OutgoingEvent => ({
    detailType: 'RecordHolderRegistered',
    major: 2,
    data: { nhsNumber: DEMO_PATIENTS.registered, holderOds: 'RX9', recordType: DISCHARGE_SUMMARY, endpoint },
  })

  it('refuses an event over 256 KB with 413 before calling EventBridge, never a 500', async () => {
    const error = await refusalOf(
      publisherWith().publish([withEndpoint(`https://x.example/${'a'.repeat(300 * 1024)}`)], {
        correlationId: 'c',
      }),
    )

    expect(error.status).toBe(413)
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0)
  })

  it('splits a batch so no PutEvents request exceeds 256 KB', async () => {
    // Prepare: ten events of about 40 KB each, 400 KB together
    const events = Array.from({ length: 10 }, () =>
      withEndpoint(`https://x.example/${'a'.repeat(40 * 1024)}`),
    )

    // Act
    await publisherWith().publish(events, { correlationId: 'c' })

    // Assess
    const requests = eventBridge
      .commandCalls(PutEventsCommand)
      .map((call) => call.args[0].input.Entries ?? [])
    expect(requests.length).toBeGreaterThan(1)
    expect(requests.flat()).toHaveLength(10)
    for (const entries of requests) {
      const bytes = entries.reduce((sum, entry) => sum + Buffer.byteLength(entry.Detail ?? '') + 60, 0)
      expect(bytes).toBeLessThanOrEqual(256 * 1024)
    }
  })
})

describe('readPointer: a restricted patient’s pointer by id (finding 2)', () => {
  it('answers the custodian, and 404 to anyone else, as an id nobody registered', async () => {
    // Prepare: ids are a hash of NHS number, ODS code and type, so anyone can compute one
    holds(DEMO_PATIENTS.restricted, 'Y90002', SUMMARY_RECORD)
    const id = pointerIdOf(DEMO_PATIENTS.restricted, 'Y90002', SUMMARY_RECORD.code)
    const read = (organisation: string) =>
      readPointer(id, caller(organisation, 'record.read'), CONTEXT, { index, ics: ICS, directory: DIRECTORY })

    // Act
    const own = await read('Y90002')
    const refusal = await refusalOf(read('FX001'))

    // Assess
    expect(own.pointer.custodian.identifier.value).toBe('Y90002')
    expect(refusal.status).toBe(404)
    expect(refusal.code).toBe('NO_RECORD_FOUND')
    expect(refusal.patient).toBe(DEMO_PATIENTS.restricted)
  })
})
