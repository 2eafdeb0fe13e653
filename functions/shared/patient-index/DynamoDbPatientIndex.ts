import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { batchGetItems, documentClient, isConditionFailure, tableNameOf } from '../dynamodb'
import { FhirError } from '../errors'
import { type HolderEntry, pointerIdOf } from './HolderEntry'
import {
  ConcurrentIndexUpdate,
  type IndexPage,
  type OrganisationWithdrawal,
  type PatientIndex,
} from './PatientIndex'

/** How long a removal tombstone is kept: longer than any event can arrive late (SQS keeps 14 days). */
const TOMBSTONE_DAYS = 30

export const patientKey = (nhsNumber: string) => `PATIENT#${nhsNumber}`
export const holderKey = (holderOds: string, recordTypeCode: string) =>
  `HOLDER#${holderOds}#${recordTypeCode}`
const WITHDRAWAL_SK = 'WITHDRAWAL'
/** An organisation's withdrawal marker (no holderOds attribute: it stays out of the by-holder index). */
const withdrawalKey = (holderOds: string) => ({ pk: `ORGANISATION#${holderOds}`, sk: WITHDRAWAL_SK })

type TableKey = { pk: string; sk: string } & Record<string, unknown>
const keyText = (key: Record<string, unknown>) => `${key.pk as string}\n${key.sk as string}`

interface Gathering {
  keys: Map<string, TableKey>
  items: Promise<Map<string, Record<string, unknown>>>
}

function withdrawalOf(item: Record<string, unknown>): OrganisationWithdrawal {
  return {
    holderOds: item.withdrawnOds as string,
    occurredAt: item.occurredAt as string,
    eventId: item.eventId as string,
    reason: item.reason as string,
  }
}

export interface IndexItem extends HolderEntry {
  pk: string
  sk: string
  /** Partition key of the by-holder index. */
  holderOds: string
  /** Partition key of the by-pointer-id index (GET and DELETE /DocumentReference/{id}). */
  pointerId?: string
  expiresAt?: number
}

/** The stored item of an index entry at `version` (what `save` writes; bulk loaders build the same). */
export function indexItemOf(entry: HolderEntry, version: number): IndexItem {
  return {
    ...entry,
    version,
    pk: patientKey(entry.nhsNumber),
    sk: holderKey(entry.holderOds, entry.recordType.code),
    pointerId: pointerIdOf(entry.nhsNumber, entry.holderOds, entry.recordType.code),
    ...(entry.status === 'removed'
      ? { expiresAt: Math.floor(Date.parse(entry.decidedAt) / 1000) + TOMBSTONE_DAYS * 86_400 }
      : {}),
  }
}

/**
 * The patient index in DynamoDB: PK `PATIENT#<nhs>`, SK `HOLDER#<ods>#<type code>`, and a
 * by-holder GSI (`holderOds`, `pk`) for everything one organisation holds.
 */
export class DynamoDbPatientIndex implements PatientIndex {
  /** The keys asked for in this turn of the event loop, and the read that will answer them. */
  private gathering: Gathering | undefined

  constructor(
    private readonly client: DynamoDBDocumentClient = documentClient,
    private readonly tableName: string = tableNameOf('patientIndex'),
  ) {}

