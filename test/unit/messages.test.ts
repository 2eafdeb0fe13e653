import type { EventBridgeEvent } from 'aws-lambda'
import { describe, expect, it } from 'vitest'
import { deliverMessage, signatureOf, type WebhookRequest } from '../../functions/messages/delivery'
import {
  announcePending,
  checkMessage,
  messageIdOf,
  messageStatusOf,
  recipientsOf,
  recordResourcesOf,
} from '../../functions/messages/messages'
import { FhirError } from '../../functions/shared/errors'
import type {
  MessageStore,
  RecipientState,
  StoredMessage,
  StoredSubscription,
} from '../../functions/shared/messages/MessageStore'
import { queueUrlOf, retryDelaySeconds } from '../../functions/shared/messages/SqsRetryBackoff'
import example from '../../schemas/api/examples/processMessage.request.json' with { type: 'json' }
import type { Caller } from '../../schemas/auth'
import { NOMINATED_PHARMACY_URL, type Patient } from '../../schemas/fhir/Patient'
import { describeDelivery, isValidSignature } from '../../scripts/pharmacy-inbox/inbox'

const hospital = {
  kind: 'organisation',
  organisation: 'RX9',
  sub: 'x',
  scopes: ['message.write'],
} as unknown as Caller

function refusal(run: () => unknown): FhirError {
  try {
    run()
  } catch (error) {
    if (error instanceof FhirError) return error
    throw error
  }
  throw new Error('not refused')
}

describe('checkMessage', () => {
  it('reads the flow, the sender and the patient of a valid discharge', () => {
    // Act
    const checked = checkMessage(example, hospital)
    // Assess
    expect(checked).toMatchObject({
      eventCode: 'discharge-summary',
      senderOds: 'RX9',
      nhsNumber: '9000000009',
    })
  })

  it('refuses a sender other than the caller with 403', () => {
    const other = { ...hospital, organisation: 'NX001' } as Caller
    expect(refusal(() => checkMessage(example, other)).status).toBe(403)
  })

  it('refuses a reference that does not resolve inside the Bundle', () => {
    // Prepare
    const body = structuredClone(example)
    ;(body.entry[4]!.resource as { informationSource: { reference: string } }).informationSource.reference =
      'Organization/ELSEWHERE'
    // Act
    const error = refusal(() => checkMessage(body, hospital))
    // Assess
    expect(error.code).toBe('INVALID_RESOURCE')
    expect(error.diagnostics).toMatch(
      /MedicationStatement\/amoxicillin informationSource.reference does not resolve/,
    )
  })

  it('refuses resource types a message may not carry, a second MessageHeader and repeated ids', () => {
    for (const extra of [
      { resourceType: 'Appointment', id: 'a' },
      {
        resourceType: 'MessageHeader',
        id: 'h2',
        eventCoding: { code: 'update-record' },
        sender: {},
        source: { endpoint: 'x' },
      },
      { resourceType: 'Composition', id: 'discharge' },
    ]) {
      const body = structuredClone(example) as { entry: { resource: unknown }[] }
      body.entry.push({ resource: extra })
      expect(refusal(() => checkMessage(body, hospital)).code).toBe('INVALID_RESOURCE')
    }
  })

  it('refuses an NHS number that fails modulus 11, and a message without a Composition', () => {
    const badNhs = structuredClone(example)
    ;(badNhs.entry[2]!.resource as { identifier: { value: string }[] }).identifier[0]!.value = '4857773456'
    expect(refusal(() => checkMessage(badNhs, hospital)).code).toBe('INVALID_RESOURCE')
    const noComposition = structuredClone(example)
    noComposition.entry.splice(3, 1)
    expect(refusal(() => checkMessage(noComposition, hospital)).code).toBe('INVALID_RESOURCE')
  })

  it('refuses anything that is not a message Bundle with its MessageHeader first', () => {
    for (const body of [
      null,
      'x',
      { resourceType: 'Bundle', type: 'collection' },
      { ...example, entry: example.entry.slice(1) },
    ]) {
      expect(refusal(() => checkMessage(body, hospital)).code).toBe('INVALID_RESOURCE')
    }
  })

  it('refuses contained resources that are not an array of resources with 422, never a 500', () => {
    // The fuzzer's find (seed 560062573): `contained` of another shape reached an array method.
    for (const contained of [{ id: 'x' }, 'x', 7, [null], ['x'], [{ id: 'x' }]]) {
      const body = structuredClone(example)
      ;(body.entry[4]!.resource as Record<string, unknown>).contained = contained
      expect(refusal(() => checkMessage(body, hospital)).code).toBe('INVALID_RESOURCE')
    }
    const body = structuredClone(example)
    const statement = body.entry[4]!.resource as Record<string, unknown> & {
      informationSource: { reference: string }
    }
    statement.contained = [{ resourceType: 'Organization', id: 'ward' }]
    statement.informationSource.reference = '#ward'
    expect(checkMessage(body, hospital).nhsNumber).toBe('9000000009')
  })
})

