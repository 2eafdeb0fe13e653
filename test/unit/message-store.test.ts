import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DynamoDbMessageStore,
  INLINE_BUNDLE_BYTES,
} from '../../functions/shared/messages/DynamoDbMessageStore'
import { DuplicateMessage, type StoredMessage } from '../../functions/shared/messages/MessageStore'
import { createDeclaredTables, type LocalDynamoDb, startLocalDynamoDb } from '../../scripts/local/dynamodb'

// The message store's DynamoDB adapter against dynalite (tables from infra/tables.ts):
// duplicates by Bundle and MessageHeader id, resumed acceptances, acknowledgements that stick.

let dynamo: LocalDynamoDb
let store: DynamoDbMessageStore

beforeAll(async () => {
  dynamo = await startLocalDynamoDb()
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })
  const tableName = (await createDeclaredTables(client, 'demo')).messages
  store = new DynamoDbMessageStore(
    DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    tableName,
  )
})
afterAll(async () => dynamo?.close())

const message = (id: string, overrides: Partial<StoredMessage> = {}): StoredMessage => ({
  id,
  senderOds: 'RX9',
  eventCode: 'discharge-summary',
  nhsNumber: '9000000009',
  restricted: false,
  bundleId: `bundle-${id}`,
  messageHeaderId: `header-${id}`,
  correlationId: 'c',
  acceptedAt: '2026-11-30T17:05:00.000Z',
  bundle: '{}',
  contentHash: 'hash',
  recipients: {
    FX001: { status: 'accepted', attempts: 0, deliveredTo: [], updatedAt: '2026-11-30T17:05:00.000Z' },
  },
  announced: false,
  ...overrides,
})

describe('DynamoDbMessageStore', () => {
  it('resumes an acceptance cut short, and refuses the message once announced', async () => {
    // Prepare
    await store.accept(message('RX9-0000000000000001'))
    // Act
    const resumed = await store.accept(message('RX9-0000000000000001'))
    await store.markAnnounced('RX9-0000000000000001')
    // Assess
    expect(resumed.id).toBe('RX9-0000000000000001')
    await expect(store.accept(message('RX9-0000000000000001'))).rejects.toEqual(
      new DuplicateMessage('MessageHeader'),
    )
  })

  it('answers the retry of the same request (same X-Request-ID) once announced, and only that', async () => {
    // Prepare
    await store.accept(message('RX9-0000000000000011', { requestId: 'request-1' }))
    await store.markAnnounced('RX9-0000000000000011')
    // Act
    const retried = await store.accept(message('RX9-0000000000000011', { requestId: 'request-1' }))
    // Assess
    expect(retried).toMatchObject({ id: 'RX9-0000000000000011', announced: true })
    await expect(store.accept(message('RX9-0000000000000011', { requestId: 'request-2' }))).rejects.toEqual(
      new DuplicateMessage('MessageHeader'),
    )
    await expect(
      store.accept(message('RX9-0000000000000011', { requestId: 'request-1', contentHash: 'other' })),
    ).rejects.toEqual(new DuplicateMessage('MessageHeader'))
  })

  it('lists stored messages not yet announced, oldest first, until they are announced', async () => {
    // Prepare
    await store.accept(message('RX9-0000000000000021', { acceptedAt: '2020-01-01T10:00:01.000Z' }))
    await store.accept(message('RX9-0000000000000022', { acceptedAt: '2020-01-01T10:00:00.000Z' }))
    await store.accept(message('RX9-0000000000000023', { acceptedAt: '2020-01-01T10:05:00.000Z' }))
    // Act
    const before = await store.unannounced('2020-01-01T10:01:00.000Z', 10)
    await store.markAnnounced('RX9-0000000000000022')
    const after = await store.unannounced('2020-01-01T10:01:00.000Z', 10)
    // Assess
    expect(before.map((item) => item.id)).toEqual(['RX9-0000000000000022', 'RX9-0000000000000021'])
    expect(before[0]).not.toHaveProperty('outbox')
    expect(after.map((item) => item.id)).toEqual(['RX9-0000000000000021'])
    expect(await store.message('RX9-0000000000000022')).not.toHaveProperty('outbox')
  })

  it('keeps a bundle too large for one item in parts, and reads back the exact bytes', async () => {
    // Prepare: 1.2 MB with multi-byte characters, so some fall across a part boundary
    const bundle = `{"text":"${'é£😀x'.repeat(150_000)}"}`
    expect(Buffer.byteLength(bundle)).toBeGreaterThan(INLINE_BUNDLE_BYTES * 3)
    // Act
    await store.accept(message('RX9-0000000000000031', { bundle, contentHash: 'large-1' }))
    const duplicate = store.accept(
      message('RX9-0000000000000031', { bundle: bundle.replace('x', 'y'), contentHash: 'large-2' }),
    )
    // Assess: the duplicate is refused and the stored bytes are untouched
    await expect(duplicate).rejects.toEqual(new DuplicateMessage('MessageHeader'))
    const stored = await store.message('RX9-0000000000000031')
    expect(stored?.bundle === bundle).toBe(true)
    expect(stored).not.toHaveProperty('bundleParts')
    const [pending] = await store
      .unannounced('2026-11-30T17:05:00.001Z', 10)
      .then((items) => items.filter((item) => item.id === 'RX9-0000000000000031'))
    expect(pending?.bundle === bundle).toBe(true)
  })

  it('refuses another message with a Bundle id the sender used before', async () => {
    await store.accept(message('RX9-0000000000000002', { bundleId: 'shared' }))
    await expect(store.accept(message('RX9-0000000000000003', { bundleId: 'shared' }))).rejects.toEqual(
      new DuplicateMessage('Bundle'),
    )
  })

  it('keeps an acknowledgement when a late delivery report arrives', async () => {
    // Prepare
    const id = 'RX9-0000000000000004'
    await store.accept(message(id))
    const at = '2026-11-30T17:06:00.000Z'
    // Act
    await store.updateRecipient(id, 'FX001', {
      status: 'acknowledged',
      attempts: 1,
      deliveredTo: ['s'],
      updatedAt: at,
    })
    const applied = await store.updateRecipient(id, 'FX001', {
      status: 'delivered',
      attempts: 1,
      deliveredTo: ['s'],
      updatedAt: at,
    })
    // Assess
    expect(applied).toBe(false)
    expect((await store.message(id))?.recipients.FX001?.status).toBe('acknowledged')
    expect(
      await store.updateRecipient(id, 'NOBODY', {
        status: 'delivered',
        attempts: 1,
        deliveredTo: [],
        updatedAt: at,
      }),
    ).toBe(false)
  })

  it("finds an organisation's subscriptions by id and by owner, and deletes them", async () => {
    const subscription = {
      id: 'FX001-0123456789abcdef01234567',
      ownerOds: 'FX001',
      detailType: 'DischargeSummaryPublished' as const,
      criteria: 'DischargeSummaryPublished?recipient=FX001',
      reason: 'r',
      endpoint: 'https://example.org/inbox',
      secret: 's',
      createdAt: '2026-11-30T17:00:00.000Z',
    }
    await store.saveSubscription(subscription)
    expect(await store.subscription(subscription.id)).toEqual(subscription)
    expect(await store.subscriptionsOf('FX001')).toEqual([subscription])
    expect(await store.subscription('not-an-id')).toBeUndefined()
    expect(await store.deleteSubscription(subscription.id)).toBe(true)
    expect(await store.deleteSubscription(subscription.id)).toBe(false)
    expect(await store.subscriptionsOf('FX001')).toEqual([])
  })
})
