import { beforeEach, describe, expect, it } from 'vitest'
import { registerPointer, withdrawPointers } from '../../functions/patient-index/register'
import { searchPointers } from '../../functions/patient-index/search'
import { FhirError } from '../../functions/shared/errors'
import type { EventPublisher, OutgoingEvent } from '../../functions/shared/events'
import { applyHolderChange, type HolderEntry } from '../../functions/shared/patient-index/HolderEntry'
import type { Caller } from '../../schemas/auth'
import { OrganisationRecordsWithdrawnV1 } from '../../schemas/events/OrganisationRecordsWithdrawn/v1'
import { RecordHolderRegisteredV2 } from '../../schemas/events/RecordHolderRegistered/v2'
import { RecordHolderRemovedV1 } from '../../schemas/events/RecordHolderRemoved/v1'
import { Pointer } from '../../schemas/fhir/DocumentReference'
import { NHS_NUMBER_SYSTEM, ODS_CODE_SYSTEM } from '../../schemas/fhir/identifiers'
import { LOCAL_RECORD_TYPES, type RecordType, recordTypeOf, SNOMED } from '../../schemas/fhir/recordTypes'
import { memoryDirectory } from '../support/memory-directory'
import { MemoryPatientIndex } from '../support/memory-index'
import { testIcs } from '../support/tokens'

const NOW = new Date('2026-07-01T08:30:00.000Z')
const BASE_URL = 'https://api.test/v1'
const PATIENT = '9000000009'
const SUMMARY_RECORD = recordTypeOf(SNOMED, '824321000000109')!
const DISCHARGE_SUMMARY = recordTypeOf(SNOMED, '373942005')!
const PHARMACY_RECORD = recordTypeOf(LOCAL_RECORD_TYPES, 'community-pharmacy-record')!
const CONTEXT = { correlationId: 'corr-pointer-test' }

/** The demo ICS, with Demo General Hospital serving its records from a known endpoint (its directory entry). */
const ICS = testIcs({
  directory: {
    consumerAsid: '200000000001',
    holderTimeoutMs: 2000,
    holders: [
      {
        ods: 'RX9',
        protocol: 'gpconnect-1.6-stu3',
        endpoint: 'https://rx9.example/fhir',
        asid: '918999190009',
        interactions: ['structured-record'],
      },
      { ods: 'FX001', protocol: 'joinup-store', interactions: ['structured-record'] },
    ],
  },
})

/** A publisher that records what it was asked to publish and answers ids in order. */
class RecordingPublisher implements EventPublisher {
  readonly published: { events: OutgoingEvent[]; context: { correlationId: string } }[] = []
  private next = 0

  async publish(events: OutgoingEvent[], context: { correlationId: string }): Promise<string[]> {
    this.published.push({ events, context })
    return events.map(() => `evt-published-${++this.next}`)
  }

  events(): OutgoingEvent[] {
    return this.published.flatMap((call) => call.events)
  }
}

function callerFrom(organisation: string): Caller {
  return {
    sub: 'clinician-1',
    organisation,
    ics: 'demo',
    scopes: new Set(['pointer.write']),
    purposeOfUse: 'directcare',
  }
}

let index: MemoryPatientIndex
let publisher: RecordingPublisher

/** Puts an entry in the index as the consumer would after one registration (and optionally a removal). */
function holds(
  holderOds: string,
  recordType: RecordType,
  options: { nhsNumber?: string; endpoint?: string; removed?: boolean } = {},
): void {
  const nhsNumber = options.nhsNumber ?? PATIENT
  let entry = applyHolderChange(undefined, {
    kind: 'registered',
    nhsNumber,
    holderOds,
    recordType,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    occurredAt: '2026-05-01T09:00:00.000Z',
    eventId: `reg-${nhsNumber}-${holderOds}-${recordType.code}`,
  }) as HolderEntry
  if (options.removed) {
    entry = applyHolderChange(entry, {
      kind: 'removed',
      nhsNumber,
      holderOds,
      recordType,
      reason: 'record-deleted',
      occurredAt: '2026-05-02T09:00:00.000Z',
      eventId: `rem-${nhsNumber}-${holderOds}-${recordType.code}`,
    }) as HolderEntry
  }
  index.store(entry, 0)
}

