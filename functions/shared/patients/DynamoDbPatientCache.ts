import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb'
import type { Patient } from '../../../schemas/fhir/Patient'
import { documentClient, tableNameOf } from '../dynamodb'
import type { CachedPatient, CandidatePage, PatientCache } from './PatientCache'
import { familyPrefixOf, searchFieldsOf } from './PatientCache'

interface PatientItem {
  pk: string
  status: CachedPatient['status']
  supersededBy?: string
  /** The FHIR Patient as JSON text: cheaper to store and read back than a nested map. */
  resource?: string
  familyPrefix?: string
  birthKey?: string
  birthDate?: string
  familyKey?: string
  /** Epoch seconds; the table's TTL attribute. */
  expiresAt?: number
}

/** The ICS's copy of PDS in DynamoDB: one item per NHS number, two sparse search indexes. */
export class DynamoDbPatientCache implements PatientCache {
  constructor(
    private readonly client: DynamoDBDocumentClient = documentClient,
    private readonly tableName: string = tableNameOf('patients'),
  ) {}

  async get(nhsNumber: string): Promise<CachedPatient | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: nhsNumber } }),
    )
    return Item ? fromItem(Item as PatientItem) : undefined
  }

  byFamilyPrefix(prefix: string, birthFrom: string, birthTo: string, limit: number): Promise<CandidatePage> {
    return this.query(
      {
        IndexName: 'byFamilyPrefix',
        KeyConditionExpression: 'familyPrefix = :prefix AND birthKey BETWEEN :from AND :to',
        // '#' sorts before digits, '~' after them: the range covers every NHS number on both days.
        ExpressionAttributeValues: { ':prefix': prefix, ':from': `${birthFrom}#`, ':to': `${birthTo}#~` },
      },
      limit,
    )
  }

  byBirthDate(birthDate: string, limit: number): Promise<CandidatePage> {
    return this.query(
      {
        IndexName: 'byBirthDate',
        KeyConditionExpression: 'birthDate = :date',
        ExpressionAttributeValues: { ':date': birthDate },
      },
      limit,
    )
  }

  async putAll(records: CachedPatient[]): Promise<void> {
    for (let start = 0; start < records.length; start += 25) {
      let requests = records
        .slice(start, start + 25)
        .map((record) => ({ PutRequest: { Item: toItem(record) } }))
      // BatchWriteItem may leave some items unprocessed under load: resend those.
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 8) throw new Error('BatchWriteItem kept returning unprocessed items')
        const { UnprocessedItems } = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
        )
        requests = (UnprocessedItems?.[this.tableName] ?? []) as typeof requests
        if (requests.length) await new Promise((resolve) => setTimeout(resolve, 2 ** attempt * 10))
      }
    }
  }

  private async query(
    input: Pick<QueryCommand['input'], 'IndexName' | 'KeyConditionExpression' | 'ExpressionAttributeValues'>,
    limit: number,
  ): Promise<CandidatePage> {
    const patients: Patient[] = []
    let ExclusiveStartKey: Record<string, unknown> | undefined
    do {
      const page = await this.client.send(
        new QueryCommand({ TableName: this.tableName, ...input, ExclusiveStartKey, Limit: limit + 1 }),
      )
      for (const item of page.Items ?? []) {
        const record = fromItem(item as PatientItem)
        if (record.status === 'active') patients.push(record.patient)
        if (patients.length > limit) return { patients: patients.slice(0, limit), truncated: true }
      }
      ExclusiveStartKey = page.LastEvaluatedKey
    } while (ExclusiveStartKey)
    return { patients, truncated: false }
  }
}

function toItem(record: CachedPatient): PatientItem {
  const expiry = record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt }
  if (record.status === 'superseded')
    return { pk: record.nhsNumber, status: record.status, supersededBy: record.supersededBy, ...expiry }
  if (record.status === 'invalidated') return { pk: record.nhsNumber, status: record.status, ...expiry }
  const fields = searchFieldsOf(record.patient)
  // Only active records carry index keys, so the indexes are sparse: searches never see the rest.
  return {
    pk: record.nhsNumber,
    status: 'active',
    resource: JSON.stringify(record.patient),
    ...expiry,
    ...(fields.family && fields.birthDate
      ? {
          familyPrefix: familyPrefixOf(fields.family),
          birthKey: `${fields.birthDate}#${record.nhsNumber}`,
          birthDate: fields.birthDate,
          familyKey: `${fields.family}#${record.nhsNumber}`,
        }
      : {}),
  }
}

function fromItem(item: PatientItem): CachedPatient {
  const expiry = item.expiresAt === undefined ? {} : { expiresAt: Number(item.expiresAt) }
  if (item.status === 'superseded')
    return { nhsNumber: item.pk, status: 'superseded', supersededBy: item.supersededBy!, ...expiry }
  if (item.status === 'invalidated') return { nhsNumber: item.pk, status: 'invalidated', ...expiry }
  return { nhsNumber: item.pk, status: 'active', patient: JSON.parse(item.resource!) as Patient, ...expiry }
}
