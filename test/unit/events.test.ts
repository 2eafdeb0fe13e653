import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge'
import { mockClient } from 'aws-sdk-client-mock'
import { beforeEach, describe, expect, it } from 'vitest'
import { EventBridgePublisher, type OutgoingEvent } from '../../functions/shared/events'
import { readEventData } from '../../schemas/events/registry'
import { recordTypeOf, SNOMED } from '../../schemas/fhir/recordTypes'
import { testNhsNumbers } from '../support/memory-index'

const NOW = new Date('2026-07-01T08:30:00.000Z')
const SUMMARY_RECORD = recordTypeOf(SNOMED, '824321000000109')!
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const CONTEXT = { correlationId: 'corr-events-test' }

const eventBridge = mockClient(EventBridgeClient)

let sleeps: number[]

function publisher() {
  return new EventBridgePublisher({
    source: 'joinup.patient-index',
    ics: () => 'demo',
    clock: () => NOW,
    busName: () => 'joinup-demo-bus',
    client: new EventBridgeClient({ region: 'eu-west-2' }),
    sleep: async (ms) => {
      sleeps.push(ms)
    },
  })
}

const registration = (nhsNumber = '9000000009', extra: Record<string, unknown> = {}): OutgoingEvent => ({
  detailType: 'RecordHolderRegistered',
  major: 2,
  data: { nhsNumber, holderOds: 'Y90001', recordType: SUMMARY_RECORD, ...extra },
})

/** What PutEvents answers: every entry accepted, or the given per-entry results. */
function accepted(entries: readonly PutEventsRequestEntry[] = []) {
  return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `eb-${i}` })) }
}

const sentBatches = () =>
  eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? [])

beforeEach(() => {
  eventBridge.reset()
  sleeps = []
})

describe('EventBridgePublisher', () => {
  it('sends the DESIGN.md envelope: registry version, producer, ics, correlation id, uuid, clock time', async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: PutEventsRequestEntry[] }) => accepted(input.Entries))

    // Act
    const ids = await publisher().publish([registration()], CONTEXT)

    // Assess
    const [batch] = sentBatches()
    expect(batch).toHaveLength(1)
    const entry = batch![0]!
    expect(entry).toMatchObject({
      Source: 'joinup.patient-index',
      DetailType: 'RecordHolderRegistered',
      EventBusName: 'joinup-demo-bus',
    })
    const detail = JSON.parse(entry.Detail!)
    expect(detail).toEqual({
      metadata: {
        id: ids[0],
        version: '2.0',
        occurredAt: '2026-07-01T08:30:00.000Z',
        correlationId: 'corr-events-test',
        ics: 'demo',
        producer: 'joinup.patient-index',
      },
      data: { nhsNumber: '9000000009', holderOds: 'Y90001', recordType: SUMMARY_RECORD },
    })
    expect(ids[0]).toMatch(UUID)
  })

  it('writes the deprecated major when asked for it, with its own version', async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: PutEventsRequestEntry[] }) => accepted(input.Entries))

    // Act
    await publisher().publish(
      [
        {
          detailType: 'RecordHolderRegistered',
          major: 1,
          data: { nhsNumber: '9000000009', holderOds: 'Y90001', recordType: 'GP record' },
        },
      ],
      CONTEXT,
    )

    // Assess
    expect(JSON.parse(sentBatches()[0]![0]!.Detail!).metadata.version).toBe('1.0')
  })

  it('gives every event its own id, returned in order', async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: PutEventsRequestEntry[] }) => accepted(input.Entries))

    // Act
    const ids = await publisher().publish(
      testNhsNumbers(3).map((nhs) => registration(nhs)),
      CONTEXT,
    )

    // Assess
    expect(new Set(ids).size).toBe(3)
    expect(sentBatches()[0]!.map((entry) => JSON.parse(entry.Detail!).metadata.id)).toEqual(ids)
  })

  it.each([
    ['an unknown extra field', registration('9000000009', { priority: 'high' })],
    ['an NHS number failing modulus 11', registration('9000000001')],
    [
      'an unknown extra field in the record type',
      registration('9000000009', { recordType: { ...SUMMARY_RECORD, v: 1 } }),
    ],
    ['a major the event does not have', { ...registration(), major: 3 }],
  ])('refuses %s before any PutEvents call', async (_name, bad) => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: PutEventsRequestEntry[] }) => accepted(input.Entries))

    // Act
    const publishing = publisher().publish([registration(), bad], CONTEXT)

    // Assess
    await expect(publishing).rejects.toThrow()
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0)
  })

  it('sends more than ten events in batches of ten', async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input: { Entries: PutEventsRequestEntry[] }) => accepted(input.Entries))
    const events = testNhsNumbers(23).map((nhs) => registration(nhs))

    // Act
    const ids = await publisher().publish(events, CONTEXT)

    // Assess
    const batches = sentBatches()
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 3])
    expect(batches.flat().map((entry) => JSON.parse(entry.Detail!).metadata.id)).toEqual(ids)
  })

  it('sends again only the entry PutEvents reported as failed, after a backoff', async () => {
    // Prepare
    const failedSecond: PutEventsResultEntry[] = [
      { EventId: 'eb-0' },
      { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
      { EventId: 'eb-2' },
    ]
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: failedSecond })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'eb-1' }] })
    const events = testNhsNumbers(3).map((nhs) => registration(nhs))

    // Act
    const ids = await publisher().publish(events, CONTEXT)

    // Assess
    const [first, second] = sentBatches()
    expect(first).toHaveLength(3)
    expect(second).toEqual([first![1]])
    expect(JSON.parse(second![0]!.Detail!).metadata.id).toBe(ids[1])
    expect(sleeps).toHaveLength(1)
    expect(sentBatches()).toHaveLength(2)
  })

  it('throws, naming the error code, when entries still fail after every retry round', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal error' }],
    })

    // Act
    const publishing = publisher().publish([registration()], CONTEXT)

    // Assess
    await expect(publishing).rejects.toThrow(/InternalFailure/)
    expect(sentBatches()).toHaveLength(5)
    expect(sleeps).toEqual([100, 200, 400, 800])
  })

  it('throws when PutEvents reports failures without saying which entries failed', async () => {
    // Prepare: FailedEntryCount with no per-entry results; losing the events silently is the worst outcome
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1 })

    // Act
    const publishing = publisher().publish([registration()], CONTEXT)

    // Assess
    await expect(publishing).rejects.toThrow()
  })
})