async function refusalOf(promise: Promise<unknown>): Promise<FhirError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(FhirError)
  return error as FhirError
}

const DIRECTORY = memoryDirectory()
const READER = { ...callerFrom('NX001'), scopes: new Set(['record.read']) }

const search = (query: Record<string, string[]>) =>
  searchPointers(
    query,
    BASE_URL,
    READER,
    { requestId: 'req-1', correlationId: CONTEXT.correlationId },
    {
      index,
      ics: ICS,
      clock: () => NOW,
      directory: DIRECTORY,
    },
  )

const bySubject = (nhsNumber = PATIENT) => ({ 'subject:identifier': [`${NHS_NUMBER_SYSTEM}|${nhsNumber}`] })

interface SearchBundle {
  resourceType: string
  type: string
  timestamp: string
  total: number
  link: { relation: string; url: string }[]
  entry: { resource: ReturnType<typeof Pointer.parse> & Record<string, unknown> }[]
}

beforeEach(() => {
  index = new MemoryPatientIndex()
  publisher = new RecordingPublisher()
})

describe('searchPointers', () => {
  it.each([
    ['no subject:identifier', {}],
    ['a subject:identifier without the NHS number system', { 'subject:identifier': [PATIENT] }],
    [
      'a subject:identifier in another system',
      { 'subject:identifier': [`https://example.org/mrn|${PATIENT}`] },
    ],
    [
      'a subject:identifier given twice',
      { 'subject:identifier': [`${NHS_NUMBER_SYSTEM}|${PATIENT}`, `${NHS_NUMBER_SYSTEM}|${PATIENT}`] },
    ],
    ['an unknown parameter', { ...bySubject(), status: ['current'] }],
    ['a custodian that is not an ODS code', { ...bySubject(), 'custodian:identifier': ['RX9'] }],
  ])('refuses %s with 400 INVALID_PARAMETER', async (_name, query) => {
    // Act
    const error = await refusalOf(search(query))

    // Assess
    expect(error.code).toBe('INVALID_PARAMETER')
    expect(error.status).toBe(400)
  })

  it('refuses an NHS number that fails modulus 11 with 400 INVALID_NHS_NUMBER', async () => {
    // Act
    const error = await refusalOf(search(bySubject('9000000001')))

    // Assess
    expect(error.code).toBe('INVALID_NHS_NUMBER')
    expect(error.status).toBe(400)
  })

  it('answers a searchset of NRL-shaped DocumentReferences for the current holders only', async () => {
    // Prepare
    holds('Y90001', SUMMARY_RECORD, { endpoint: 'https://y90001.example/fhir' })
    holds('RX9', DISCHARGE_SUMMARY)
    holds('FX001', PHARMACY_RECORD)
    holds('FX002', PHARMACY_RECORD, { removed: true })
    holds('Y90002', SUMMARY_RECORD, { nhsNumber: '9000000017' })

    // Act
    const { bundle } = await search(bySubject())

    // Assess
    const result = bundle as unknown as SearchBundle
    expect(result).toMatchObject({
      resourceType: 'Bundle',
      type: 'searchset',
      timestamp: '2026-07-01T09:30:00+01:00',
      total: 3,
    })
    const pointers = result.entry.map((entry) => entry.resource)
    for (const pointer of pointers) expect(Pointer.safeParse(pointer).success).toBe(true)
    expect(pointers.map((pointer) => pointer.custodian.identifier.value).sort()).toEqual([
      'FX001',
      'RX9',
      'Y90001',
    ])
    const gp = pointers.find((pointer) => pointer.custodian.identifier.value === 'Y90001')!
    expect(gp).toMatchObject({
      resourceType: 'DocumentReference',
      status: 'current',
      type: { coding: [SUMMARY_RECORD] },
      subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: PATIENT } },
      custodian: { identifier: { system: ODS_CODE_SYSTEM, value: 'Y90001' } },
      content: [{ attachment: { url: 'https://y90001.example/fhir' } }],
    })
    expect(gp.id).toMatch(/^Y90001-[0-9a-f]{16}$/)
    expect(gp.id).not.toContain(PATIENT)
  })

  it('points at the holder directory’s endpoint when the entry has none, and at nothing when neither has one', async () => {
    // Prepare
    holds('RX9', DISCHARGE_SUMMARY)
    holds('FX001', PHARMACY_RECORD)

    // Act
    const { bundle } = await search(bySubject())

    // Assess
    const pointers = (bundle as unknown as SearchBundle).entry.map((entry) => entry.resource)
    const hospital = pointers.find((pointer) => pointer.custodian.identifier.value === 'RX9')!
    const pharmacy = pointers.find((pointer) => pointer.custodian.identifier.value === 'FX001')!
    expect(hospital.content[0]?.attachment.url).toBe('https://rx9.example/fhir')
    expect(pharmacy.content[0]?.attachment).not.toHaveProperty('url')
  })

  it('filters by custodian and by type', async () => {
    // Prepare
    holds('RX9', DISCHARGE_SUMMARY)
    holds('RX9', SUMMARY_RECORD)
    holds('Y90001', SUMMARY_RECORD)

    // Act
    const { bundle: byCustodian } = await search({
      ...bySubject(),
      'custodian:identifier': [`${ODS_CODE_SYSTEM}|RX9`],
    })
    const { bundle: byType } = await search({ ...bySubject(), type: [`${SNOMED}|${SUMMARY_RECORD.code}`] })

    // Assess
    const custodians = (bundle: unknown) =>
      (bundle as SearchBundle).entry.map(
        (entry) => `${entry.resource.custodian.identifier.value}/${entry.resource.type.coding[0]?.code}`,
      )
    expect(custodians(byCustodian).sort()).toEqual(['RX9/373942005', 'RX9/824321000000109'])
    expect(custodians(byType).sort()).toEqual(['RX9/824321000000109', 'Y90001/824321000000109'])
  })

  it('pages 20 at a time with a next link that carries the cursor', async () => {
    // Prepare
    for (let i = 0; i < 25; i++) holds(`Q${String(i).padStart(4, '0')}`, SUMMARY_RECORD)

    // Act
    const { bundle: first } = await search(bySubject())
    const next = (first as unknown as SearchBundle).link.find((link) => link.relation === 'next')
    const nextQuery: Record<string, string[]> = {}
    for (const [name, value] of new URL(next!.url).searchParams) {
      nextQuery[name] = [...(nextQuery[name] ?? []), value]
    }
    const { bundle: second } = await search(nextQuery)

    // Assess
    expect((first as unknown as SearchBundle).entry).toHaveLength(20)
    expect(next?.url.startsWith(`${BASE_URL}/DocumentReference?`)).toBe(true)
    expect(nextQuery['subject:identifier']).toEqual([`${NHS_NUMBER_SYSTEM}|${PATIENT}`])
    expect(nextQuery._cursor).toHaveLength(1)
    expect((second as unknown as SearchBundle).entry).toHaveLength(5)
    expect((second as unknown as SearchBundle).link.map((link) => link.relation)).toEqual(['self'])
    const all = [first, second].flatMap((bundle) =>
      (bundle as unknown as SearchBundle).entry.map((entry) => entry.resource.id),
    )
    expect(new Set(all).size).toBe(25)
  })

  it('has no next link when everything fits on one page', async () => {
    // Prepare
    holds('Y90001', SUMMARY_RECORD)

    // Act
    const { bundle } = await search(bySubject())

    // Assess
    expect((bundle as unknown as SearchBundle).link).toEqual([
      {
        relation: 'self',
        url: `${BASE_URL}/DocumentReference?subject%3Aidentifier=${encodeURIComponent(`${NHS_NUMBER_SYSTEM}|${PATIENT}`)}`,
      },
    ])
  })

  it('refuses a cursor it did not issue for this patient', async () => {
    // Act
    const error = await refusalOf(search({ ...bySubject(), _cursor: ['garbage'] }))

    // Assess
    expect(error.code).toBe('INVALID_PARAMETER')
  })

  it('names the patient and the holders it disclosed in the audit facts', async () => {
    // Prepare
    holds('Y90001', SUMMARY_RECORD)
    holds('RX9', DISCHARGE_SUMMARY)

    // Act
    const { audit } = await search(bySubject())

    // Assess
    expect(audit).toEqual([
      {
        patient: PATIENT,
        action: 'E',
        entities: expect.arrayContaining(['Organization/Y90001', 'Organization/RX9']),
      },
    ])
  })

  it('audits a search that found nothing, still naming the patient', async () => {
    // Act
    const { bundle, audit } = await search(bySubject())

    // Assess
    expect(bundle).toMatchObject({ total: 0, entry: [] })
    expect(audit).toEqual([{ patient: PATIENT, action: 'E', entities: [] }])
  })
})

