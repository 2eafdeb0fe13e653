import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { documentClient, isConditionFailure, tableNameOf } from '../dynamodb'
import type { AuditEntry, AuditTrail, OrganisationAuditEntry } from '../ports'
import { type AuditRecord, type ChainLink, chainAfter } from './chain'

/** How often one append retries after losing a race for the next link. */
const MAX_RACE_RETRIES = 20

/** Partition key of a patient's chain. */
export function auditKeyOf(nhsNumber: string): string {
  return `PATIENT#${nhsNumber}`
}

/** Partition key of an organisation's chain: its bulk changes (withdrawing everything it holds). */
export function organisationAuditKeyOf(ods: string): string {
  return `ORGANISATION#${ods}`
}

/** Most Query pages one filtered page reads before answering with what it found (and a cursor). */
const MAX_FILTERED_QUERIES = 10

/** A page of a chain, newest first, and where the next page starts when there may be more. */
export interface AuditPage {
  records: AuditRecord[]
  /** Pass as `beforeSeq` for the next page; absent at the chain's start. */
  nextBeforeSeq?: number
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
    await this.appendToChains(entries.map((entry) => ({ key: auditKeyOf(entry.patient), entry })))
  }

  async appendForOrganisation(entries: OrganisationAuditEntry[]): Promise<void> {
    await this.appendToChains(
      entries.map((entry) => ({ key: organisationAuditKeyOf(entry.organisation), entry })),
    )
  }

  private async appendToChains(entries: { key: string; entry: object }[]): Promise<void> {
    // Chains are independent: different chains in parallel, one chain's entries in order.
    const byChain = new Map<string, object[]>()
    for (const { key, entry } of entries) byChain.set(key, [...(byChain.get(key) ?? []), entry])
    await Promise.all(
      [...byChain].map(async ([key, chain]) => {
        for (const entry of chain) await this.appendOne(key, entry)
      }),
    )
  }

  /** The newest record of a patient's chain. */
  async head(nhsNumber: string): Promise<AuditRecord | undefined> {
    return (await this.headOf(auditKeyOf(nhsNumber))) as AuditRecord | undefined
  }

  private async headOf(key: string): Promise<ChainLink | undefined> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': key },
        ScanIndexForward: false,
        Limit: 1,
      }),
    )
    return Items?.[0] ? recordOf(Items[0]) : undefined
  }

  /**
   * A page of a patient's records made by one organisation's staff, newest first: what an
   * organisation without a care relationship may read (its own staff's accesses). Filtered
   * in DynamoDB; reads at most MAX_FILTERED_QUERIES pages of the chain per call, so a long
   * chain answers a short page with a cursor rather than scanning it all.
   */
  async pageByOrganisation(
    nhsNumber: string,
    organisation: string,
    options: { limit: number; beforeSeq?: number },
  ): Promise<AuditPage> {
    const records: AuditRecord[] = []
    let beforeSeq = options.beforeSeq
    for (let query = 0; query < MAX_FILTERED_QUERIES; query++) {
      const { Items, LastEvaluatedKey } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: beforeSeq !== undefined ? 'pk = :pk AND seq < :before' : 'pk = :pk',
          FilterExpression: '#caller.#organisation = :organisation',
          ExpressionAttributeNames: { '#caller': 'caller', '#organisation': 'organisation' },
          ExpressionAttributeValues: {
            ':pk': auditKeyOf(nhsNumber),
            ':organisation': organisation,
            ...(beforeSeq !== undefined ? { ':before': beforeSeq } : {}),
          },
          ScanIndexForward: false,
          Limit: options.limit * 4,
        }),
      )
      for (const item of Items ?? []) {
        records.push(recordOf(item))
        if (records.length === options.limit) return { records, nextBeforeSeq: records.at(-1)!.seq }
      }
      if (!LastEvaluatedKey) return { records }
      beforeSeq = Number(LastEvaluatedKey.seq)
    }
    return { records, nextBeforeSeq: beforeSeq }
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

  /**
   * Every record of a patient's chain, oldest first (for verification); an organisation's
   * chain with `chain: 'organisation'` and its ODS code.
   */
  async *all(subject: string, chain: 'patient' | 'organisation' = 'patient'): AsyncGenerator<AuditRecord> {
    let ExclusiveStartKey: Record<string, unknown> | undefined
    const key = chain === 'patient' ? auditKeyOf(subject) : organisationAuditKeyOf(subject)
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': key },
          ExclusiveStartKey,
        }),
      )
      for (const item of page.Items ?? []) yield recordOf(item)
      ExclusiveStartKey = page.LastEvaluatedKey
    } while (ExclusiveStartKey)
  }

  private async appendOne(key: string, entry: object): Promise<void> {
    for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
      const record = chainAfter(await this.headOf(key), entry)
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk: key, ...record },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        )
        return
      } catch (error) {
        if (!isConditionFailure(error)) throw error
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)))
      }
    }
    throw new Error('Could not append to the audit trail: too much contention on one chain')
  }
}

function recordOf(item: Record<string, unknown>): AuditRecord {
  const { pk: _pk, ...record } = item
  return record as unknown as AuditRecord
}