  async entry(
    nhsNumber: string,
    holderOds: string,
    recordTypeCode: string,
  ): Promise<HolderEntry | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: patientKey(nhsNumber), sk: holderKey(holderOds, recordTypeCode) },
        ConsistentRead: true,
      }),
    )
    return Item ? entryOf(Item as IndexItem) : undefined
  }

  async save(entry: HolderEntry, expectedVersion: number): Promise<void> {
    const item = indexItemOf(entry, expectedVersion + 1)
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : '#version = :expected',
          ...(expectedVersion === 0
            ? {}
            : {
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':expected': expectedVersion },
              }),
        }),
      )
    } catch (error) {
      if (isConditionFailure(error)) throw new ConcurrentIndexUpdate()
      throw error
    }
  }

  async holdersOf(
    nhsNumber: string,
    filter: { holderOds?: string; recordTypeCode?: string; recordTypeSystem?: string },
    page: { limit: number; cursor?: string },
  ): Promise<IndexPage> {
    const query = holdersQuery(this.tableName, nhsNumber, filter)
    const start = decodeCursor(page.cursor, {
      attributes: ['pk', 'sk'],
      matches: (key) => key.pk === patientKey(nhsNumber) && key.sk!.startsWith(query.prefix),
    })
    return this.collect(query.input, page.limit, start, (entry) => ({
      pk: patientKey(entry.nhsNumber),
      sk: holderKey(entry.holderOds, entry.recordType.code),
    }))
  }

  async countHolders(
    nhsNumber: string,
    filter: { holderOds?: string; recordTypeCode?: string; recordTypeSystem?: string },
  ): Promise<number> {
    const { input } = holdersQuery(this.tableName, nhsNumber, filter)
    let count = 0
    let ExclusiveStartKey: Record<string, unknown> | undefined
    do {
      const page = await this.client.send(new QueryCommand({ ...input, Select: 'COUNT', ExclusiveStartKey }))
      count += page.Count ?? 0
      ExclusiveStartKey = page.LastEvaluatedKey
    } while (ExclusiveStartKey)
    return count
  }

  async byPointerId(pointerId: string): Promise<HolderEntry | undefined> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byPointerId',
        KeyConditionExpression: 'pointerId = :id',
        ExpressionAttributeValues: { ':id': pointerId },
        Limit: 1,
      }),
    )
    return Items?.[0] ? entryOf(Items[0] as IndexItem) : undefined
  }

  async entriesOfHolder(nhsNumber: string, holderOds: string): Promise<HolderEntry[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': patientKey(nhsNumber), ':prefix': `HOLDER#${holderOds}#` },
        ConsistentRead: true,
      }),
    )
    return (Items ?? []).map((item) => entryOf(item as IndexItem))
  }

  heldBy(holderOds: string, page: { limit: number; cursor?: string }): Promise<IndexPage> {
    return this.collect(
      {
        TableName: this.tableName,
        IndexName: 'byHolder',
        KeyConditionExpression: 'holderOds = :ods',
        FilterExpression: '#status = :current',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':ods': holderOds, ':current': 'current' },
      },
      page.limit,
      decodeCursor(page.cursor, {
        attributes: ['holderOds', 'pk', 'sk'],
        matches: (key) => key.holderOds === holderOds,
      }),
      (entry) => ({
        holderOds: entry.holderOds,
        pk: patientKey(entry.nhsNumber),
        sk: holderKey(entry.holderOds, entry.recordType.code),
      }),
    )
  }

  /**
   * Reads made in the same turn of the event loop share one BatchGetItem: the records of a
   * queue batch are applied in parallel, so a batch of ten registrations reads its entries
   * and withdrawal markers in one round trip (each holder's marker once) instead of ten.
   */
  async entryAndWithdrawal(
    nhsNumber: string,
    holderOds: string,
    recordTypeCode: string,
  ): Promise<{ entry?: HolderEntry; withdrawal?: OrganisationWithdrawal }> {
    const [entryItem, withdrawalItem] = await this.readTogether([
      { pk: patientKey(nhsNumber), sk: holderKey(holderOds, recordTypeCode) },
      withdrawalKey(holderOds),
    ])
    return {
      ...(entryItem ? { entry: entryOf(entryItem as unknown as IndexItem) } : {}),
      ...(withdrawalItem ? { withdrawal: withdrawalOf(withdrawalItem) } : {}),
    }
  }

  /** The items of `keys` (undefined where none), read consistently with the other keys asked for this turn. */
  private readTogether(keys: TableKey[]): Promise<(Record<string, unknown> | undefined)[]> {
    if (!this.gathering) {
      const gathering: Gathering = { keys: new Map(), items: Promise.resolve(new Map()) }
      gathering.items = new Promise((resolve) => setImmediate(resolve)).then(async () => {
        this.gathering = undefined
        const items = await batchGetItems(this.client, this.tableName, [...gathering.keys.values()], {
          consistentRead: true,
        })
        return new Map(items.map((item) => [keyText(item), item]))
      })
      this.gathering = gathering
    }
    const { keys: asked, items } = this.gathering
    for (const key of keys) asked.set(keyText(key), key)
    return items.then((found) => keys.map((key) => found.get(keyText(key))))
  }

  async saveWithdrawal(withdrawal: OrganisationWithdrawal): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...withdrawalKey(withdrawal.holderOds),
            withdrawnOds: withdrawal.holderOds,
            occurredAt: withdrawal.occurredAt,
            occurredAtMs: Date.parse(withdrawal.occurredAt),
            eventId: withdrawal.eventId,
            reason: withdrawal.reason,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR occurredAtMs < :at',
          ExpressionAttributeValues: { ':at': Date.parse(withdrawal.occurredAt) },
        }),
      )
    } catch (error) {
      if (!isConditionFailure(error)) throw error
    }
  }

  /**
   * Reads pages until one entry more than `limit` passes the filter, or the partition ends:
   * a cursor is given only when another entry really follows (a page that ends exactly at
   * the last match has no `next` link to an empty page). The cursor is the key of the last
   * entry returned, in the shape `keyOf` gives for the queried table or index.
   */
  private async collect(
    input: QueryCommand['input'],
    limit: number,
    start: Record<string, unknown> | undefined,
    keyOf: (entry: HolderEntry) => Record<string, string>,
  ): Promise<IndexPage> {
    const entries: HolderEntry[] = []
    let ExclusiveStartKey = start
    do {
      const page = await this.client.send(
        new QueryCommand({ ...input, ExclusiveStartKey, Limit: Math.max(limit + 1 - entries.length, 1) }),
      )
      entries.push(...(page.Items ?? []).map((item) => entryOf(item as IndexItem)))
      ExclusiveStartKey = page.LastEvaluatedKey
    } while (ExclusiveStartKey && entries.length <= limit)
    if (entries.length <= limit) return { entries }
    const shown = entries.slice(0, limit)
    return { entries: shown, cursor: encodeCursor(keyOf(shown.at(-1)!)) }
  }
}

