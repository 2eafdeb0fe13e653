import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { documentClient, isConditionFailure, tableNameOf } from '../dynamodb'
import {
  DuplicateMessage,
  type MessageStore,
  ownerOfSubscriptionId,
  type RecipientState,
  type StoredMessage,
  type StoredSubscription,
} from './MessageStore'

const messageKey = (id: string) => ({ pk: `MESSAGE#${id}`, sk: 'MESSAGE' })
const bundleClaimKey = (sender: string, bundleId: string) => ({
  pk: `SENT#${sender}#BUNDLE#${bundleId}`,
  sk: 'CLAIM',
})
/** A bundle up to this size stays in the message item (DynamoDB items take at most 400 KB). */
export const INLINE_BUNDLE_BYTES = 300_000
/** The size of each part of a larger bundle. */
const PART_BYTES = 350_000
const PART_DIGITS = 4
const partKey = (contentHash: string, index: number) =>
  `PART#${contentHash.slice(0, 32)}#${String(index).padStart(PART_DIGITS, '0')}`

/** The outbox index's one partition: messages whose events have not left yet (sparse index byOutbox). */
const OUTBOX_PENDING = 'PENDING'
const subscriptionKey = (ods: string, id: string) => ({ pk: `SUBSCRIBER#${ods}`, sk: `SUBSCRIPTION#${id}` })

/**
 * Messages and subscriptions in one DynamoDB table, with single-item conditional writes
 * only (no transactions, as dynalite has none):
 * - `SENT#<sender>#BUNDLE#<bundle id>` / `CLAIM`: the Bundle id, claimed first for one message id;
 * - `MESSAGE#<id>` / `MESSAGE`: the message, its bundle as sent and each recipient's state (a
 *   message id is derived from the sender and MessageHeader id, so a repeated header is the
 *   same item); until its events have left it carries `outbox`, which the sparse index
 *   `byOutbox` lists by acceptance time (the outbox sweep's query);
 * - `MESSAGE#<id>` / `PART#<content hash>#<n>`: a bundle above INLINE_BUNDLE_BYTES, in binary
 *   parts written before the message item (which then carries `bundleParts` instead of the
 *   bundle), so a message of up to 5 MB needs no other service and reads back byte for byte;
 * - `SUBSCRIBER#<ods>` / `SUBSCRIPTION#<id>`: one Query finds a recipient's subscriptions.
 */
export class DynamoDbMessageStore implements MessageStore {
  constructor(
    private readonly client: DynamoDBDocumentClient = documentClient,
    private readonly tableName: string = tableNameOf('messages'),
  ) {}

