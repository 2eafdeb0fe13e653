import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import type { RecordType } from '../../../schemas/fhir/recordTypes'
import { documentClient, isConditionFailure, tableNameOf } from '../dynamodb'
import type { FhirResource } from '../gpconnect/stu3ToR4'
import {
  type ClinicalStore,
  checkStoredRecord,
  contentHashOf,
  type StoredRecord,
  StoredRecordConflict,
} from './ClinicalStore'

/** Partition key of one patient's records; sort keys group them by holder. */
export const clinicalRecordKeys = (nhsNumber: string, holderOds: string, recordId: string) => ({
  pk: `PATIENT#${nhsNumber}`,
  sk: `HOLDER#${holderOds}#RECORD#${recordId}`,
})

/**
 * One item per record: `pk` PATIENT#<nhs>, `sk` HOLDER#<ods>#RECORD#<record id>, the
 * resources as JSON text (cheaper than a nested map, and kept exactly as written), and a
 * content hash that tells a repeated write from a conflicting one.
 */
interface ClinicalRecordItem {
  pk: string
  sk: string
  holderOds: string
  recordId: string
  recordType: RecordType
  recordedAt: string
  contentHash: string
  resources: string
}

/**
 * The clinical store in DynamoDB. Writes are single conditional puts (no transactions):
 * a record is written once, and a retry of the same write is recognised by its hash.
 */
export class DynamoDbClinicalStore implements ClinicalStore {
  constructor(
    private readonly client: DynamoDBDocumentClient = documentClient,
    private readonly tableName: string = tableNameOf('clinicalRecords'),
  ) {}

  async write(record: StoredRecord): Promise<'written' | 'unchanged'> {
    checkStoredRecord(record)
    const keys = clinicalRecordKeys(record.nhsNumber, record.holderOds, record.recordId)
    const item: ClinicalRecordItem = {
      ...keys,
      holderOds: record.holderOds,
      recordId: record.recordId,
      recordType: record.recordType,
      recordedAt: record.recordedAt,
      contentHash: contentHashOf(record),
      resources: JSON.stringify(record.resources),
    }
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      )
      return 'written'
    } catch (error) {
      if (!isConditionFailure(error)) throw error
    }
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys,
        ConsistentRead: true,
        ProjectionExpression: 'contentHash',
      }),
    )
    if (Item?.contentHash === item.contentHash) return 'unchanged'
    throw new StoredRecordConflict(record.holderOds, record.recordId)
  }

  async recordsOf(
    nhsNumber: string,
    holderOds: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<StoredRecord[]> {
    const records: StoredRecord[] = []
    let ExclusiveStartKey: Record<string, unknown> | undefined
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :holder)',
          ExpressionAttributeValues: {
            ':pk': `PATIENT#${nhsNumber}`,
            ':holder': `HOLDER#${holderOds}#RECORD#`,
          },
          ExclusiveStartKey,
        }),
        { abortSignal: options.signal },
      )
      for (const item of (page.Items ?? []) as ClinicalRecordItem[]) {
        records.push({
          nhsNumber,
          holderOds: item.holderOds,
          recordId: item.recordId,
          recordType: item.recordType,
          recordedAt: item.recordedAt,
          resources: JSON.parse(item.resources) as FhirResource[],
        })
      }
      ExclusiveStartKey = page.LastEvaluatedKey
    } while (ExclusiveStartKey)
    return records.sort((a, b) => Date.parse(a.recordedAt) - Date.parse(b.recordedAt))
  }
}