describe('readEventData', () => {
  const v1 = {
    nhsNumber: '9000000009',
    holderOds: 'Y90001',
    recordType: 'GP record',
    endpoint: 'https://y90001.example/fhir',
  }

  it('upcasts a RecordHolderRegistered v1 read at major 2', () => {
    // Act
    const data = readEventData('RecordHolderRegistered', '1.0', v1, 2)

    // Assess
    expect(data).toEqual({
      nhsNumber: '9000000009',
      holderOds: 'Y90001',
      recordType: { system: SNOMED, code: '824321000000109', display: 'Summary record' },
      endpoint: 'https://y90001.example/fhir',
    })
  })

  it('returns v1 data unchanged when read at major 1', () => {
    // Act
    const data = readEventData('RecordHolderRegistered', '1.3', v1, 1)

    // Assess
    expect(data).toEqual(v1)
  })

  it('ignores fields it does not know, at every level (tolerant reader)', () => {
    // Prepare: a later minor added fields this consumer has never heard of
    const v2 = {
      nhsNumber: '9000000009',
      holderOds: 'Y90001',
      recordType: { ...SUMMARY_RECORD, version: 'uk-edition-2026' },
      priority: 'high',
    }

    // Act
    const data = readEventData('RecordHolderRegistered', '2.1', v2, 2)

    // Assess
    expect(data).toMatchObject({
      nhsNumber: '9000000009',
      holderOds: 'Y90001',
      recordType: SUMMARY_RECORD,
    })
  })

  it('refuses a major newer than the reader', () => {
    // Act
    const reading = () =>
      readEventData(
        'RecordHolderRegistered',
        '2.0',
        { nhsNumber: '9000000009', holderOds: 'Y90001', recordType: SUMMARY_RECORD },
        1,
      )

    // Assess
    expect(reading).toThrow(/newer than this consumer/)
  })

  it('refuses data that does not fit its own major', () => {
    // Act
    const reading = () => readEventData('RecordHolderRegistered', '1.0', { ...v1, nhsNumber: '123' }, 2)

    // Assess
    expect(reading).toThrow()
  })
})