/** A producer's POST /DocumentReference body. */
function registration(overrides: Record<string, unknown> = {}) {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    type: { coding: [{ system: SNOMED, code: DISCHARGE_SUMMARY.code, display: 'Discharge summary' }] },
    subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: PATIENT } },
    custodian: { identifier: { system: ODS_CODE_SYSTEM, value: 'RX9' } },
    content: [{ attachment: { contentType: 'application/fhir+json', url: 'https://rx9.example/fhir/r/1' } }],
    ...overrides,
  }
}

const register = (body: unknown, organisation = 'RX9') =>
  registerPointer(body, callerFrom(organisation), CONTEXT, {
    index,
    publisher,
    clock: () => new Date('2026-11-21T12:00:00Z'),
    directory: DIRECTORY,
    ics: ICS,
  })

describe('registerPointer', () => {
  it('publishes exactly one RecordHolderRegistered major 2 with the coded record type', async () => {
    // Act
    const { pointer, audit } = await register(registration())

    // Assess
    expect(publisher.published).toHaveLength(1)
    expect(publisher.published[0]?.context).toEqual(CONTEXT)
    const [event] = publisher.events()
    expect(event).toEqual({
      detailType: 'RecordHolderRegistered',
      major: 2,
      data: {
        nhsNumber: PATIENT,
        holderOds: 'RX9',
        recordType: DISCHARGE_SUMMARY,
        endpoint: 'https://rx9.example/fhir/r/1',
      },
    })
    expect(RecordHolderRegisteredV2.safeParse(event?.data).success).toBe(true)
    expect(pointer).toMatchObject({
      custodian: { identifier: { system: ODS_CODE_SYSTEM, value: 'RX9' } },
      type: { coding: [DISCHARGE_SUMMARY] },
    })
    expect(audit).toEqual([{ patient: PATIENT, action: 'C', entities: [`DocumentReference/${pointer.id}`] }])
    expect(index.saves).toEqual([])
  })

  it('takes the ICS display for a known code, whatever display the producer sent', async () => {
    // Prepare
    // (a GP practice: the summary record is a GP's record type)
    const body = registration({
      type: { coding: [{ system: SNOMED, code: SUMMARY_RECORD.code, display: 'GP notes' }] },
      custodian: { identifier: { system: ODS_CODE_SYSTEM, value: 'Y90001' } },
    })

    // Act
    await register(body, 'Y90001')

    // Assess
    expect(publisher.events()[0]?.data).toMatchObject({ recordType: SUMMARY_RECORD })
  })

  it('refuses a custodian that is not the caller’s organisation with 403 and publishes nothing', async () => {
    // Act
    const error = await refusalOf(register(registration(), 'Y90001'))

    // Assess
    expect(error.code).toBe('AUTHOR_CREDENTIALS_ERROR')
    expect(error.status).toBe(403)
    expect(publisher.published).toEqual([])
  })

  it.each([
    ['an unknown code', { system: SNOMED, code: '123456789' }],
    ['a known code in another system', { system: 'http://loinc.org', code: DISCHARGE_SUMMARY.code }],
    ['a coding without a system', { code: DISCHARGE_SUMMARY.code }],
  ])('refuses %s with INVALID_CODE_SYSTEM', async (_name, coding) => {
    // Act
    const error = await refusalOf(register(registration({ type: { coding: [coding] } })))

    // Assess
    expect(error.code).toBe('INVALID_CODE_SYSTEM')
    expect(error.status).toBe(400)
    expect(publisher.published).toEqual([])
  })

  it.each([
    ['no subject', { subject: undefined }],
    ['no custodian', { custodian: undefined }],
    ['no type', { type: undefined }],
    ['an empty type coding', { type: { coding: [] } }],
    ['a status other than current', { status: 'superseded' }],
    ['another resource type', { resourceType: 'Patient' }],
    [
      'an attachment url that is not http(s)',
      { content: [{ attachment: { url: 'ftp://rx9.example/r/1' } }] },
    ],
  ])('refuses a body with %s with 400 INVALID_RESOURCE', async (_name, overrides) => {
    // Act
    const error = await refusalOf(register(registration(overrides)))

    // Assess
    expect(error.code).toBe('INVALID_RESOURCE')
    expect(error.status).toBe(400)
    expect(publisher.published).toEqual([])
  })

  it('refuses a body that is not an object with 400 INVALID_RESOURCE', async () => {
    // Act
    const error = await refusalOf(register('not a resource'))

    // Assess
    expect(error.code).toBe('INVALID_RESOURCE')
    expect(error.status).toBe(400)
  })

  it('refuses a subject that fails modulus 11 with INVALID_NHS_NUMBER', async () => {
    // Act
    const error = await refusalOf(
      register(registration({ subject: { identifier: { system: NHS_NUMBER_SYSTEM, value: '9000000001' } } })),
    )

    // Assess
    expect(error.code).toBe('INVALID_NHS_NUMBER')
    expect(publisher.published).toEqual([])
  })

  it('refuses a pointer that is already current with 409 DUPLICATE_REJECTED', async () => {
    // Prepare
    holds('RX9', DISCHARGE_SUMMARY)

    // Act
    const error = await refusalOf(register(registration()))

    // Assess
    expect(error.code).toBe('DUPLICATE_REJECTED')
    expect(error.status).toBe(409)
    expect(publisher.published).toEqual([])
  })

  it('accepts a pointer again once it was removed', async () => {
    // Prepare
    holds('RX9', DISCHARGE_SUMMARY, { removed: true })

    // Act
    await register(registration())

    // Assess
    expect(publisher.events()).toHaveLength(1)
  })
})