/** The Query of one patient's current holders, optionally of one holder or one record type. */
function holdersQuery(
  tableName: string,
  nhsNumber: string,
  filter: { holderOds?: string; recordTypeCode?: string; recordTypeSystem?: string },
): { input: QueryCommand['input']; prefix: string } {
  const prefix = filter.holderOds ? `HOLDER#${filter.holderOds}#` : 'HOLDER#'
  const values: Record<string, unknown> = {
    ':pk': patientKey(nhsNumber),
    ':prefix': prefix,
    ':current': 'current',
  }
  let filterExpression = '#status = :current'
  if (filter.recordTypeCode) {
    filterExpression += ' AND recordType.code = :type'
    values[':type'] = filter.recordTypeCode
  }
  if (filter.recordTypeSystem) {
    filterExpression += ' AND recordType.#system = :system'
    values[':system'] = filter.recordTypeSystem
  }
  return {
    prefix,
    input: {
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: filterExpression,
      ExpressionAttributeNames: {
        '#status': 'status',
        ...(filter.recordTypeSystem ? { '#system': 'system' } : {}),
      },
      ExpressionAttributeValues: values,
    },
  }
}

function entryOf(item: IndexItem): HolderEntry {
  const { pk: _pk, sk: _sk, expiresAt: _expiresAt, pointerId: _pointerId, ...entry } = item
  return entry
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url')
}

/**
 * A paging cursor from a caller: exactly the key attributes of the query it came from
 * (anything else is a 400, not a DynamoDB error), and for the same query: the same
 * patient and custodian prefix, or the same holder.
 */
function decodeCursor(
  cursor: string | undefined,
  expected: { attributes: readonly string[]; matches: (key: Record<string, string>) => boolean },
): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown
    if (key !== null && typeof key === 'object' && !Array.isArray(key)) {
      const entries = Object.entries(key)
      const exact =
        entries.length === expected.attributes.length &&
        entries.every(([name, value]) => expected.attributes.includes(name) && typeof value === 'string')
      if (exact && expected.matches(key as Record<string, string>)) return key as Record<string, unknown>
    }
  } catch {
    // fall through: not ours
  }
  throw new FhirError('INVALID_PARAMETER', 'Invalid paging cursor')
}