describe('recipientsOf', () => {
  const patient = {
    resourceType: 'Patient',
    id: '9000000009',
    generalPractitioner: [
      { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'Y90001' } },
    ],
    extension: [{ url: NOMINATED_PHARMACY_URL, valueReference: { identifier: { value: 'FX001' } } }],
  } as unknown as Patient

  it('sends a discharge to the nominated pharmacy and the registered GP, a summary to the GP only', () => {
    expect(recipientsOf('discharge-summary', patient)).toEqual(['FX001', 'Y90001'])
    expect(recipientsOf('update-record', patient)).toEqual(['Y90001'])
  })
})

describe('messageIdOf', () => {
  it('is the same for the same sender and MessageHeader id, and differs across senders', () => {
    expect(messageIdOf('RX9', 'h1')).toBe(messageIdOf('RX9', 'h1'))
    expect(messageIdOf('RX9', 'h1')).not.toBe(messageIdOf('NX001', 'h1'))
    expect(messageIdOf('RX9', 'h1')).toMatch(/^RX9-[a-f0-9]{16}$/)
  })
})

const state = (status: RecipientState['status'], attempts = 0): RecipientState => ({
  status,
  attempts,
  deliveredTo: [],
  updatedAt: '2026-11-30T17:05:00.000Z',
})

function storedMessage(overrides: Partial<StoredMessage> = {}): StoredMessage {
  return {
    id: 'RX9-0123456789abcdef',
    senderOds: 'RX9',
    eventCode: 'discharge-summary',
    nhsNumber: '9000000009',
    restricted: false,
    bundleId: 'b',
    messageHeaderId: 'h',
    correlationId: 'corr-1',
    acceptedAt: '2026-11-30T17:05:00.000Z',
    bundle: JSON.stringify(example),
    contentHash: 'x',
    recipients: { FX001: state('accepted'), Y90001: state('accepted') },
    announced: true,
    ...overrides,
  }
}

describe('messageStatusOf', () => {
  it('shows a restricted patient’s recipients to themselves only', () => {
    const status = messageStatusOf(storedMessage({ restricted: true }), 'FX001')
    expect(JSON.stringify(status)).toContain('FX001')
    expect(JSON.stringify(status)).not.toContain('Y90001')
  })
})

/** An in-memory message store holding one message and some subscriptions. */
function memoryStore(message: StoredMessage, subscriptions: StoredSubscription[]): MessageStore {
  return {
    accept: async () => message,
    markAnnounced: async () => {},
    unannounced: async () => [],
    message: async (id) => (id === message.id ? structuredClone(message) : undefined),
    updateRecipient: async (_id, ods, next) => {
      if (message.recipients[ods]?.status === 'acknowledged' && next.status !== 'acknowledged') return false
      message.recipients[ods] = next
      return true
    },
    saveSubscription: async () => {},
    subscription: async () => undefined,
    subscriptionsOf: async (ods) => subscriptions.filter((subscription) => subscription.ownerOds === ods),
    deleteSubscription: async () => true,
  }
}

const subscription = (ownerOds: string, id: string): StoredSubscription => ({
  id,
  ownerOds,
  detailType: 'DischargeSummaryPublished',
  criteria: `DischargeSummaryPublished?recipient=${ownerOds}`,
  reason: 'test',
  endpoint: `https://${ownerOds.toLowerCase()}.example.org/inbox`,
  secret: `secret-${ownerOds}`,
  createdAt: '2026-11-30T17:00:00.000Z',
})

const event = (messageId: string): EventBridgeEvent<string, unknown> =>
  ({
    id: 'e1',
    'detail-type': 'DischargeSummaryPublished',
    detail: {
      metadata: {
        id: `message.${messageId}`,
        version: '1.0',
        occurredAt: '2026-11-30T17:05:00+00:00',
        correlationId: 'corr-1',
        ics: 'demo',
        producer: 'joinup.messages',
      },
      data: {
        messageId,
        messageHeaderId: 'h',
        nhsNumber: '9000000009',
        senderOds: 'RX9',
        recipients: ['FX001', 'Y90001'],
        restricted: false,
      },
    },
  }) as unknown as EventBridgeEvent<string, unknown>