const withdraw = (query: Record<string, string[]>, organisation = 'RX9') =>
  withdrawPointers(query, callerFrom(organisation), CONTEXT, {
    index,
    publisher,
    clock: () => new Date('2026-11-21T12:00:00Z'),
    directory: DIRECTORY,
    ics: ICS,
  })

const custodian = (ods: string) => ({ 'custodian:identifier': [`${ODS_CODE_SYSTEM}|${ods}`] })

describe('withdrawPointers', () => {
  it('refuses to withdraw another organisation’s pointers with 403 and publishes nothing', async () => {
    // Prepare
    holds('Y90001', SUMMARY_RECORD)

    // Act
    const error = await refusalOf(withdraw({ ...custodian('Y90001'), ...bySubject() }, 'RX9'))

    // Assess
    expect(error.code).toBe('AUTHOR_CREDENTIALS_ERROR')
    expect(error.status).toBe(403)
    expect(publisher.published).toEqual([])
  })

  it('needs a custodian:identifier', async () => {
    // Act
    const error = await refusalOf(withdraw(bySubject()))

    // Assess
    expect(error.code).toBe('INVALID_PARAMETER')
  })

  it('publishes one RecordHolderRemoved for a subject and a type', async () => {
    // Prepare
    holds('RX9', DISCHARGE_SUMMARY)
    holds('RX9', SUMMARY_RECORD)

    // Act
    const { audit } = await withdraw({
      ...custodian('RX9'),
      ...bySubject(),
      type: [`${SNOMED}|${DISCHARGE_SUMMARY.code}`],
      reason: ['patient-objection'],
    })

    // Assess
    const events = publisher.events()
    expect(events).toEqual([
      {
        detailType: 'RecordHolderRemoved',
        major: 1,
        data: {
          nhsNumber: PATIENT,
          holderOds: 'RX9',
          recordType: DISCHARGE_SUMMARY,
          reason: 'patient-objection',
        },
      },
    ])
    expect(RecordHolderRemovedV1.safeParse(events[0]?.data).success).toBe(true)
    expect(audit).toEqual([
      { patient: PATIENT, action: 'D', entities: [expect.stringMatching(/^DocumentReference\/RX9-/)] },
    ])
  })

  it('publishes one RecordHolderRemoved per type currently held when no type is given', async () => {
    // Prepare
    holds('RX9', DISCHARGE_SUMMARY)
    holds('RX9', SUMMARY_RECORD)
    holds('RX9', PHARMACY_RECORD, { removed: true })
    holds('Y90001', SUMMARY_RECORD)

    // Act
    await withdraw({ ...custodian('RX9'), ...bySubject() })

    // Assess
    const events = publisher.events()
    expect(publisher.published).toHaveLength(1)
    expect(events.map((event) => event.detailType)).toEqual(['RecordHolderRemoved', 'RecordHolderRemoved'])
    expect(events.map((event) => (event.data as { recordType: RecordType }).recordType.code).sort()).toEqual([
      DISCHARGE_SUMMARY.code,
      SUMMARY_RECORD.code,
    ])
    for (const event of events) {
      expect(event.data).toMatchObject({ nhsNumber: PATIENT, holderOds: 'RX9', reason: 'record-deleted' })
      expect(RecordHolderRemovedV1.safeParse(event.data).success).toBe(true)
    }
  })

  it('answers 404 NO_RECORD_FOUND when the organisation holds nothing current for the patient', async () => {
    // Prepare
    holds('RX9', DISCHARGE_SUMMARY, { removed: true })
    holds('Y90001', SUMMARY_RECORD)

    // Act
    const error = await refusalOf(withdraw({ ...custodian('RX9'), ...bySubject() }))

    // Assess
    expect(error.code).toBe('NO_RECORD_FOUND')
    expect(error.status).toBe(404)
    expect(publisher.published).toEqual([])
  })

  it('publishes one OrganisationRecordsWithdrawn when no subject is given', async () => {
    // Prepare
    holds('RX9', DISCHARGE_SUMMARY)

    // Act
    const { audit } = await withdraw({ ...custodian('RX9'), reason: ['organisation-closed'] })

    // Assess
    const events = publisher.events()
    expect(events).toEqual([
      {
        detailType: 'OrganisationRecordsWithdrawn',
        major: 1,
        data: { holderOds: 'RX9', reason: 'organisation-closed' },
      },
    ])
    expect(OrganisationRecordsWithdrawnV1.safeParse(events[0]?.data).success).toBe(true)
    expect(audit).toEqual([])
  })

  it.each([
    ['a type without a subject', { ...custodian('RX9'), type: [`${SNOMED}|${DISCHARGE_SUMMARY.code}`] }],
    [
      'a patient reason on a whole-organisation withdrawal',
      { ...custodian('RX9'), reason: ['patient-objection'] },
    ],
    [
      'an organisation reason on a patient withdrawal',
      { ...custodian('RX9'), ...bySubject(), reason: ['left-ics'] },
    ],
    ['an unknown parameter', { ...custodian('RX9'), _id: ['x'] }],
  ])('refuses %s with INVALID_PARAMETER and publishes nothing', async (_name, query) => {
    // Act
    const error = await refusalOf(withdraw(query))

    // Assess
    expect(error.code).toBe('INVALID_PARAMETER')
    expect(publisher.published).toEqual([])
  })
})