  async accept(message: StoredMessage): Promise<StoredMessage> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...bundleClaimKey(message.senderOds, message.bundleId), messageId: message.id },
          ConditionExpression: 'attribute_not_exists(pk) OR messageId = :id',
          ExpressionAttributeValues: { ':id': message.id },
        }),
      )
    } catch (error) {
      if (isConditionFailure(error)) throw new DuplicateMessage('Bundle')
      throw error
    }
    // A bundle too large for one item goes in parts first; the message item, written last and
    // conditionally, names them (parts under the content hash: a refused duplicate never overwrites them).
    const bytes = Buffer.from(message.bundle, 'utf8')
    const parts: Buffer[] = []
    if (bytes.length > INLINE_BUNDLE_BYTES)
      for (let start = 0; start < bytes.length; start += PART_BYTES)
        parts.push(bytes.subarray(start, start + PART_BYTES))
    await Promise.all(
      parts.map((data, index) =>
        this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: messageKey(message.id).pk, sk: partKey(message.contentHash, index), data },
          }),
        ),
      ),
    )
    const { bundle: _bundle, ...header } = message
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...messageKey(message.id),
            ...(parts.length > 0 ? { ...header, bundleParts: parts.length } : message),
            ...(message.announced ? {} : { outbox: OUTBOX_PENDING }),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      return message
    } catch (error) {
      if (!isConditionFailure(error)) throw error
    }
    const stored = await this.message(message.id)
    // The same message whose acceptance was cut short (a crash before its events left), or the
    // retry of the same request whose answer was lost: resumed.
    const sameRequest = message.requestId !== undefined && stored?.requestId === message.requestId
    if (stored && stored.contentHash === message.contentHash && (!stored.announced || sameRequest))
      return stored
    throw new DuplicateMessage('MessageHeader')
  }

  async markAnnounced(id: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: messageKey(id),
        UpdateExpression: 'SET announced = :yes REMOVE outbox',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':yes': true },
      }),
    )
  }

  async unannounced(acceptedBefore: string, limit: number): Promise<StoredMessage[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byOutbox',
        KeyConditionExpression: 'outbox = :pending AND acceptedAt < :before',
        ExpressionAttributeValues: { ':pending': OUTBOX_PENDING, ':before': acceptedBefore },
        Limit: limit,
      }),
    )
    return Promise.all(
      (Items ?? []).map(async ({ pk: _pk, sk: _sk, outbox: _outbox, ...message }) =>
        // The index holds the message item only: a bundle in parts is read from the table.
        message.bundleParts
          ? ((await this.message(message.id as string)) as StoredMessage)
          : (message as StoredMessage),
      ),
    )
  }

  async message(id: string): Promise<StoredMessage | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: messageKey(id), ConsistentRead: true }),
    )
    if (!Item) return undefined
    const { pk: _pk, sk: _sk, outbox: _outbox, bundleParts, ...message } = Item
    if (typeof bundleParts !== 'number') return message as StoredMessage
    // The parts, in order, then decoded once: the exact bytes as sent (a character may span two parts).
    const prefix = partKey(message.contentHash as string, 0).slice(0, -PART_DIGITS)
    const parts: Uint8Array[] = []
    let ExclusiveStartKey: Record<string, unknown> | undefined
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': messageKey(id).pk, ':prefix': prefix },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      )
      for (const item of page.Items ?? []) parts.push(item.data as Uint8Array)
      ExclusiveStartKey = page.LastEvaluatedKey
    } while (ExclusiveStartKey)
    if (parts.length !== bundleParts)
      throw new Error(`message ${id} has ${parts.length} of ${bundleParts} parts`)
    return { ...message, bundle: Buffer.concat(parts).toString('utf8') } as StoredMessage
  }

  async updateRecipient(id: string, ods: string, state: RecipientState): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: messageKey(id),
          UpdateExpression: 'SET recipients.#ods = :state',
          ConditionExpression:
            state.status === 'acknowledged'
              ? 'attribute_exists(recipients.#ods)'
              : 'attribute_exists(recipients.#ods) AND recipients.#ods.#status <> :acknowledged',
          ExpressionAttributeNames: {
            '#ods': ods,
            ...(state.status === 'acknowledged' ? {} : { '#status': 'status' }),
          },
          ExpressionAttributeValues: {
            ':state': state,
            ...(state.status === 'acknowledged' ? {} : { ':acknowledged': 'acknowledged' }),
          },
        }),
      )
      return true
    } catch (error) {
      if (isConditionFailure(error)) return false
      throw error
    }
  }

  async saveSubscription(subscription: StoredSubscription): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...subscriptionKey(subscription.ownerOds, subscription.id), ...subscription },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    )
  }

  async subscription(id: string): Promise<StoredSubscription | undefined> {
    const owner = ownerOfSubscriptionId(id)
    if (!owner) return undefined
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: subscriptionKey(owner, id), ConsistentRead: true }),
    )
    if (!Item) return undefined
    const { pk: _pk, sk: _sk, ...subscription } = Item
    return subscription as StoredSubscription
  }

  async subscriptionsOf(ods: string): Promise<StoredSubscription[]> {
    const found: StoredSubscription[] = []
    let ExclusiveStartKey: Record<string, unknown> | undefined
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `SUBSCRIBER#${ods}` },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      )
      for (const { pk: _pk, sk: _sk, ...item } of page.Items ?? []) found.push(item as StoredSubscription)
      ExclusiveStartKey = page.LastEvaluatedKey
    } while (ExclusiveStartKey)
    return found
  }

  async deleteSubscription(id: string): Promise<boolean> {
    const owner = ownerOfSubscriptionId(id)
    if (!owner) return false
    const { Attributes } = await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: subscriptionKey(owner, id),
        ReturnValues: 'ALL_OLD',
      }),
    )
    return Attributes !== undefined
  }
}
