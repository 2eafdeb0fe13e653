import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import { documentClient, isConditionFailure, tableNameOf } from '../dynamodb'
import type { IdempotencyStore, KeyState, StoredResponse } from './IdempotencyStore'

/** How long an answered key is kept (DynamoDB TTL): retries come within minutes, not days. */
const KEEP_SECONDS = 24 * 3600

interface KeyItem {
  pk: string
  state: 'in-progress' | 'completed'
  fingerprint: string
  leaseUntil: number
  response?: string
  expiresAt: number
}

/**
 * Idempotency keys in DynamoDB (the `idempotencyKeys` table), one item per key, each
 * change one conditional write. Expired items are ignored by the conditions as well as
 * removed by TTL (which may lag by hours, and which the local DynamoDB lacks).
 */
export class DynamoDbIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly client: DynamoDBDocumentClient = documentClient,
    private readonly tableName: string = tableNameOf('idempotencyKeys'),
  ) {}

  async claim(
    key: string,
    fingerprint: string,
    now: Date,
    leaseMs: number,
  ): Promise<{ kind: 'claimed' } | KeyState> {
    const nowMs = now.getTime()
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              pk: key,
              state: 'in-progress',
              fingerprint,
              leaseUntil: nowMs + leaseMs,
              expiresAt: Math.floor(nowMs / 1000) + KEEP_SECONDS,
            } satisfies KeyItem,
            ConditionExpression:
              'attribute_not_exists(pk) OR expiresAt < :nowSeconds OR (#state = :inProgress AND leaseUntil < :now)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':now': nowMs,
              ':nowSeconds': Math.floor(nowMs / 1000),
              ':inProgress': 'in-progress',
            },
          }),
        )
        return { kind: 'claimed' }
      } catch (error) {
        if (!isConditionFailure(error)) throw error
      }
      const { Item } = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: key }, ConsistentRead: true }),
      )
      // Gone between the two calls (released, or expired and removed): claim again.
      if (!Item) continue
      const item = Item as KeyItem
      if (item.state === 'completed' && item.response) {
        return {
          kind: 'completed',
          fingerprint: item.fingerprint,
          response: JSON.parse(item.response) as StoredResponse,
        }
      }
      return { kind: 'in-progress', fingerprint: item.fingerprint, leaseUntil: item.leaseUntil }
    }
    throw new Error('Idempotency key kept changing under this request')
  }

  async complete(key: string, fingerprint: string, response: StoredResponse, now: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: key },
        UpdateExpression: 'SET #state = :completed, #response = :response, expiresAt = :expiresAt',
        ConditionExpression: 'fingerprint = :fingerprint',
        ExpressionAttributeNames: { '#state': 'state', '#response': 'response' },
        ExpressionAttributeValues: {
          ':completed': 'completed',
          ':response': JSON.stringify(response),
          ':expiresAt': Math.floor(now.getTime() / 1000) + KEEP_SECONDS,
          ':fingerprint': fingerprint,
        },
      }),
    )
  }

  async release(key: string, fingerprint: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: key },
          ConditionExpression: '#state = :inProgress AND fingerprint = :fingerprint',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':inProgress': 'in-progress', ':fingerprint': fingerprint },
        }),
      )
    } catch (error) {
      if (!isConditionFailure(error)) throw error
    }
  }
}