describe('recordResourcesOf', () => {
  /** A PDF too large for the record: a message carrying it is stored without document bytes. */
  const largeLetter = {
    resourceType: 'Binary',
    id: 'letter',
    contentType: 'application/pdf',
    data: 'A'.repeat(500_000),
  }

  it('keeps every resource but the MessageHeader, documents whole while they fit the record', () => {
    const resources = example.entry.map((entry) => entry.resource as Record<string, unknown>)
    expect(recordResourcesOf(resources)).toEqual(resources.slice(1))
  })

  it("leaves out a large document's bytes, marked data-absent, and keeps everything else", () => {
    // Prepare
    const binary = largeLetter
    const reference = {
      resourceType: 'DocumentReference',
      id: 'ref',
      content: [{ attachment: { contentType: 'application/pdf', data: 'QQ==' } }],
    }
    // Act
    const kept = recordResourcesOf([
      ...example.entry.map((entry) => entry.resource as Record<string, unknown>),
      binary,
      reference,
    ])
    // Assess
    expect(kept).toHaveLength(example.entry.length + 1)
    const absent = {
      extension: [
        { url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unsupported' },
      ],
    }
    expect(kept.at(-2)).toEqual({
      resourceType: 'Binary',
      id: 'letter',
      contentType: 'application/pdf',
      _data: absent,
    })
    expect(kept.at(-1)).toEqual({
      ...reference,
      content: [{ attachment: { contentType: 'application/pdf', _data: absent } }],
    })
  })

  it('passes document contents of any other shape through unchanged in a large message', () => {
    const binary = largeLetter
    const odd = {
      resourceType: 'DocumentReference',
      id: 'odd',
      content: ['x', null, 7, { attachment: 'x' }, {}],
    }
    const kept = recordResourcesOf([binary, odd])
    expect(kept.at(-1)).toEqual(odd)
  })
})

describe('announcePending', () => {
  it('finishes every message stored before the grace period whose events never left, and only those', async () => {
    // Prepare: one message stored 2 minutes ago, unannounced (its POST died after storing it)
    const now = new Date('2026-11-30T17:07:00.000Z')
    const stranded = storedMessage({ announced: false, acceptedAt: '2026-11-30T17:05:00.000Z' })
    const asked: string[] = []
    const announced: string[] = []
    const written: { recordId: string; resources: number }[] = []
    const published: { detailType: string; id?: string; data: unknown }[][] = []
    const messages = {
      ...memoryStore(stranded, []),
      unannounced: async (before: string) => {
        asked.push(before)
        return announced.includes(stranded.id) ? [] : [structuredClone(stranded)]
      },
      markAnnounced: async (id: string) => {
        announced.push(id)
      },
    }
    // Act
    const outcome = await announcePending(
      {
        messages,
        records: {
          write: async (record: { recordId: string; resources: unknown[] }) => {
            written.push({ recordId: record.recordId, resources: record.resources.length })
          },
        } as never,
        publisher: {
          publish: async (events: { detailType: string; id?: string; data: unknown }[]) => {
            published.push(events)
            return []
          },
        } as never,
        clock: () => now,
      },
      60,
    )
    // Assess: the record written, both events published with the ids a retry would use, then out of the outbox
    expect(asked[0]).toBe('2026-11-30T17:06:00.000Z')
    expect(outcome).toEqual({ announced: 1, failed: 0 })
    expect(written).toEqual([{ recordId: `message.${stranded.id}`, resources: example.entry.length - 1 }])
    expect(published).toHaveLength(1)
    expect(published[0]!.map((event) => [event.detailType, event.id])).toEqual([
      ['RecordHolderRegistered', `holder.${stranded.id}`],
      ['DischargeSummaryPublished', `message.${stranded.id}`],
    ])
    expect(announced).toEqual([stranded.id])
  })

  it('leaves a message whose events could not leave in the outbox, for the next sweep', async () => {
    // Prepare
    const stranded = storedMessage({ announced: false })
    const announced: string[] = []
    // Act
    const outcome = await announcePending(
      {
        messages: {
          ...memoryStore(stranded, []),
          unannounced: async () => [structuredClone(stranded)],
          markAnnounced: async (id: string) => {
            announced.push(id)
          },
        },
        records: { write: async () => {} } as never,
        publisher: {
          publish: async () => {
            throw new Error('bus unavailable')
          },
        } as never,
        clock: () => new Date(),
      },
      60,
    )
    // Assess
    expect(outcome).toEqual({ announced: 0, failed: 1 })
    expect(announced).toEqual([])
  })
})

describe('deliverMessage', () => {
  it('signs the exact body per subscription and sends the message, correlation and attempt headers', async () => {
    // Prepare
    const message = storedMessage()
    const sent: WebhookRequest[] = []
    const store = memoryStore(message, [subscription('FX001', 'FX001-aaaaaaaaaaaaaaaaaaaaaaaa')])
    // Act
    const outcome = await deliverMessage(event(message.id), false, {
      messages: store,
      post: async (request) => {
        sent.push(request)
        return 204
      },
      now: () => new Date('2026-11-30T17:05:01Z'),
      allowLoopback: false,
    })
    // Assess
    expect(outcome.pending).toEqual([])
    expect(sent).toHaveLength(1)
    expect(sent[0]!.body).toBe(message.bundle)
    expect(sent[0]!.headers).toMatchObject({
      'Content-Type': 'application/fhir+json',
      'X-Message-ID': message.id,
      'X-Correlation-ID': 'corr-1',
      'X-Delivery-Attempt': '1',
      'X-Signature': signatureOf(message.bundle, 'secret-FX001'),
    })
    expect(
      isValidSignature(Buffer.from(sent[0]!.body), sent[0]!.headers['X-Signature'], 'secret-FX001'),
    ).toBe(true)
    expect(isValidSignature(Buffer.from(sent[0]!.body), sent[0]!.headers['X-Signature'], 'wrong')).toBe(false)
    expect(message.recipients.FX001).toMatchObject({ status: 'delivered', attempts: 1 })
    expect(message.recipients.Y90001).toMatchObject({ status: 'accepted', attempts: 0 })
  })

  it('retries only the subscription that failed, and marks it failed on the last attempt', async () => {
    // Prepare
    const message = storedMessage()
    const store = memoryStore(message, [
      subscription('FX001', 'FX001-aaaaaaaaaaaaaaaaaaaaaaaa'),
      subscription('Y90001', 'Y90001-bbbbbbbbbbbbbbbbbbbbbbbb'),
    ])
    const posted: string[] = []
    const deps = {
      messages: store,
      post: async (request: WebhookRequest) => {
        posted.push(request.url)
        return request.url.includes('y90001') ? 503 : 200
      },
      now: () => new Date('2026-11-30T17:05:01Z'),
      allowLoopback: false,
    }
    // Act
    const first = await deliverMessage(event(message.id), false, deps)
    const last = await deliverMessage(event(message.id), true, deps)
    // Assess
    expect(first.pending).toEqual([{ ods: 'Y90001', reason: 'endpoint answered HTTP 503' }])
    expect(last.pending).toHaveLength(1)
    expect(posted.filter((url) => url.includes('fx001'))).toHaveLength(1)
    expect(message.recipients.Y90001).toMatchObject({
      status: 'failed',
      attempts: 2,
      reason: 'endpoint answered HTTP 503',
    })
    expect(message.recipients.FX001).toMatchObject({ status: 'delivered', attempts: 1 })
  })

  it('never posts to a private address, whatever was stored', async () => {
    const message = storedMessage()
    const store = memoryStore(message, [
      { ...subscription('FX001', 'FX001-aaaaaaaaaaaaaaaaaaaaaaaa'), endpoint: 'http://169.254.169.254/' },
    ])
    const outcome = await deliverMessage(event(message.id), false, {
      messages: store,
      post: async () => {
        throw new Error('must not be called')
      },
      now: () => new Date(),
      allowLoopback: false,
    })
    expect(outcome.pending[0]!.reason).toMatch(/^endpoint refused/)
  })
})

describe('describeDelivery', () => {
  it('shows the sender, patient and medicines of a discharge', () => {
    const text = describeDelivery(example)
    expect(text).toContain('discharge-summary from Demo General Hospital')
    expect(text).toContain('Jane Smith (NHS 9000000009')
    expect(text).toContain('Amoxicillin 500mg capsules — One capsule three times a day for 5 days')
  })
})

describe('retryDelaySeconds', () => {
  it('doubles per receive from 30 s, with jitter between half and all of it, capped at 15 minutes', () => {
    expect(retryDelaySeconds(1, () => 0)).toBe(15)
    expect(retryDelaySeconds(1, () => 1)).toBe(30)
    expect(retryDelaySeconds(3, () => 1)).toBe(120)
    expect(retryDelaySeconds(10, () => 1)).toBe(900)
    expect(queueUrlOf({ eventSourceARN: 'arn:aws:sqs:eu-west-2:123456789012:DeliverMessagesQueue' })).toBe(
      'https://sqs.eu-west-2.amazonaws.com/123456789012/DeliverMessagesQueue',
    )
  })
})
