import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { documentClient, isConditionFailure, tableNameOf } from '../dynamodb'
import type { AuditEntry, AuditTrail } from '../ports'
import { type AuditRecord, chainAfter } from './chain'

/** How often one append retries after losing a race for the next link. */
const MAX_RACE_RETRIES = 20

/** Partition key of a patient's chain. */
export function auditKeyOf(nhsNumber: string): string {
  return `PATIENT#${nhsNumber}`
}

/**
 * The audit trail in DynamoDB: one chain per patient, sort key `seq`. Each append reads
 * the head and puts `seq + 1` on condition that it does not exist yet, so two concurrent
 * writers cannot fork a chain: the loser re-reads the head and links after the winner.
 * Functions get PutItem and Query on this table, never UpdateItem or DeleteItem.
 */
export class DynamoDbAuditTrail implements AuditTrail {
  constructor(
    private readonly client: DynamoDBDocumentClient = documentClient,
    private readonly tableName: string = tableNameOf('audit'),
  ) {}

  async append(entries: AuditEntry[]): Promise<void> {
    // Chains are independent: different patients in parallel, one patient's entries in order.
    const byPatient = new Map<string, AuditEntry[]>()
    for (const entry of entries)
      byPatient.set(entry.patient, [...(byPatient.get(entry.patient) ?? []), entry])
    await Promise.all(
      [...byPatient.values()].map(async (chain) => {
        for (const entry of chain) await this.appendOne(entry)
      }),
    )
  }

  /** The newest record of a patient's chain. */
  async head(nhsNumber: string): Promise<AuditRecord | undefined> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': auditKeyOf(nhsNumber) },
        ScanIndexForward: false,
        Limit: 1,
      }),
    )
    return Items?.[0] ? recordOf(Items[0]) : undefined
  }

  /** A page of a patient's records, newest first. */
  async page(
    nhsNumber: string,
    options: { limit: number; beforeSeq?: number; oldestFirst?: boolean },
  ): Promise<AuditRecord[]> {
    const before = options.beforeSeq !== undefined
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: before ? 'pk = :pk AND seq < :before' : 'pk = :pk',
        ExpressionAttributeValues: {
          ':pk': auditKeyOf(nhsNumber),
          ...(before ? { ':before': options.beforeSeq } : {}),
        },
        ScanIndexForward: options.oldestFirst ?? false,
        Limit: options.limit,
      }),
    )
    return (Items ?? []).map(recordOf)
  }

  /** Every record of a patient's chain, oldest first (for verification). */
  async *all(nhsNumber: string): AsyncGenerator<AuditRecord> {
    let ExclusiveStartKey: Record<string, unknown> | undefined
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': auditKeyOf(nhsNumber) },
          ExclusiveStartKey,
        }),
      )
      for (const item of page.Items ?? []) yield recordOf(item)
      ExclusiveStartKey = page.LastEvaluatedKey
    } while (ExclusiveStartKey)
  }

  private async appendOne(entry: AuditEntry): Promise<void> {
    for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
      const record = chainAfter(await this.head(entry.patient), entry)
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: auditKeyOf(entry.patient), ...record },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        )
        return
      } catch (error) {
        if (!isConditionFailure(error)) throw error
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)))
      }
    }
    throw new Error('Could not append to the audit trail: too much contention on one patient')
  }
}

function recordOf(item: Record<string, unknown>): AuditRecord {
  const { pk: _pk, ...record } = item
  return record as unknown as AuditRecord
}
