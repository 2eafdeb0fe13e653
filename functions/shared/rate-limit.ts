import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { documentClient, tableNameOf } from './dynamodb'
import type { RateLimiter } from './ports'

/**
 * A fixed one-minute window per organisation, counted with one atomic UpdateItem, so the
 * limit holds across every Lambda instance (API Gateway usage plans add a coarser limit
 * in front). Counters expire by TTL two minutes after their window.
 */
export class DynamoDbRateLimiter implements RateLimiter {
  constructor(
    private readonly requestsPerMinute: () => number,
    private readonly client: DynamoDBDocumentClient = documentClient,
    private readonly tableName: string = tableNameOf('rateLimits'),
  ) {}

  async consume(organisation: string, now: Date): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
    const epochSeconds = Math.floor(now.getTime() / 1000)
    const window = Math.floor(epochSeconds / 60)
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `ORG#${organisation}#${window}` },
        UpdateExpression: 'ADD requests :one SET expiresAt = if_not_exists(expiresAt, :expires)',
        ExpressionAttributeValues: { ':one': 1, ':expires': (window + 3) * 60 },
        ReturnValues: 'UPDATED_NEW',
      }),
    )
    const used = Number(Attributes?.requests ?? 1)
    return { allowed: used <= this.requestsPerMinute(), retryAfterSeconds: (window + 1) * 60 - epochSeconds }
  }
}
